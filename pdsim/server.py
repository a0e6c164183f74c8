"""Serving: WSGI layers for regions, faults and the request log, and a werkzeug threaded server.

US answers at the root and EU under `/eu` with the same paths; which one holds the account is decided in
the REST gate (the other gives 401). Only REST paths exist under `/eu`: the identity server and `/_sim/`
live at the root, as PagerDuty's identity host is shared by both regions.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from pdsim.app import create_app
from pdsim.faults import Decision, FaultInjector
from pdsim.requestlog import RequestLog
from pdsim.sim import Simulator
from pdsim.tls import self_signed, server_context

log = logging.getLogger(__name__)
Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WsgiApp = Callable[[Environ, StartResponse], Iterable[bytes]]
ROOT_ONLY = ("/_sim", "/oauth", "/global")


def _json(
    start_response: StartResponse,
    status: str,
    body: dict[str, Any] | None,
    headers: list[tuple[str, str]] | None = None,
) -> list[bytes]:
    raw = json.dumps(body).encode() if body is not None else b""
    extra = [("Content-Type", "application/json; charset=utf-8")] if body is not None else []
    start_response(status, [*extra, ("Content-Length", str(len(raw))), *(headers or [])])
    return [raw]


class RegionMiddleware:
    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        environ["pdsim.region"] = "us"
        if path == "/eu" or path.startswith("/eu/"):
            rest = path[3:] or "/"
            if rest.startswith(ROOT_ONLY):
                return _json(
                    start_response, "404 NOT FOUND", {"error": {"message": "Not Found", "code": 2100}}
                )
            environ["pdsim.region"] = "eu"
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + "/eu"
            environ["PATH_INFO"] = rest
        return self.app(environ, start_response)


class FaultMiddleware:
    """Applies `/_sim/faults` before the request reaches Flask."""

    def __init__(self, app: WsgiApp, faults: FaultInjector, limit: Callable[[], int]) -> None:
        self.app, self.faults, self.limit = app, faults, limit

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        decision: Decision = self.faults.decide(environ.get("PATH_INFO", ""))
        if decision.drop:
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            # werkzeug treats ConnectionError as "client went away" and writes nothing more.
            raise ConnectionResetError("pdsim fault: dropped connection")
        if decision.latency_s:
            time.sleep(decision.latency_s)
        if decision.rate_limited:
            if not decision.rate_limit_headers:
                return _json(start_response, "429 TOO MANY REQUESTS", None)
            headers = [
                ("ratelimit-limit", str(self.limit())),
                ("ratelimit-remaining", "0"),
                ("ratelimit-reset", "20"),
            ]
            return _json(
                start_response,
                "429 TOO MANY REQUESTS",
                {"error": {"message": "Rate Limit Exceeded", "code": 2020}},
                headers,
            )
        if decision.error_status:
            status = f"{decision.error_status} ERROR"
            return _json(
                start_response, status, {"error": {"message": "Internal Server Error", "code": 2000}}
            )
        return self.app(environ, start_response)


class RequestLogMiddleware:
    def __init__(self, app: WsgiApp, requests: RequestLog) -> None:
        self.app, self.requests = app, requests

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        seen: dict[str, int] = {}

        def recording_start_response(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            seen["status"] = int(status.split()[0])
            return start_response(status, headers, *rest)

        path = environ.get("PATH_INFO", "")
        try:
            return self.app(environ, recording_start_response)
        finally:
            if not path.startswith("/_sim") and not path.startswith("/eu/_sim"):
                auth = environ.get("HTTP_AUTHORIZATION", "")
                token = auth.split("=", 1)[1] if auth.startswith("Token token=") else auth[7:] or None
                self.requests.record(
                    environ.get("REQUEST_METHOD", ""),
                    path,
                    environ.get("pdsim.route"),
                    token,
                    seen.get("status", 0),
                    environ.get("pdsim.region", "us"),
                    environ.get("QUERY_STRING", ""),
                )


def build_wsgi(sim: Simulator) -> WsgiApp:
    app = create_app(sim)
    wrapped: WsgiApp = FaultMiddleware(app.wsgi_app, sim.faults, lambda: sim.limiter.limits.per_token)
    wrapped = RegionMiddleware(wrapped)
    return RequestLogMiddleware(wrapped, sim.requests)


class QuietHandler(WSGIRequestHandler):
    """Request lines go to the `pdsim.server` logger at DEBUG instead of stderr."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug("%s %s %s", self.command, self.path, code)

    def log(self, type: str, message: str, *args: Any) -> None:
        log.debug(message, *args)


class SimServer:
    """A threaded werkzeug server for one Simulator; `start()` serves from a background thread.

    With `tls=True` it serves HTTPS with a self-signed certificate written to `tls_dir` (default: beside the
    database); clients trust `ca_file`.
    """

    def __init__(
        self,
        sim: Simulator,
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool = False,
        tls_dir: Path | None = None,
    ) -> None:
        self.sim = sim
        self.ca_file: Path | None = None
        context = None
        if tls:
            cert, key = self_signed(tls_dir or sim.store.path.parent / (sim.store.path.name + ".tls"))
            self.ca_file = cert
            context = server_context(cert, key)
        self.httpd: BaseWSGIServer = make_server(
            host, port, build_wsgi(sim), threaded=True, request_handler=QuietHandler, ssl_context=context
        )
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_port
        display = "127.0.0.1" if host in ("0.0.0.0", "") else host
        sim.root_url = f"{'https' if tls else 'http'}://{display}:{self.port}"
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self.sim.start()
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="pdsim-http", daemon=True
        )
        self._thread.start()

    def serve_forever(self) -> None:
        self.sim.start()
        self.httpd.serve_forever(poll_interval=0.2)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)
        self.sim.close()
