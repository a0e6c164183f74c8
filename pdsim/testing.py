"""Helpers for test suites and benchmarks: pdsim in a background thread, or as a child process.

    with run_pdsim(incidents=300, anchor="2026-11-01T00:00:00Z", api_tokens=["tok"]) as sim:
        requests.get(sim.base_url + "/users/me", headers={"Authorization": "Token token=tok"})
        sim.control.incident_action(incident_id, "acknowledge")
        sim.store.all_incidents()

The public names here (`run_pdsim`, `run_pdsim_process`, `RunningSim`, `SimProcess`, `SimControl`) are a
stable interface for other engineers' tests; see docs/pdsim.md.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

from pdsim.config import Limits, OAuthClientSpec, Registrations, SeedParams
from pdsim.control_client import SimControl, SimControlError
from pdsim.process import SimProcess, run_pdsim_process
from pdsim.server import SimServer
from pdsim.sim import Simulator
from pdsim.store import Store
from pdsim.timeutil import parse_anchor, start_of_utc_day

__all__ = [
    "RestSession",
    "RunningSim",
    "SimControl",
    "SimControlError",
    "SimProcess",
    "run_pdsim",
    "run_pdsim_process",
]
ACCEPT_V2 = "application/vnd.pagerduty+json;version=2"


class RestSession(requests.Session):
    """A `requests.Session` for pdsim's REST API: paths starting with `/` are joined to `base_url`, and the
    `Accept`, `Authorization` (`Token token=…` or `Bearer …`) and optional `From` headers are preset."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        bearer: str | None = None,
        from_email: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.headers["Accept"] = ACCEPT_V2
        if token:
            self.headers["Authorization"] = f"Token token={token}"
        elif bearer:
            self.headers["Authorization"] = f"Bearer {bearer}"
        if from_email:
            self.headers["From"] = from_email

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if isinstance(url, str) and url.startswith("/"):
            url = self.base_url + url
        kwargs.setdefault("timeout", self.timeout)
        # Per request, because REQUESTS_CA_BUNDLE would otherwise override a session's `verify`.
        kwargs.setdefault("verify", self.verify)
        return super().request(method, url, *args, **kwargs)


ClientArg = OAuthClientSpec | tuple[str, str | None] | tuple[str, str | None, str] | str


def _epoch(value: str | int | float | datetime | None, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, datetime):
        return int(value.timestamp())
    if isinstance(value, int | float):
        return int(value)
    return parse_anchor(value)


def _client(arg: ClientArg) -> OAuthClientSpec:
    if isinstance(arg, OAuthClientSpec):
        return arg
    if isinstance(arg, str):
        return OAuthClientSpec.parse(arg)
    kind = arg[2] if len(arg) > 2 else "scoped"  # type: ignore[misc]
    return OAuthClientSpec(arg[0], arg[1], str(kind))


@dataclass
class RunningSim:
    """A pdsim serving on 127.0.0.1 from a background thread."""

    sim: Simulator
    server: SimServer
    control: SimControl

    @property
    def base_url(self) -> str:
        """REST base of the account's region: `http://127.0.0.1:PORT` (us) or `…/eu` (eu)."""
        return self.sim.base_url

    @property
    def us_url(self) -> str:
        return self.sim.us_url

    @property
    def eu_url(self) -> str:
        return self.sim.eu_url

    @property
    def identity_url(self) -> str:
        """Root of the identity server: `/oauth/authorize`, `/oauth/token`, `/global/oauth/anonymous/jwks`."""
        return self.sim.identity_url

    @property
    def admin_email(self) -> str:
        return self.sim.admin_email

    @property
    def store(self) -> Store:
        return self.sim.store

    @property
    def ca_file(self) -> Path | None:
        """The certificate to trust when serving with `tls=True`."""
        return self.server.ca_file

    @property
    def params(self) -> SeedParams:
        return self.sim.params

    def url(self, path: str) -> str:
        return self.base_url + path

    def rest(
        self,
        token: str | None = None,
        *,
        bearer: str | None = None,
        from_email: str | None = None,
        base_url: str | None = None,
    ) -> RestSession:
        """A session on the REST base (or `base_url`): `sim.rest("tok", from_email=sim.admin_email)`."""
        session = RestSession(base_url or self.base_url, token, bearer, from_email)
        if self.ca_file:
            session.verify = str(self.ca_file)
        return session


@contextmanager
def run_pdsim(
    seed: int = 42,
    incidents: int = 300,
    days: int = 90,
    region: str = "us",
    subdomain: str = "acme",
    anchor: str | int | datetime | None = None,
    now: str | int | datetime | None = None,
    api_tokens: Iterable[str] = (),
    account_tokens: Iterable[str] = (),
    oauth_clients: Iterable[ClientArg] = (),
    db_path: str | Path | None = None,
    rate_limit: int = 960,
    post_incidents_limit: int = 60,
    webhook_retry_delays: Iterable[float] = (0.2, 0.5, 1.0),
    tls: bool = False,
) -> Iterator[RunningSim]:
    """Serve a seeded account on a free port; `now` pins pdsim's clock (e.g. `now=anchor`); `tls` serves
    HTTPS with a self-signed certificate (`sim.ca_file`)."""
    params = SeedParams(
        seed, incidents, days, region, subdomain, _epoch(anchor, start_of_utc_day(time.time()))
    )
    registrations = Registrations(
        tuple(api_tokens), tuple(account_tokens), tuple(_client(c) for c in oauth_clients)
    )
    limits = Limits(per_token=rate_limit, post_incidents=post_incidents_limit)
    offset = _epoch(now, 0) - time.time() if now is not None else 0.0
    sim = Simulator.open(params, db_path, registrations=registrations, limits=limits, clock_offset=offset)
    sim.set_webhook_retry_delays(list(webhook_retry_delays))
    server = SimServer(sim, tls=tls)
    server.start()
    control = SimControl(sim.root_url, verify=str(server.ca_file) if server.ca_file else True)
    try:
        yield RunningSim(sim, server, control)
    finally:
        control.close()
        server.stop()
