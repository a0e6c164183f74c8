"""Request logs never keep query strings: OAuth codes and invitation tokens travel in them."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from config import PROJECT_ROOT

SECRET = "s3cr3t-c0de-in-the-query"


@pytest.fixture
def served(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def test_it_keeps_query_strings_out_of_the_development_servers_log(
    served: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        urllib.request.urlopen(f"{served}/static/favicon.svg?code={SECRET}").read()
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"{served}/invite/{SECRET}")
    lines = [record.getMessage() for record in caplog.records if record.name == "werkzeug"]
    assert any("GET /static/favicon.svg HTTP/1.1" in line for line in lines), lines
    assert any("GET /invite/[token] HTTP/1.1" in line for line in lines), lines
    assert not any(SECRET in line for line in lines)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_it_ships_a_gunicorn_config_whose_access_log_leaves_query_strings_out(
    app: Flask, tmp_path: Path
) -> None:
    settings = app.config["VIGIL"]
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "SECRET_KEY": settings.secret_key,
        "ENCRYPTION_KEYS": ",".join(settings.encryption_keys),
        "VIGIL_INSTANCE_PATH": str(tmp_path),
    }
    log = (tmp_path / "gunicorn.log").open("wb")
    # The README's production command, run from the project folder, where gunicorn finds gunicorn.conf.py.
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "app:create_app()",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{base}/static/favicon.svg?code={SECRET}", timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        # An invitation link in the form made before tokens moved to the query string.
        with pytest.raises(urllib.error.HTTPError) as not_found:
            urllib.request.urlopen(f"{base}/invite/{SECRET}", timeout=5)
        assert not_found.value.code == 404
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    output = (tmp_path / "gunicorn.log").read_text()
    assert '"GET /static/favicon.svg HTTP/1.1" 200' in output, output
    assert '"GET /invite/[token] HTTP/1.1" 404' in output, output
    assert SECRET not in output
