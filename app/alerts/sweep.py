"""Deliveries whose wake-up was lost: the database says they are owed, so they are enqueued again.

A job can vanish (Redis restarted without persistence, a worker SIGKILLed mid-request, an enqueue that
failed after the commit). Each evaluation pass calls `stale_deliveries`; enqueueing under the delivery's
stable job id makes this a no-op for deliveries whose job is still waiting.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased

from app.alerts import outbox
from app.extensions import db
from app.models import Delivery, DeliveryAction, DeliveryStatus

# A queued delivery's job normally starts within seconds; only after this long is it presumed lost.
GRACE = timedelta(seconds=30)


def stale_deliveries(now: datetime) -> tuple[list[int], list[int]]:
    """(ids to enqueue, ids whose job is recorded as started but whose lease ran out: a dead worker)."""
    waiting = db.session.scalars(
        select(Delivery.id).where(
            Delivery.status.in_([DeliveryStatus.QUEUED, DeliveryStatus.RETRYING]),
            or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at < now - GRACE),
        )
    ).all()
    abandoned = db.session.scalars(
        select(Delivery.id).where(Delivery.status == DeliveryStatus.SENDING, Delivery.lease_until < now)
    ).all()
    return list(waiting), list(abandoned)


def unresolved_tests(now: datetime) -> list[int]:
    """Test incidents that were opened but whose resolve was never created (the worker died in between)."""
    child = aliased(Delivery)
    triggers = db.session.scalars(
        select(Delivery)
        .outerjoin(child, and_(child.parent_id == Delivery.id, child.action == DeliveryAction.TEST_RESOLVE))
        .where(
            Delivery.action == DeliveryAction.TEST_TRIGGER,
            Delivery.status == DeliveryStatus.SENT,
            child.id.is_(None),
        )
    ).all()
    created = [outbox.make_test_resolve(trigger, now) for trigger in triggers]
    db.session.commit()
    return [d.id for d in created]
