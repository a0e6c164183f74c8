"""Real `worker.py` processes, and a Redis of the test's own, for the tests that kill or race them."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError

from app.launcher import free_port
from config import PROJECT_ROOT


def start_worker(
    app: Flask, tmp_path: Path, name: str, queues: list[str], *, burst: bool, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    """A worker on `queues` with the test app's database, queue and keys (plus `env`), logging to
    tmp_path/<name>.log. It leads a process group of its own, so `kill_hard` takes the scheduler process RQ
    starts beside it at the same moment, as a machine losing power would."""
    return start_vigil(app, tmp_path, name, ["--queues", *queues, *(["--burst"] if burst else [])], env=env)


def start_cron(app: Flask, tmp_path: Path, name: str, *, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`worker.py --cron`, the periodic scheduler, like `start_worker`."""
    return start_vigil(app, tmp_path, name, ["--cron"], env=env)


def start_vigil(
    app: Flask, tmp_path: Path, name: str, options: list[str], *, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    settings = app.config["VIGIL"]
    full_env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url or "",
        "SECRET_KEY": settings.secret_key,
        "ENCRYPTION_KEYS": ",".join(settings.encryption_keys),
        "VIGIL_INSTANCE_PATH": str(tmp_path),
        **env,
    }
    args = [sys.executable, str(PROJECT_ROOT / "worker.py"), *options]
    log = (tmp_path / f"{name}.log").open("wb")
    return subprocess.Popen(
        args, env=full_env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def kill_hard(worker: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and everything it started, as a machine losing power would."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)


def children_of(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class RedisServer:
    """A real redis-server of the test's own on an ephemeral port, without persistence, so killing it loses
    everything as an outage of a cache-configured Redis does. Never the shared one."""

    BINARY = "/usr/bin/redis-server"

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        log = (self.tmp_path / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [
                self.BINARY,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            cwd=self.tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        client = Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except RedisError:
                assert self.process.poll() is None, (self.tmp_path / "redis.log").read_text()[-2000:]
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.1)
        client.close()
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown, no save; clients see their connections drop."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
