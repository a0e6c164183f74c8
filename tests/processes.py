"""Real `worker.py` processes for the tests that kill or race workers."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

from flask import Flask

from app.config import PROJECT_ROOT


def start_worker(
    app: Flask, tmp_path: Path, name: str, queues: list[str], *, burst: bool, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    """A worker on `queues` with the test app's database, queue and keys (plus `env`), logging to
    tmp_path/<name>.log. It leads a process group of its own, so `kill_hard` also takes the scheduler process
    RQ starts beside it (SIGKILL to the worker alone would leave that one running)."""
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
    args = [
        sys.executable,
        str(PROJECT_ROOT / "worker.py"),
        "--queues",
        *queues,
        *(["--burst"] if burst else []),
    ]
    log = (tmp_path / f"{name}.log").open("wb")
    return subprocess.Popen(
        args, env=full_env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def kill_hard(worker: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and everything it started, as a machine losing power would."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
