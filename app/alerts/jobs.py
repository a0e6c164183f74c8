"""RQ entry points of alerting: the evaluation pass each minute (queue `default`) and deliveries."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from redis.exceptions import RedisError

from app.alerts import outbox
from app.alerts.delivery import attempt
from app.alerts.evaluate import evaluate_all
from app.extensions import db
from app.jobs import in_app_context
from app.models import Delivery
from app.models.types import utcnow
from app.queue import DEFAULT, DELIVER, QueueNotConfigured, enqueue

log = logging.getLogger(__name__)

EVALUATE_JOB_ID = "evaluate-alert-rules"


def delivery_job_id(delivery_id: int) -> str:
    return f"deliver-{delivery_id}"


def enqueue_deliveries(
    ids: Iterable[int], *, delay: float | None = None, replace_started: bool = False, replace: bool = False
) -> None:
    for delivery_id in ids:
        enqueue(
            deliver,
            delivery_id,
            queue=DELIVER,
            job_id=delivery_job_id(delivery_id),
            delay=timedelta(seconds=delay) if delay else None,
            timeout=300,
            replace_started=replace_started,
            replace=replace,
        )


def enqueue_owed(ids: Iterable[int]) -> None:
    """From a request, after the commit: deliveries the database now owes (resolves of a rule disabled,
    deleted or changed). With the queue unreachable the person's change still stands: the next evaluation
    pass's sweep enqueues them (outbox.stale_deliveries), so they are sent once the queue is back."""
    try:
        enqueue_deliveries(ids)
    except (RedisError, QueueNotConfigured) as exc:
        log.warning("could not enqueue owed deliveries (%s); the next evaluation pass sends them", exc)


@in_app_context
def deliver(delivery_id: int) -> str:
    outcome = attempt(delivery_id)
    if outcome.retry_in is not None:
        _enqueue_retry(delivery_id, outcome.retry_in)
    if outcome.follow_up is not None:
        enqueue_deliveries([outcome.follow_up])
    return outcome.status.value if outcome.status else "not claimed"


def _enqueue_retry(delivery_id: int, delay: float) -> None:
    """The retry gets an id of its own, named by its time: RQ saves this job's record when it ends, over
    anything enqueued under this job's id meanwhile."""
    delivery = db.session.get(Delivery, delivery_id)
    due = delivery.next_attempt_at if delivery is not None else None
    stamp = int(due.timestamp() * 1000) if due is not None else 0
    enqueue(
        deliver,
        delivery_id,
        queue=DELIVER,
        job_id=f"{delivery_job_id(delivery_id)}-retry-{stamp}",
        delay=timedelta(seconds=delay),
        timeout=300,
    )


@in_app_context
def evaluate_rules() -> dict[str, float]:
    """One pass over every enabled rule, then a sweep for deliveries whose job was lost."""
    result = evaluate_all()
    enqueue_deliveries(result.deliveries)
    requeue_owed(utcnow())
    return {"rules": result.rules, "transitions": result.transitions, "seconds": round(result.seconds, 3)}


def requeue_owed(now: datetime) -> int:
    """Enqueue again every delivery the database says is owed but whose job is gone."""
    waiting, abandoned = outbox.stale_deliveries(now)
    # Past their time by the sweep's grace, their job records cannot be trusted: replace them. A duplicate
    # run is harmless, the delivery is claimed before anything is sent.
    enqueue_deliveries([*waiting, *abandoned], replace=True)
    tests = outbox.unresolved_tests(now)
    enqueue_deliveries(tests)
    return len(waiting) + len(abandoned) + len(tests)


@in_app_context
def tick_alerts() -> None:
    """Scheduled every VIGIL_ALERT_INTERVAL_SECONDS; the stable id keeps two schedulers from doubling it."""
    enqueue(evaluate_rules, queue=DEFAULT, job_id=EVALUATE_JOB_ID, timeout=300)
