"""`make run`: Vigil on one machine with nothing else installed (an embedded Redis-compatible server unless
REDIS_URL is set; the worker and scheduler children run the very same `worker.py` production runs)."""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from cryptography.fernet import Fernet
from fakeredis import TcpFakeServer
from fakeredis._clients._tcp_server import TCPFakeRequestHandler
from flask_migrate import upgrade
from redis.exceptions import ResponseError
from werkzeug.serving import run_simple

from app import create_app
from app.queue import die_with_parent
from config import DEFAULT_INSTANCE, PROJECT_ROOT

log = logging.getLogger("vigil.launcher")


def ensure_instance_secrets(instance: Path) -> None:
    """Generate the secret key and the token-encryption key on first start; keep them afterwards."""
    instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    for name, make in (
        ("secret_key", lambda: secrets.token_urlsafe(48)),
        ("encryption_key", lambda: Fernet.generate_key().decode()),
    ):
        path = instance / name
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(make())
            log.info("generated %s", path)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _ErrorReplyingHandler(TCPFakeRequestHandler):  # type: ignore[misc]
    """fakeredis's TCP handler, but a command error is sent back as an error reply, as Redis does.

    Stock fakeredis (2.40) drops the connection when a command raises, e.g. EVALSHA of a script not loaded
    yet; RQ relies on the NoScriptError reply to load its Lua scripts, so its worker died on start.
    """

    def setup(self) -> None:
        super().setup()
        read = self.current_client.read_response

        def read_response(*args: object, **kwargs: object) -> object:
            try:
                return read(*args, **kwargs)
            except ResponseError as exc:
                return exc

        self.current_client.read_response = read_response


class EmbeddedRedis:
    """fakeredis's TCP server in a thread: real RQ workers in other processes connect to it like to Redis."""

    def __init__(self) -> None:
        port = free_port()
        self.url = f"redis://127.0.0.1:{port}/0"
        self.server = TcpFakeServer(("127.0.0.1", port), server_type="redis")
        self.server.RequestHandlerClass = _ErrorReplyingHandler
        # Connections still open at exit (the web app's own pool) must not keep server_close() waiting.
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="embedded-redis", daemon=True)

    def start(self) -> EmbeddedRedis:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Supervisor:
    """Keeps the worker and scheduler children running; restarts one that dies, stops all on exit."""

    def __init__(self, commands: dict[str, list[str]], env: dict[str, str]) -> None:
        self.commands = commands
        self.env = env
        self.children: dict[str, subprocess.Popen[bytes]] = {}
        self.stopping = threading.Event()

    def _spawn(self, name: str) -> None:
        self.children[name] = subprocess.Popen(
            self.commands[name], env=self.env, cwd=PROJECT_ROOT, preexec_fn=die_with_parent
        )
        log.info("started %s (pid %d)", name, self.children[name].pid)

    def start(self) -> None:
        for name in self.commands:
            self._spawn(name)
        threading.Thread(target=self._watch, name="supervisor", daemon=True).start()

    def _watch(self) -> None:
        while not self.stopping.wait(2):
            for name, child in list(self.children.items()):
                if child.poll() is not None and not self.stopping.is_set():
                    log.warning("%s exited with %s; restarting it", name, child.returncode)
                    self._spawn(name)

    def stop(self) -> None:
        self.stopping.set()
        for child in self.children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in self.children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run Vigil with its worker and scheduler.")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    parser.add_argument("--workers", type=int, default=1, help="worker processes to start")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    instance = Path(os.environ.get("VIGIL_INSTANCE_PATH") or DEFAULT_INSTANCE)
    ensure_instance_secrets(instance)
    embedded: EmbeddedRedis | None = None
    if not os.environ.get("REDIS_URL"):
        embedded = EmbeddedRedis().start()
        os.environ["REDIS_URL"] = embedded.url
        log.info("embedded queue on %s", embedded.url)

    app = create_app()
    with app.app_context():
        upgrade(directory=str(PROJECT_ROOT / "migrations"))

    worker = [sys.executable, str(PROJECT_ROOT / "worker.py")]
    commands = {f"worker-{n + 1}": worker for n in range(max(1, args.workers))}
    # A page must not wait behind a long backfill: one more worker serves only alerts and their evaluation.
    commands["worker-alerts"] = [*worker, "--queues", "deliver", "default"]
    commands["scheduler"] = [*worker, "--cron"]
    supervisor = Supervisor(commands, dict(os.environ))
    supervisor.start()
    print(f"\n  Vigil is running on http://{args.host}:{args.port}  (Ctrl-C stops it)\n", flush=True)
    try:
        run_simple(args.host, args.port, app, threaded=True, use_reloader=False)
    except KeyboardInterrupt:
        pass
    finally:
        supervisor.stop()
        if embedded is not None:
            embedded.stop()


if __name__ == "__main__":
    main()
