"""The life of one Delivery row (`attempt`, which the `deliver` job calls): claimed, sent, retried, given up,
finished, and followed up.

Exactly one incident per episode and target, whatever fails when: a delivery is *claimed* with a conditional
UPDATE and a lease before any request, so two workers never send it at once, and one killed mid-request leaves
a lease that runs out (then outbox.stale_deliveries finds it). PagerDuty's side (adopting a duplicate key,
"already resolved") is integrations/pagerduty/deliver.py's.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, update

from app.alerts import outbox
from app.extensions import db
from app.integrations.pagerduty.client import PagerDutyClient
from app.integrations.pagerduty.credentials import TokenUnavailable, delivery_problem, record_auth_failure
from app.integrations.pagerduty.deliver import send, sending_client
from app.integrations.pagerduty.errors import PagerDutyError
from app.models import Delivery, DeliveryAction, DeliveryStatus, PagerDutyAccount
from app.models.types import utcnow

log = logging.getLogger(__name__)

# With ATTEMPTS_PER_RUN and MAX_INLINE_WAIT a run stays well inside the default lease
# (VIGIL_DELIVER_LEASE_SECONDS, 120 s). Short waits are slept in the job (one 429 with a reset of a few
# seconds is common); longer ones re-enqueue.
MAX_INLINE_WAIT = 5.0
ATTEMPTS_PER_RUN = 3
_BACKOFF_CAP = 300.0


@dataclass(frozen=True)
class Outcome:
    status: DeliveryStatus | None  # None: not claimed (someone else has it, or it is finished)
    retry_in: float | None = None  # seconds; set when the job should run again later
    follow_up: int | None = None  # a delivery to enqueue next (a test alert's resolve)


class _Permanent(Exception):
    """Stop this delivery now with this reason (no request will fix it)."""


def _lease() -> timedelta:
    return timedelta(seconds=current_app.config["VIGIL"].deliver_lease_seconds)


def claim(delivery_id: int, now: datetime) -> bool:
    """Take the delivery for this worker, unless it is finished or another worker's lease is still live."""
    result = db.session.execute(
        update(Delivery)
        .where(
            Delivery.id == delivery_id,
            or_(
                Delivery.status.in_([DeliveryStatus.QUEUED, DeliveryStatus.RETRYING]),
                (Delivery.status == DeliveryStatus.SENDING) & (Delivery.lease_until < now),
            ),
        )
        .values(status=DeliveryStatus.SENDING, lease_until=now + _lease(), updated_at=now)
    )
    db.session.commit()
    return bool(getattr(result, "rowcount", 0))


def attempt(delivery_id: int, *, client: PagerDutyClient | None = None) -> Outcome:
    now = utcnow()
    if not claim(delivery_id, now):
        return Outcome(None)
    delivery = db.session.get(Delivery, delivery_id)
    assert delivery is not None
    if delivery.action in (DeliveryAction.RESOLVE, DeliveryAction.TEST_RESOLVE):
        waiting = _wait_for_parent(delivery)
        if waiting is not None:
            return waiting
    started = time.perf_counter()
    try:
        account = _usable_account(delivery)
        if not delivery.action.is_trigger and not delivery.pd_incident_id:
            raise _Permanent("No PagerDuty incident to resolve.")
        client = client or sending_client(
            account,
            attempts=ATTEMPTS_PER_RUN,
            inline_wait=MAX_INLINE_WAIT,
            lease_seconds=_lease().total_seconds(),
        )
        before = client.stats.requests
        try:
            sent = send(delivery, client)
        finally:
            delivery.attempts += client.stats.requests - before
        delivery.http_status, delivery.note = sent.http_status, sent.note
        if delivery.action.is_trigger:
            delivery.pd_incident_id, delivery.pd_incident_url = sent.incident_id, sent.incident_url
        _finish(delivery, DeliveryStatus.SENT, started)
    except _Permanent as exc:
        _fail(delivery, str(exc), started)
    except PagerDutyError as err:
        return _on_error(delivery, err, started)
    db.session.commit()
    return Outcome(delivery.status, follow_up=_follow_up(delivery))


def _usable_account(delivery: Delivery) -> PagerDutyAccount:
    account = db.session.get(PagerDutyAccount, delivery.account_id) if delivery.account_id else None
    if account is None:
        raise _Permanent("The PagerDuty account of this rule is no longer linked. Link it and edit the rule.")
    problem = delivery_problem(account, resolving=not delivery.action.is_trigger)
    if problem:
        raise _Permanent(problem)
    return account


