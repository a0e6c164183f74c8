"""/healthz: 200 only while alerting works, otherwise 503 naming what stalled."""

import time
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from app import queue
from app.jobs import tick_hourly
from app.queue import DEFAULT, enqueue, get_queue, redis_connection


@pytest.fixture
def running() -> None:
    """A worker that beats and a scheduler that ticked, as `worker.py` and `worker.py --cron` record them."""
    queue.beat(redis_connection(), "worker-a")
    queue.record_tick(redis_connection())


def test_it_reports_database_and_queue_health(client: FlaskClient, running: None) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["problems"] == []
    assert body["database"]["ok"] is True
    assert body["queue"]["ok"] is True
    assert body["queue"]["workers"] == 1
    assert body["queue"]["oldest_due_job"] is None
    assert body["queue"]["scheduler_last_tick_seconds_ago"] < 5
    assert set(body["queue"]["queued"]) == {"sync", "deliver", "default"}
    assert body["alerts"] == {
        "ok": True,
        "enabled_rules": 0,
        "last_evaluation": None,
        "oldest_evaluation_seconds_ago": None,
    }


def test_it_counts_only_workers_whose_heartbeat_is_recent(client: FlaskClient, running: None) -> None:
    # Killed workers stop beating; their last beat stays behind in Redis.
    for name in ("killed-1", "killed-2", "killed-3"):
        queue.beat(redis_connection(), name, now=time.time() - 4 * queue.ALIVE_SECONDS)
    assert client.get("/healthz").get_json()["queue"]["workers"] == 1


def test_it_is_503_without_a_live_worker(client: FlaskClient) -> None:
    queue.record_tick(redis_connection())
    queue.beat(redis_connection(), "killed", now=time.time() - 4 * queue.ALIVE_SECONDS)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["problems"] == ["no worker is running"]


def test_it_is_503_when_the_scheduler_never_ticked(client: FlaskClient) -> None:
    queue.beat(redis_connection(), "worker-a")
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["problems"] == ["the scheduler has not ticked"]


def test_it_is_503_when_the_scheduler_stopped_ticking(client: FlaskClient) -> None:
    queue.beat(redis_connection(), "worker-a")
    queue.record_tick(redis_connection(), now=time.time() - 200)  # 3 intervals of 60 s: 180 s
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["problems"] == ["the scheduler has not ticked for 200 s"]


def test_it_is_503_when_a_scheduled_job_is_far_past_its_time(client: FlaskClient, running: None) -> None:
    job = enqueue(tick_hourly, queue=DEFAULT, job_id="late-one", delay=timedelta(seconds=30))
    # No scheduler moved it: it is still in the schedule 200 s after its time.
    registry = get_queue(DEFAULT).scheduled_job_registry
    redis_connection().zadd(registry.key, {job.id: time.time() - 200})
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["queue"]["oldest_due_job"]["id"] == "late-one"
    assert body["problems"] == ["job late-one on default is 200 s past its time"]


def test_it_reports_a_job_waiting_on_the_alert_queues(client: FlaskClient, running: None) -> None:
    enqueue(tick_hourly, queue=DEFAULT, job_id="waiting-one")
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok"
    assert body["queue"]["oldest_due_job"]["id"] == "waiting-one"
    assert body["queue"]["oldest_due_job"]["late_seconds"] < 60


class TestWithTheQueueDown:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"redis_url": "redis://127.0.0.1:1/0"}

    def test_it_answers_503_and_names_the_failing_part(self, client: FlaskClient) -> None:
        response = client.get("/healthz")
        assert response.status_code == 503
        body = response.get_json()
        assert body["status"] == "degraded"
        assert body["database"]["ok"] is True
        assert body["queue"] == {"ok": False, "error": "ConnectionError"}
        assert body["problems"] == ["the queue does not answer (ConnectionError)"]
