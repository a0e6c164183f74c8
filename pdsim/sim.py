"""The composition root: one simulated PagerDuty account and everything that serves it.

Flask views reach it as `current_app.extensions["pdsim"]`; the test helper hands it out as `sim.sim`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import tzinfo
from pathlib import Path
from typing import Any

from pdsim.actions import Actions, Tx
from pdsim.clock import Clock
from pdsim.config import Limits, OAuthClientSpec, Registrations, SeedParams
from pdsim.demo_responders import DemoResponders, ResponderConfig
from pdsim.directory import Directory
from pdsim.faults import FaultInjector
from pdsim.oauth.keys import SigningKey
from pdsim.oauth.server import Account, OAuthServer
from pdsim.render import incidents as ri
from pdsim.render.refs import Ctx
from pdsim.requestlog import RequestLog
from pdsim.rest.ratelimit import RateLimiter
from pdsim.seed import generate
from pdsim.store import Store
from pdsim.webhooks import subscriptions as subs
from pdsim.webhooks.dispatcher import WebhookDispatcher
from pdsim.webhooks.payload import event_body

log = logging.getLogger(__name__)


def prepare_store(store: Store, params: SeedParams, force: bool = False) -> bool:
    """Generate unless the store already holds exactly this seed; returns True when it generated."""
    if not force and store.has_seed() and SeedParams.from_meta(store.meta()) == params:
        log.info("reusing seeded account in %s", store.path)
        return False
    generate(store, params)
    return True


class Simulator:
    def __init__(
        self,
        store: Store,
        params: SeedParams,
        registrations: Registrations | None = None,
        limits: Limits | None = None,
        clock_offset: float = 0.0,
        responders: ResponderConfig | None = None,
    ) -> None:
        self.store = store
        self.params = params
        self.registrations = registrations or Registrations()
        self.clock = Clock(clock_offset)
        self._initial_offset = clock_offset
        self.directory = Directory.load(store)
        self.actions = Actions(self.directory)
        self._initial_limits = limits or Limits()
        self.limiter = RateLimiter(self._initial_limits, self.clock)
        self.faults = FaultInjector()
        self.requests = RequestLog()
        self.webhooks = WebhookDispatcher(store)
        self._initial_retry_delays = self.webhooks.retry_delays
        self.oauth = OAuthServer(store, self.clock, SigningKey(store))
        self._initial_responders = responders or ResponderConfig()
        self.responders = DemoResponders(self)
        self.responders.configure(self._initial_responders)
        self.root_url = "http://127.0.0.1"  # set by the server once it knows its port
        self.register_startup()

    @classmethod
    def open(cls, params: SeedParams, db_path: str | Path | None = None, **kwargs: Any) -> Simulator:
        store = Store(db_path)
        prepare_store(store, params)
        return cls(store, params, **kwargs)

    # --- URLs ------------------------------------------------------------------------------------

    @property
    def us_url(self) -> str:
        return self.root_url

    @property
    def eu_url(self) -> str:
        return self.root_url + "/eu"

    @property
    def base_url(self) -> str:
        """The REST base of the account's own region."""
        return self.eu_url if self.params.region == "eu" else self.us_url

    @property
    def identity_url(self) -> str:
        return self.root_url

    @property
    def initial_clock_offset(self) -> float:
        """The clock offset the simulator started with (restored by resets)."""
        return self._initial_offset

    @property
    def account(self) -> Account:
        return Account(self.directory.account_id, self.params.region, self.params.subdomain)

    @property
    def admin_email(self) -> str:
        return str(self.directory.admin["email"])

    def ctx(
        self, api: str | None = None, tz: tzinfo | None = None, include: frozenset[str] = frozenset()
    ) -> Ctx:
        return Ctx(self.directory, api or self.base_url, tz, include)

    # --- registrations ---------------------------------------------------------------------------

    def add_api_token(
        self,
        token: str,
        kind: str = "user",
        user_id: str | None = None,
        read_only: bool = False,
        startup: bool = False,
    ) -> None:
        if kind not in ("user", "account"):
            raise ValueError("kind must be user or account")
        if kind == "user":
            user_id = user_id or str(self.directory.admin["id"])
            if user_id not in self.directory.users:
                raise ValueError(f"unknown user {user_id}")
        else:
            user_id = None
        with self.store.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO api_tokens VALUES (?, ?, ?, ?, 0, ?, ?)",
                (token, kind, user_id, int(read_only), int(startup), int(self.clock.now())),
            )

    def revoke_token(self, token: str) -> bool:
        with self.store.write() as conn:
            n = conn.execute("UPDATE api_tokens SET revoked = 1 WHERE token = ?", (token,)).rowcount
            n += conn.execute("UPDATE oauth_tokens SET revoked = 1 WHERE token = ?", (token,)).rowcount
        return n > 0

    def register_startup(self) -> None:
        for token in self.registrations.api_tokens:
            self.add_api_token(token, "user", startup=True)
        for token in self.registrations.account_tokens:
            self.add_api_token(token, "account", startup=True)
        for spec in self.registrations.oauth_clients:
            self.oauth.register(spec, startup=True)

    def add_oauth_client(self, spec: OAuthClientSpec) -> None:
        self.oauth.register(spec)

    # --- writes and webhooks -----------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """A write transaction; its webhook events are published only after it commits."""
        with self.store.write() as conn:
            tx = Tx(conn, int(self.clock.now()))
            yield tx
        self.publish(tx)

    def publish(self, tx: Tx) -> None:
        if not tx.events:
            return
        with self.store.read() as conn:
            active = [s for s in subs.all_(conn) if s.active]
            rows = {
                n: dict(conn.execute("SELECT * FROM incidents WHERE number = ?", (n,)).fetchone())
                for _, n, _ in tx.events
            }
        if not active:
            return
        ctx = self.ctx()
        for event_type, number, actor in tx.events:
            row = rows[number]
            teams = self.directory.service_team_ids(row["service_id"])
            body = event_body(
                event_type,
                self.clock.now(),
                ctx.agent_ref(actor.agent),
                actor.client,
                ri.webhook_data(ctx, row),
            )
            for sub in active:
                if sub.wants(event_type, row["service_id"], teams):
                    self.webhooks.enqueue(sub, event_type, row["id"], body)

    # --- lifecycle -----------------------------------------------------------------------------

    def reload_directory(self) -> None:
        self.directory = Directory.load(self.store)
        self.actions = Actions(self.directory)

    def reset(self) -> None:
        """Back to the freshly seeded account and the start-up registrations (regenerates the seed)."""
        generate(self.store, self.params)
        with self.store.write() as conn:
            for table in ("api_tokens", "oauth_clients", "oauth_tokens", "webhook_subscriptions"):
                conn.execute(f"DELETE FROM {table}")
        self.reload_directory()
        self.reset_switches()
        self.requests.clear()
        self.webhooks.clear()
        self.oauth.reset()
        self.register_startup()

    def reset_switches(self) -> None:
        """Run-time switches only, data untouched: faults off, limits, clock and demo responders as at start,
        default token lifetimes and webhook retry delays."""
        self.clock.set_offset(self._initial_offset)
        self.responders.configure(self._initial_responders)
        self.faults.clear()
        self.limiter.configure(bare_rate=0.0, seed=0, **asdict(self._initial_limits))
        self.limiter.reset()
        self.oauth.access_ttl = self.oauth.refresh_ttl = None
        self.webhooks.configure(retry_delays=list(self._initial_retry_delays), timeout=5.0)

    def set_webhook_retry_delays(self, delays: list[float]) -> None:
        """Retry delays that also survive `reset_switches` (the test helper sets short ones)."""
        self._initial_retry_delays = tuple(delays)
        self.webhooks.configure(retry_delays=delays)

    def start(self) -> None:
        self.webhooks.start()
        self.responders.start()

    def close(self) -> None:
        self.responders.stop()
        self.webhooks.stop()
        self.store.close()

    def state(self) -> dict[str, Any]:
        counts = self.store.rows(
            "SELECT (SELECT count(*) FROM incidents) AS incidents,"
            " (SELECT count(*) FROM log_entries) AS log_entries,"
            " (SELECT count(*) FROM change_events) AS change_events, (SELECT count(*) FROM users) AS users,"
            " (SELECT count(*) FROM services) AS services, (SELECT count(*) FROM teams) AS teams,"
            " (SELECT count(*) FROM incidents WHERE status != 'resolved') AS open_incidents"
        )[0]
        return {
            "account_id": self.directory.account_id,
            "subdomain": self.params.subdomain,
            "region": self.params.region,
            "admin_email": self.admin_email,
            "admin_user_id": self.directory.admin["id"],
            "base_url": self.base_url,
            "us_url": self.us_url,
            "eu_url": self.eu_url,
            "identity_url": self.identity_url,
            "now": self.clock.now(),
            "clock_offset": self.clock.offset,
            "seed": {**self.params.to_meta()},
            "counts": counts,
        }
