"""`make run` end to end: the launcher serves Vigil with an embedded queue, a worker and the scheduler."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from app.launcher import free_port
from config import PROJECT_ROOT

pytestmark = pytest.mark.slow


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _wait_for_health(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    last: dict[str, object] = {}
    while time.monotonic() < deadline:
        assert process.poll() is None, "the launcher exited early"
        try:
            last = requests.get(url + "/healthz", timeout=2).json()
            if last.get("status") == "ok" and last["queue"]["workers"] >= 1:  # type: ignore[index]
                return last
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise AssertionError(f"Vigil did not become healthy: {last}")


def test_it_runs_vigil_with_nothing_but_python(tmp_path: Path) -> None:
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ENCRYPTION_KEYS"}
    }
    env["VIGIL_INSTANCE_PATH"] = str(tmp_path / "instance")
    process = subprocess.Popen(
        [sys.executable, "-m", "app.launcher", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        health = _wait_for_health(url, process)
        assert health["database"] == {"ok": True, "engine": "sqlite"}
        assert (tmp_path / "instance" / "vigil.db").exists()
        assert oct((tmp_path / "instance" / "secret_key").stat().st_mode & 0o777) == "0o600"

        browser = requests.Session()
        page = browser.get(url + "/").text
        assert "Welcome to Vigil" in page
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
            r'name="csrf-token" content="([^"]+)"', page
        )
        assert token is not None
        response = browser.post(
            url + "/signup",
            data={
                "csrf_token": token.group(1),
                "email": "first@example.com",
                "password": "a long password",
                "workspace": "First",
                "timezone": "UTC",
            },
            allow_redirects=False,
        )
        assert response.status_code == 302, response.text
        assert "No incident data yet" in browser.get(url + "/dashboard").text
        # The scheduler's first tick enqueued housekeeping and the worker ran it: the queues drain.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            queued = requests.get(url + "/healthz", timeout=2).json()["queue"]["queued"]
            if sum(queued.values()) == 0:
                break
            time.sleep(0.5)
        assert sum(queued.values()) == 0

        children = _children(process.pid)
        assert len(children) >= 2  # a worker and the scheduler
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    time.sleep(0.5)
    assert [
        pid
        for pid in children
        if Path(f"/proc/{pid}").exists()
        and "Z" not in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1][:3]
    ] == []