def _wait_for_parent(delivery: Delivery) -> Outcome | None:
    """A resolve goes out only after its trigger: wait while the trigger is in flight, skip if it failed."""
    parent = delivery.parent
    if parent is None:
        _fail(delivery, "The trigger this resolve belongs to is gone.", time.perf_counter())
        db.session.commit()
        return Outcome(delivery.status)
    if parent.status is DeliveryStatus.SENT:
        delivery.pd_incident_id = parent.pd_incident_id
        delivery.pd_incident_url = parent.pd_incident_url
        return None
    if parent.status in (DeliveryStatus.FAILED, DeliveryStatus.SKIPPED):
        delivery.status = DeliveryStatus.SKIPPED
        delivery.note = "the trigger created no incident, so there is nothing to resolve"
        delivery.lease_until = None
        db.session.commit()
        return Outcome(delivery.status)
    delivery.status = DeliveryStatus.QUEUED
    delivery.note = "waiting for the trigger to be delivered"
    delivery.lease_until = None
    delivery.next_attempt_at = utcnow() + timedelta(seconds=5)
    db.session.commit()
    return Outcome(delivery.status, retry_in=5.0)


def _finish(delivery: Delivery, status: DeliveryStatus, started: float) -> None:
    delivery.status = status
    delivery.duration_ms = int((time.perf_counter() - started) * 1000)
    delivery.lease_until = None
    delivery.next_attempt_at = None
    delivery.error_code = None
    delivery.error_message = None
    delivery.sent_at = utcnow()


def _fail(delivery: Delivery, message: str, started: float, err: PagerDutyError | None = None) -> None:
    delivery.status = DeliveryStatus.FAILED
    delivery.duration_ms = int((time.perf_counter() - started) * 1000)
    delivery.lease_until = None
    delivery.next_attempt_at = None
    delivery.error_message = message[:2000]
    if err is not None:
        delivery.http_status = err.status
        delivery.error_code = err.code
    log.warning("delivery %s (%s) failed: %s", delivery.id, delivery.action.value, message)


def _on_error(delivery: Delivery, err: PagerDutyError, started: float) -> Outcome:
    account = db.session.get(PagerDutyAccount, delivery.account_id) if delivery.account_id else None
    if not err.retryable or isinstance(err, TokenUnavailable):
        if account is not None:
            record_auth_failure(account, err)  # 401/403: the account shows "Needs attention" and why
        _fail(delivery, _describe(err), started, err)
        db.session.commit()
        return Outcome(delivery.status)
    now = utcnow()
    if now - delivery.created_at >= timedelta(seconds=current_app.config["VIGIL"].deliver_give_up_seconds):
        _fail(delivery, f"Gave up after {delivery.attempts} attempts: {_describe(err)}", started, err)
        db.session.commit()
        return Outcome(delivery.status)
    if err.is_rate_limited and err.retry_after is not None:
        delay = err.retry_after  # PagerDuty's ratelimit-reset: exactly when the window opens again
    else:
        # Grows with every attempt so far (3 per run), so a 5xx storm is not hammered every second.
        delay = max(_backoff(delivery.attempts), err.retry_after or 0.0)
    delivery.status = DeliveryStatus.RETRYING
    delivery.http_status = err.status
    delivery.error_code = err.code
    delivery.error_message = _describe(err)[:2000]
    delivery.duration_ms = int((time.perf_counter() - started) * 1000)
    delivery.lease_until = None
    delivery.next_attempt_at = now + timedelta(seconds=delay)
    db.session.commit()
    log.info("delivery %s: %s; retrying in %.1fs", delivery.id, err, delay)
    return Outcome(delivery.status, retry_in=delay)


def _describe(err: PagerDutyError) -> str:
    """PagerDuty's message and details; the HTTP status and error code are stored in their own columns."""
    details = f" ({'; '.join(err.errors)})" if err.errors else ""
    return f"{err.message}{details}"


def _backoff(attempts: int) -> float:
    return random.uniform(0.5, 1.0) * min(_BACKOFF_CAP, 2.0 ** min(attempts, 10))


def _follow_up(delivery: Delivery) -> int | None:
    """A test trigger that reached PagerDuty is resolved right away, through the same path."""
    if delivery.action is not DeliveryAction.TEST_TRIGGER or delivery.status is not DeliveryStatus.SENT:
        return None
    resolve = outbox.make_test_resolve(delivery, utcnow())
    db.session.commit()
    return resolve.id
