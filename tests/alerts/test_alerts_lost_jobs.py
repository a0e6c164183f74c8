"""A page whose job vanished from the queue (found by the alerting benchmark, bench/alerts.py) is sent."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from app.alerts import evaluate, outbox
from app.alerts.jobs import delivery_job_id, enqueue_deliveries, requeue_owed
from app.extensions import db
from app.models import AlertRule, Delivery, DeliveryStatus
from app.models.types import utcnow
from app.queue import DELIVER, get_queue
from pdsim.testing import RunningSim


def test_it_sends_a_page_whose_queued_job_left_the_queue_without_running(
    sim: RunningSim, make_rule: Callable[..., AlertRule], push: Callable[..., None], run_jobs
) -> None:
    make_rule()
    push(150)
    result = evaluate.evaluate_all()
    enqueue_deliveries(result.deliveries)
    [delivery_id] = result.deliveries
    # A worker took the job off the list and never ran it. The benchmark met this on the embedded queue: a
    # worker stopped while idle in its blocking dequeue still receives the next job enqueued (fakeredis
    # completes the pop for the closed connection), so 1-2 of 10 pages were never sent.
    get_queue(DELIVER).remove(delivery_job_id(delivery_id))

    later = utcnow() + outbox.GRACE + timedelta(seconds=1)
    assert outbox.stale_deliveries(later)[0] == [delivery_id]
    assert requeue_owed(later) == 1
    run_jobs()

    db.session.expire_all()
    delivery = db.session.scalar(select(Delivery).where(Delivery.id == delivery_id))
    assert delivery is not None and delivery.status is DeliveryStatus.SENT
    assert len(sim.control.created()) == 1
