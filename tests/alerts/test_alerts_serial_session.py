"""Requests through one PagerDuty token go one at a time across workers; other tokens are not held up."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flask import Flask

from app.integrations.pagerduty.deliver import SerialSession


class SlowServer:
    """Answers after 150 ms, or, once `meet` is set, as soon as that many requests are in at once (or after
    5 s): requests that may overlap are then sure to, however slowly the threads start."""

    def __init__(self) -> None:
        self.active = 0
        self.most = 0
        self.meet: int | None = None
        self.guard = threading.Condition()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with server.guard:
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
                self.send_header("Content-Length", "0")
                self.end_headers()

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


def _fire(app: Flask, server: SlowServer, accounts: list[int]) -> None:
    def call(account_id: int) -> None:
        with app.app_context():
            assert SerialSession(account_id).get(server.url, timeout=5).status_code == 200

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
