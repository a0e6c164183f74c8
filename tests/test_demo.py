"""`make demo` end to end: pdsim and Vigil start, a linked account backfills the whole seeded history."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from app.demo import TOKEN
from app.launcher import free_port
from config import PROJECT_ROOT

pytestmark = pytest.mark.slow


def _flask(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_it_gives_a_new_user_a_working_tour(tmp_path: Path) -> None:
    port, pdsim_port = free_port(), free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ENCRYPTION_KEYS"}
    }
    env["VIGIL_INSTANCE_PATH"] = str(tmp_path)
    log = (tmp_path / "demo.log").open("wb")
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.demo",
            "--port",
            str(port),
            "--pdsim-port",
            str(pdsim_port),
            "--incidents",
            "600",
            "--days",
            "60",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    vigil, pdsim = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{pdsim_port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert demo.poll() is None, (tmp_path / "demo.log").read_text()[-3000:]
            try:
                if requests.get(vigil + "/healthz", timeout=2).json()["status"] == "ok":
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "the demo did not come up"
            time.sleep(0.5)
        output = (tmp_path / "demo.log").read_text()
        assert TOKEN in output and "Link with PagerDuty" in output
        # The banner's way to pdsim's switches answers, and the button it names is the one on the page.
        assert f"{pdsim}/_sim/tokens" in output and f"{pdsim}/_sim/state" in output
        tokens = requests.get(pdsim + "/_sim/tokens", timeout=5).json()["api_tokens"]
        assert TOKEN in {token["token"] for token in tokens}
        assert '"Select all"' in output

        redis_url = next(word for word in output.split() if word.startswith("redis://127.0.0.1:"))
        cli = {
            **env,
            "REDIS_URL": redis_url,
            "PAGERDUTY_API_URL": pdsim,
            "PAGERDUTY_EU_API_URL": pdsim + "/eu",
            "PAGERDUTY_IDENTITY_URL": pdsim,
        }
        _flask(
            cli,
            "users",
            "create",
            "--email",
            "new@example.com",
            "--password",
            "a long password",
            "--workspace",
            "Demo",
        )
        _flask(cli, "pagerduty", "link", "--workspace", "Demo", "--token", TOKEN)
        _flask(cli, "pagerduty", "services", "--workspace", "Demo", "--select-all")

        expected = requests.get(pdsim + "/_sim/state", timeout=5).json()["counts"]["incidents"]
        deadline = time.monotonic() + 120
        synced = 0
        while synced < expected:
            assert time.monotonic() < deadline, f"backfill stalled at {synced}/{expected}"
            time.sleep(1)
            with sqlite3.connect(tmp_path / "vigil.db") as conn:
                synced = conn.execute("SELECT count(*) FROM incidents").fetchone()[0]
                status = conn.execute("SELECT status FROM sync_runs ORDER BY id DESC LIMIT 1").fetchone()
        assert synced == expected
        assert status is not None

        # Alerts: a rule pages pdsim within a minute of its condition becoming true, and resolves after.
        with sqlite3.connect(tmp_path / "vigil.db") as conn:
            service_id = conn.execute(
                "SELECT remote_id FROM pd_services WHERE status = 'active' ORDER BY name LIMIT 1"
            ).fetchone()[0]
            account_id = conn.execute("SELECT id FROM pd_accounts").fetchone()[0]
        rule = {
            "name": "Demo queue depth",
            "signal": "pushed",
            "metric": "demo.queue_depth",
            "aggregation": "avg",
            "window_seconds": 300,
            "operator": ">",
            "threshold": 100,
            "targets": [{"account": account_id, "service": service_id}],
        }
        (tmp_path / "rule.json").write_text(json.dumps(rule))
        _flask(cli, "alerts", "create", "--workspace", "Demo", str(tmp_path / "rule.json"))
        key = _flask(cli, "api-keys", "create", "--workspace", "Demo", "--name", "demo").strip()

        def push(value: float) -> None:
            body = {"points": [{"name": "demo.queue_depth", "value": value}]}
            answer = requests.post(
                vigil + "/api/v1/metrics/points",
                json=body,
                headers={"Authorization": f"Bearer {key}"},
                timeout=5,
            )
            assert answer.status_code == 202, answer.text

        def wait_for_page(status: str) -> float:
            started = time.monotonic()
            while time.monotonic() - started < 60:
                created = requests.get(pdsim + "/_sim/created", timeout=5).json()["incidents"]
                if created and created[-1]["status"] == status:
                    assert len(created) == 1, created
                    return time.monotonic() - started
                time.sleep(1)
            raise AssertionError(f"no {status} page within a minute: {created}")

        push(150)
        wait_for_page("triggered")
        push(10)  # the 5-minute average drops to 80
        wait_for_page("resolved")
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            demo.wait(timeout=30)
        except subprocess.TimeoutExpired:
            demo.kill()
            raise
