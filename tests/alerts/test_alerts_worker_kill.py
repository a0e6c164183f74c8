"""A real worker process SIGKILLed after PagerDuty created the incident but before Vigil recorded it.

A proxy between the worker and pdsim forwards `POST /incidents`, receives pdsim's 201 and holds it back: the
incident exists in PagerDuty, the worker is still waiting for the answer, and then it is killed. The episode
must still end with exactly one PagerDuty incident, resolved when the rule recovers.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy import delete, select

from app.alerts import outbox
from app.alerts.evaluate import evaluate_all
from app.alerts.jobs import enqueue_deliveries, requeue_owed
from app.extensions import db
from app.models import Delivery, DeliveryStatus, MetricPoint
from app.models.types import utcnow
from pdsim.testing import RunningSim
from tests.processes import kill_hard, start_worker

pytestmark = pytest.mark.slow


class HoldingProxy:
    """Forwards to pdsim; while `hold` is set, answers to POST /incidents are swallowed (pdsim acted)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.hold = threading.Event()
        self.answered = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")
                }
                answer = requests.request(
                    self.command, proxy.upstream + self.path, data=body, headers=headers, timeout=30
                )
                if self.command == "POST" and self.path.startswith("/incidents") and proxy.hold.is_set():
                    proxy.answered.set()
                    time.sleep(60)  # never answer: the worker is killed meanwhile
                    return
                self.send_response(answer.status_code)
                for key, value in answer.headers.items():
                    if key.lower() not in (
                        "content-length",
                        "transfer-encoding",
                        "connection",
                        "content-encoding",
                    ):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_PUT = _forward

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def proxy(sim: RunningSim) -> Iterator[HoldingProxy]:
    running = HoldingProxy(sim.us_url)
    yield running
    running.server.shutdown()


def _worker(app: Flask, api_url: str, tmp_path: Path, name: str, burst: bool) -> subprocess.Popen[bytes]:
    env = {"PAGERDUTY_API_URL": api_url, "VIGIL_DELIVER_LEASE_SECONDS": "2"}
    return start_worker(app, tmp_path, name, ["deliver"], burst=burst, env=env)


def _delivery() -> Delivery:
    db.session.expire_all()
    return db.session.scalars(select(Delivery)).one()


def test_an_episode_still_ends_with_one_incident(
    app: Flask, sim: RunningSim, proxy: HoldingProxy, make_rule, push, tick, tmp_path: Path
) -> None:
    rule = make_rule()
    push(150)
    result = evaluate_all()
    proxy.hold.set()
    enqueue_deliveries(result.deliveries)
    worker = _worker(app, proxy.url, tmp_path, "doomed", burst=False)
    try:
        assert proxy.answered.wait(60), (tmp_path / "doomed.log").read_text()[-2000:]
        kill_hard(worker)
    finally:
        if worker.poll() is None:
            kill_hard(worker)
    [incident] = sim.control.created()  # PagerDuty created it...
    assert _delivery().status is DeliveryStatus.SENDING  # ...and Vigil never heard back.
    proxy.hold.clear()

    time.sleep(2.2)  # the dead worker's lease (and its hold on the token's lock) runs out
    _, abandoned = outbox.stale_deliveries(utcnow())
    assert abandoned == [_delivery().id]
    assert requeue_owed(utcnow()) == 1
    survivor = _worker(app, proxy.url, tmp_path, "survivor", burst=True)
    assert survivor.wait(60) == 0, (tmp_path / "survivor.log").read_text()[-2000:]

    delivery = _delivery()
    assert delivery.status is DeliveryStatus.SENT
    assert delivery.pd_incident_id == incident["id"]
    assert delivery.note == "adopted the open incident with this key"
    assert len(sim.control.created()) == 1

    db.session.execute(delete(MetricPoint))
    db.session.commit()
    push(1)
    tick()
    assert [(i["incident_key"], i["status"]) for i in sim.control.created()] == [
        (f"vigil/rule/{rule.uid}/episode/1", "resolved")
    ]
