"""Requests through one PagerDuty token go one at a time across workers and processes (a sync, deliveries,
lookups); other tokens are not held up."""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flask import Flask

from app import crypto
from app.extensions import db
from app.integrations.pagerduty.credentials import client_for
from app.integrations.pagerduty.serial import SerialSession, queue_connection
from app.models import PagerDutyAccount
from tests.factories import Personas, make_pd_account


class SlowServer:
    """Answers after 150 ms, or, once `meet` is set, as soon as that many requests are in at once (or after
    5 s): requests that may overlap are then sure to, however slowly the threads start."""

    def __init__(self) -> None:
        self.active = 0
        self.most = 0
        self.arrivals: list[float] = []
        self.paths: list[str] = []
        self.meet: int | None = None
        self.guard = threading.Condition()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with server.guard:
                    server.arrivals.append(time.monotonic())
                    server.paths.append(self.path)
                    server.active += 1
                    server.most = max(server.most, server.active)
                    server.guard.notify_all()
                    if server.meet is not None:
                        server.guard.wait_for(lambda: server.most >= (server.meet or 0), timeout=5)
                if server.meet is None:
                    time.sleep(0.15)
                with server.guard:
                    server.active -= 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def server() -> Iterator[SlowServer]:
    running = SlowServer()
    yield running
    running.httpd.shutdown()


@pytest.fixture
def settings_overrides(server: SlowServer) -> dict[str, object]:
    return {"pagerduty_api_url": server.url.rstrip("/")}


def _fire(app: Flask, server: SlowServer, accounts: list[int]) -> None:
    def call(account_id: int) -> None:
        with app.app_context():
            assert SerialSession(account_id, queue_connection()).get(server.url, timeout=5).status_code == 200

    threads = [threading.Thread(target=call, args=(a,)) for a in accounts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)


def test_one_token_one_request_at_a_time(app: Flask, server: SlowServer) -> None:
    _fire(app, server, [7, 7, 7, 7])
    assert server.most == 1


def test_different_tokens_go_side_by_side(app: Flask, server: SlowServer) -> None:
    server.meet = 3  # each request waits for the other two: only if none is held back do they meet
    _fire(app, server, [7, 8, 9])
    assert server.most == 3


def test_a_sync_and_deliveries_through_one_account_take_turns(
    app: Flask, personas: Personas, server: SlowServer
) -> None:
    """The sync's client and the alert deliveries' sessions act as the same token: one request at a time."""
    account = make_pd_account(personas.workspace, access_token_enc=crypto.encrypt("token-1"))
    db.session.commit()
    account_id = account.id

    def as_sync() -> None:
        with app.app_context():
            client = client_for(db.session.get(PagerDutyAccount, account_id))
            for _ in range(2):
                assert client.get("/incidents") == {}

    def as_delivery() -> None:
        with app.app_context():
            session = SerialSession(account_id, queue_connection())
            assert session.get(server.url, timeout=5).status_code == 200

    threads = [threading.Thread(target=f) for f in (as_sync, as_delivery, as_delivery, as_sync)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(server.arrivals) == 6
    assert server.most == 1


def test_a_forked_download_waits_for_the_turn_too(app: Flask, server: SlowServer) -> None:
    """The sync downloads in a forked process with a copy of the session: its requests still wait."""
    session = SerialSession(42, queue_connection())
    assert session.connection is not None
    turn = session.connection.lock(session.key, timeout=10)
    assert turn.acquire(blocking=False)
    child = multiprocessing.get_context("fork").Process(target=session.get, args=(server.url,))
    child.start()
    time.sleep(0.5)
    released = time.monotonic()
    turn.release()
    child.join(10)
    assert child.exitcode == 0
    assert len(server.arrivals) == 1 and server.arrivals[0] >= released


def test_a_sync_keeps_the_turn_for_a_slice_and_lets_a_page_in_between(app: Flask, server: SlowServer) -> None:
    """The sync holds the turn across its back-to-back requests for a short slice, not per request; a delivery
    asking meanwhile goes at the end of that slice, long before the sync's requests are done."""

    def as_sync() -> None:
        with app.app_context():
            session = SerialSession(5, queue_connection(), slice_seconds=0.25)
            for n in range(8):
                assert session.get(f"{server.url}sync/{n}", timeout=5).status_code == 200
            session.close()

    def as_delivery() -> None:
        time.sleep(0.3)  # the sync is under way
        with app.app_context():
            assert SerialSession(5, queue_connection()).get(f"{server.url}page", timeout=5).status_code == 200

    threads = [threading.Thread(target=as_sync), threading.Thread(target=as_delivery)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)
    assert server.most == 1
    assert len(server.paths) == 9
    assert 2 <= server.paths.index("/page") <= 5, server.paths  # in turn, at the end of a slice
    with app.app_context():
        turn = queue_connection()
        assert turn is not None and turn.get("vigil:pd-token:5") is None  # closing gave the turn back
