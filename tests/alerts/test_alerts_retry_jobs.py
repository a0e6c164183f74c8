"""A delivery that meets a 5xx is retried by a job of its own: RQ saves a finishing job's record over
anything enqueued under its id, so a retry under the same id would read "finished" before it ran."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from rq.job import Job, JobStatus
from sqlalchemy import select

from app.alerts.jobs import delivery_job_id
from app.extensions import db
from app.models import AlertRule, Delivery, DeliveryStatus
from app.queue import DELIVER, enqueue, get_queue, redis_connection
from pdsim.testing import RunningSim


def _deliveries(rule: AlertRule) -> list[Delivery]:
    db.session.expire_all()
    return list(db.session.scalars(select(Delivery).where(Delivery.rule_id == rule.id)))


def test_it_sends_the_retry_from_a_scheduled_job_of_its_own(
    sim: RunningSim,
    make_rule: Callable[..., AlertRule],
    push: Callable[..., None],
    tick: Callable[..., object],
    run_jobs: Callable[[], int],
) -> None:
    rule = make_rule()
    sim.control.set_faults(error_rate=1.0, error_status=503, paths=["/incidents"])
    push(150)
    tick()  # a real worker runs the delivery: 503s, so it schedules its retry and ends
    [trigger] = _deliveries(rule)
    assert trigger.status is DeliveryStatus.RETRYING
    schedule = get_queue(DELIVER).scheduled_job_registry
    [retry_id] = schedule.get_job_ids()
    assert retry_id != delivery_job_id(trigger.id)
    retry = Job.fetch(retry_id, connection=redis_connection())
    assert (retry.get_status(), retry.args) == (JobStatus.SCHEDULED, (trigger.id,))

    sim.control.clear_faults()
    schedule.remove(retry_id)  # its time comes: the worker's scheduler moves it onto the queue
    get_queue(DELIVER).enqueue_job(retry)
    assert run_jobs() == 1
    [trigger] = _deliveries(rule)
    assert trigger.status is DeliveryStatus.SENT
    assert len(sim.control.created()) == 1


def reenqueue_itself() -> None:
    enqueue(reenqueue_itself, job_id="selfish")


def test_it_refuses_a_job_enqueueing_itself_under_its_own_id(app: Flask, run_jobs: Callable[[], int]) -> None:
    job = enqueue(reenqueue_itself, job_id="selfish")
    run_jobs()
    assert job.get_status(refresh=True) == JobStatus.FAILED
    assert "cannot enqueue its own continuation under its own id" in (job.latest_result().exc_string or "")
    assert get_queue("default").count == 0
