"""pdsim as a child process (`python -m pdsim serve`), for tests that kill or restart it.

Import it from `pdsim.testing`, which re-exports `run_pdsim_process` and `SimProcess`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pdsim.control_client import SimControl


@dataclass
class SimProcess:
    """pdsim as a child process (`python -m pdsim serve`), for tests that kill or restart it."""

    process: subprocess.Popen[str]
    root_url: str
    control: SimControl

    @property
    def region(self) -> str:
        return str(self.control.state()["region"])

    @property
    def base_url(self) -> str:
        return str(self.control.state()["base_url"])

    @property
    def us_url(self) -> str:
        return self.root_url

    @property
    def eu_url(self) -> str:
        return self.root_url + "/eu"

    @property
    def identity_url(self) -> str:
        return self.root_url

    @property
    def admin_email(self) -> str:
        return str(self.control.state()["admin_email"])

    def kill(self) -> None:
        """SIGKILL, as a crash would; the context manager then has nothing left to stop."""
        self.process.kill()
        self.process.wait(timeout=10)

    def terminate(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def run_pdsim_process(
    seed: int | None = None,
    incidents: int | None = None,
    days: int | None = None,
    region: str | None = None,
    subdomain: str | None = None,
    anchor: str | None = None,
    api_tokens: Iterable[str] = (),
    account_tokens: Iterable[str] = (),
    oauth_clients: Iterable[str] = (),
    db_path: str | Path | None = None,
    extra_args: Iterable[str] = (),
    startup_timeout: float = 120.0,
) -> Iterator[SimProcess]:
    """Start `python -m pdsim serve --port 0 …` and wait for its banner; terminated on exit.

    Generation arguments left as None are not passed, so an existing `db_path` is served as it is; with no
    `db_path` they default to a small account (seed 42, 300 incidents, 90 days, us, acme).
    """
    gen = {
        "seed": seed,
        "incidents": incidents,
        "days": days,
        "region": region,
        "subdomain": subdomain,
        "anchor": anchor,
    }
    if db_path is None:
        gen = {
            **{"seed": 42, "incidents": 300, "days": 90, "region": "us", "subdomain": "acme"},
            **{k: v for k, v in gen.items() if v is not None},
        }
    cmd = [sys.executable, "-m", "pdsim", "serve", "--host", "127.0.0.1", "--port", "0"]
    for name, value in gen.items():
        if value is not None:
            cmd += [f"--{name}", str(value)]
    if db_path:
        cmd += ["--db", str(db_path)]
    for token in api_tokens:
        cmd += ["--api-token", token]
    for token in account_tokens:
        cmd += ["--account-token", token]
    for client in oauth_clients:
        cmd += ["--oauth-client", client]
    cmd += list(extra_args)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    handle: SimProcess | None = None
    try:
        root = _await_banner(proc, startup_timeout)
        handle = SimProcess(proc, root, SimControl(root))
        yield handle
    finally:
        if handle is not None:
            handle.control.close()
            handle.terminate()
        elif proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()


def _await_banner(proc: subprocess.Popen[str], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"pdsim exited before serving (code {proc.wait(timeout=5)})")
        if line.startswith("pdsim listening on "):
            return line.split("pdsim listening on ", 1)[1].split()[0].rstrip("/")
    raise RuntimeError("pdsim did not start in time")
