"""Alerting rides out outages: real worker and scheduler processes, a Redis of the test's own killed with
SIGKILL and started again (empty), PostgreSQL connections terminated, a worker SIGKILLed; each time a rule
still fires and pages PagerDuty (pdsim) once, and /healthz says what is true at every step.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rq.job import Job, JobStatus
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from app.extensions import db
from app.jobs import prune_metric_points
from app.models import AlertRule
from app.queue import ALIVE_SECONDS, DEFAULT, enqueue, redis_connection
from pdsim.testing import RunningSim
from tests.processes import RedisServer, children_of, kill_hard, running, start_cron, start_worker

pytestmark = pytest.mark.slow

INTERVAL = 10  # VIGIL_ALERT_INTERVAL_SECONDS for these processes: the setting's minimum
# What a loaded 2-core machine may add to one interval before a page is out: process wake-ups, a worker's
# reconnection, the evaluation pass and the HTTP request to pdsim.
ALLOWANCE = 10


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, object], own_redis: RedisServer) -> dict[str, object]:
    return {**settings_overrides, "redis_url": own_redis.url, "alert_interval_seconds": INTERVAL}


@pytest.fixture
def processes(app: Flask, sim: RunningSim, tmp_path: Path) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """A worker on the alert queues and the periodic scheduler, as production runs them."""
    env = {"PAGERDUTY_API_URL": sim.us_url, "VIGIL_ALERT_INTERVAL_SECONDS": str(INTERVAL)}
    started = {
        "worker": start_worker(app, tmp_path, "worker", ["deliver", "default"], burst=False, env=env),
        "cron": start_cron(app, tmp_path, "cron", env=env),
    }
    yield started
    for process in started.values():
        if process.poll() is None:
            kill_hard(process)


def logs(tmp_path: Path) -> str:
    return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(tmp_path.glob("*.log")))


def wait_for(what: Callable[[], Any], seconds: float, why: Callable[[], str]) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        found = what()
        if found:
            return found
        assert time.monotonic() < deadline, why()
        time.sleep(0.25)


def health(client: FlaskClient) -> tuple[int, dict[str, Any]]:
    response = client.get("/healthz")
    return response.status_code, response.get_json()


def test_it_pages_within_an_interval_of_redis_coming_back(
    app: Flask,
    client: FlaskClient,
    sim: RunningSim,
    own_redis: RedisServer,
    processes: dict[str, subprocess.Popen[bytes]],
    make_rule: Callable[..., AlertRule],
    push: Callable[..., None],
    tmp_path: Path,
) -> None:
    make_rule()
    status, body = wait_for(
        lambda: (s := health(client))[1]["alerts"]["last_evaluation"] and s,
        30,
        lambda: f"{health(client)} {logs(tmp_path)}",
    )
    assert status == 200, body
    assert body["queue"]["workers"] == 1

    own_redis.kill()
    status, body = health(client)
    assert status == 503
    assert body["problems"] == ["the queue does not answer (ConnectionError)"]
    push(150)  # the rule now breaches, while nothing can be enqueued
    time.sleep(INTERVAL + 2)  # longer than an interval: the scheduler's tick falls inside the outage
    assert {name: p.poll() for name, p in processes.items()} == {"worker": None, "cron": None}

    own_redis.start()  # empty: no job, no lock, no registration survived
    wait_for(sim.control.created, INTERVAL + ALLOWANCE, lambda: logs(tmp_path))
    [incident] = sim.control.created()
    assert incident["title"] == "[critical] Queue too deep: avg(queue.depth) is 150 (> 100)"

    status, body = wait_for(
        lambda: (s := health(client))[0] == 200 and s, INTERVAL, lambda: f"{health(client)} {logs(tmp_path)}"
    )
    assert body["queue"]["workers"] == 1
    assert body["queue"]["scheduler_last_tick_seconds_ago"] < INTERVAL
    time.sleep(INTERVAL + 2)  # another pass: the open episode pages nobody twice
    assert len(sim.control.created()) == 1
    assert {name: p.poll() for name, p in processes.items()} == {"worker": None, "cron": None}


def test_a_worker_killed_takes_its_scheduler_with_it_and_another_takes_over(
    app: Flask,
    client: FlaskClient,
    sim: RunningSim,
    processes: dict[str, subprocess.Popen[bytes]],
    make_rule: Callable[..., AlertRule],
    push: Callable[..., None],
    tmp_path: Path,
) -> None:
    make_rule()
    wait_for(lambda: health(client)[1]["alerts"]["last_evaluation"], 30, lambda: logs(tmp_path))
    doomed = processes["worker"]
    [scheduler] = children_of(doomed.pid)  # RQ's delayed-job scheduler, forked by the worker

    os.kill(doomed.pid, signal.SIGKILL)  # the worker alone, as the OOM killer does
    doomed.wait(timeout=10)
    wait_for(lambda: not running(scheduler), 10, lambda: f"scheduler {scheduler} outlived its worker")
    status, body = wait_for(
        lambda: (s := health(client))[1]["queue"]["workers"] == 0 and s,
        2 * ALIVE_SECONDS,
        lambda: logs(tmp_path),
    )
    assert status == 503
    assert "no worker is running" in body["problems"]

    env = {"PAGERDUTY_API_URL": sim.us_url, "VIGIL_ALERT_INTERVAL_SECONDS": str(INTERVAL)}
    processes["worker"] = start_worker(
        app, tmp_path, "survivor", ["deliver", "default"], burst=False, env=env
    )
    push(150)
    wait_for(sim.control.created, INTERVAL + ALLOWANCE, lambda: logs(tmp_path))
    # A delayed job runs too: the survivor's scheduler took over the locks the dead one released.
    enqueue(prune_metric_points, queue=DEFAULT, job_id="delayed-check", delay=timedelta(seconds=1))
    wait_for(
        lambda: Job.fetch("delayed-check", connection=redis_connection()).get_status() == JobStatus.FINISHED,
        ALLOWANCE,
        lambda: logs(tmp_path),
    )
    status, body = wait_for(lambda: (s := health(client))[0] == 200 and s, INTERVAL, lambda: logs(tmp_path))
    assert body["queue"]["workers"] == 1
    assert len(sim.control.created()) == 1


@pytest.fixture
def database_admin(app: Flask, postgres_server_url: str | None) -> Iterator[tuple[Engine, str]]:
    if postgres_server_url is None:
        pytest.skip("needs PostgreSQL (DATABASE_URL): SQLite has no server to lose")
    admin = create_engine(
        make_url(postgres_server_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    name = make_url(app.config["VIGIL"].database_url).database
    yield admin, name
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))
    admin.dispose()


def test_it_pages_within_an_interval_of_postgresql_coming_back(
    app: Flask,
    client: FlaskClient,
    sim: RunningSim,
    processes: dict[str, subprocess.Popen[bytes]],
    database_admin: tuple[Engine, str],
    make_rule: Callable[..., AlertRule],
    push: Callable[..., None],
    tmp_path: Path,
) -> None:
    make_rule()
    wait_for(lambda: health(client)[1]["alerts"]["last_evaluation"], 30, lambda: logs(tmp_path))
    admin, name = database_admin
    with admin.connect() as conn:
        # The test's own database only: no new connection, and every open one (workers', web's) terminated.
        conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
        terminated = conn.execute(
            text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = :name"),
            {"name": name},
        ).scalar_one()
    assert terminated >= 1
    status, body = health(client)
    assert status == 503
    assert body["problems"][0].startswith("the database does not answer")
    time.sleep(INTERVAL + 2)  # an evaluation pass falls inside the outage and fails
    assert {name: p.poll() for name, p in processes.items()} == {"worker": None, "cron": None}

    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))
    db.session.rollback()  # the session held a connection PostgreSQL terminated
    push(150)
    wait_for(sim.control.created, INTERVAL + ALLOWANCE, lambda: logs(tmp_path))
    status, body = wait_for(lambda: (s := health(client))[0] == 200 and s, INTERVAL, lambda: logs(tmp_path))
    assert body["database"]["ok"] is True
    time.sleep(INTERVAL + 2)
    assert len(sim.control.created()) == 1
