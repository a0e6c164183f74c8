"""service.send_test: a queued test trigger, and an audit entry naming the rule."""

from __future__ import annotations

from sqlalchemy import select

from app.alerts import manage
from app.extensions import db
from app.models import AuditEvent, Delivery, DeliveryAction


def test_send_test_queues_a_test_trigger_and_audits_it(make_rule) -> None:
    rule = make_rule()
    delivery = manage.send_test(rule, rule.targets[0])
    assert delivery.action is DeliveryAction.TEST_TRIGGER
    assert db.session.scalars(select(Delivery)).one().id == delivery.id
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "alert_rule.test_sent")).one()
    assert event.target == rule.name
