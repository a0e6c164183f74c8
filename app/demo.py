"""`make demo`: the normal launcher against the local PagerDuty (pdsim, a child process) with a seeded account
to link. The demo keeps its own database and pdsim data in instance/demo/, apart from `make run`'s."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import requests

from app import launcher
from config import DEFAULT_INSTANCE, PROJECT_ROOT

TOKEN = "vigil-demo-user-token"
CLIENT_ID, CLIENT_SECRET = "vigil-demo", "vigil-demo-secret"


def _wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 180) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"pdsim exited with {process.returncode}; see the messages above")
        try:
            return dict(requests.get(url, timeout=2).json())
        except (requests.RequestException, ValueError):
            time.sleep(0.5)
    raise SystemExit("pdsim did not start in time")


def banner(vigil: str, pdsim: str, admin_email: str, days: int) -> str:
    return f"""
  ┌─ Vigil demo ─────────────────────────────────────────────────────────────────────────────┐
    Vigil:            {vigil}
    Local PagerDuty:  {pdsim}   (account "acme", {admin_email})
                      its state: {pdsim}/_sim/state   its tokens: {pdsim}/_sim/tokens
                      (control API: docs/pdsim.md; ports: PORT and PDSIM_PORT)

    1. Open {vigil} and create your workspace (you are its owner).
    2. Integrations → link PagerDuty, either way:
         • "Link with PagerDuty": OAuth against the local identity server (click Allow), or
         • "Install with API token" and paste:  {TOKEN}
    3. Pick the services to follow (try "Select all"). The backfill starts within seconds;
       the account page shows its progress.
    4. Dashboard: MTTA, MTTR, change failure rate, interruptions … for {days} days of seeded history.
       New incidents: curl -X POST {pdsim}/_sim/incidents -H 'Content-Type: application/json' \\
                        -d '{{"service_id": "<a service id>", "title": "Disk full on db-1"}}'
    5. Alerts → New rule, e.g. pushed metric "demo.queue_depth", avg > 100 over 5 min, paging a service.
       Create an API key (Settings → API keys), then push a value; within a minute pdsim has the incident
       (see {pdsim}/_sim/created; pdsim's on-call people acknowledge some pages, resolve a few by hand:
       {pdsim}/_sim/responders), and pushing 10 resolves it:
         curl -X POST {vigil}/api/v1/metrics/points -H 'Authorization: Bearer <key>' \\
              -H 'Content-Type: application/json' \\
              -d '{{"points": [{{"name": "demo.queue_depth", "value": 150}}]}}'
  └──────────────────────────────────────────────────────────────────────────────────────────┘
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Vigil with a local PagerDuty.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    parser.add_argument("--pdsim-port", type=int, default=int(os.environ.get("PDSIM_PORT", "5055")))
    parser.add_argument("--incidents", type=int, default=5000)
    parser.add_argument("--days", type=int, default=180)
    args = parser.parse_args(argv)

    instance = Path(os.environ.get("VIGIL_INSTANCE_PATH") or DEFAULT_INSTANCE / "demo")
    instance.mkdir(parents=True, exist_ok=True)
    pdsim_url = f"http://127.0.0.1:{args.pdsim_port}"
    vigil_url = f"http://127.0.0.1:{args.port}"
    # Generation flags equal to the previous run's reuse instance/demo/pdsim.db instead of regenerating it.
    pdsim = subprocess.Popen(
        [
            sys.executable, "-m", "pdsim", "serve", "--host", "127.0.0.1", "--port", str(args.pdsim_port),
            "--seed", "42", "--incidents", str(args.incidents), "--days", str(args.days),
            "--db", str(instance / "pdsim.db"), "--api-token", TOKEN,
            "--oauth-client", f"{CLIENT_ID}:{CLIENT_SECRET}", "--responders",
        ],
        cwd=PROJECT_ROOT,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        state = _wait_for(f"{pdsim_url}/_sim/state", pdsim)
        os.environ.update(
            {
                "VIGIL_INSTANCE_PATH": str(instance),
                "PAGERDUTY_API_URL": pdsim_url,
                "PAGERDUTY_EU_API_URL": f"{pdsim_url}/eu",
                "PAGERDUTY_IDENTITY_URL": pdsim_url,
                "PAGERDUTY_CLIENT_ID": CLIENT_ID,
                "PAGERDUTY_CLIENT_SECRET": CLIENT_SECRET,
                # pdsim can reach Vigil here, so near-real-time sync (webhooks) works in the demo too.
                "VIGIL_BASE_URL": vigil_url,
                "VIGIL_SYNC_INTERVAL_SECONDS": os.environ.get("VIGIL_SYNC_INTERVAL_SECONDS", "60"),
                # Rules are evaluated every 30 s here, so a demo rule pages well within a minute.
                "VIGIL_ALERT_INTERVAL_SECONDS": os.environ.get("VIGIL_ALERT_INTERVAL_SECONDS", "30"),
            }
        )
        print(banner(vigil_url, pdsim_url, str(state.get("admin_email")), args.days), flush=True)
        launcher.main(["--port", str(args.port)])
    finally:
        pdsim.terminate()
        try:
            pdsim.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pdsim.kill()


if __name__ == "__main__":
    main()
