"""Bugs found in the alerting core while building its UI, each pinned by a test that fails until fixed.

Marked xfail(strict=True): when the core is fixed the test passes, strict turns that into a failure, and
the marker (and the UI's workaround named in the reason) should then be removed.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.alerts import service
from app.extensions import db
from app.models import AuditEvent, Delivery, DeliveryAction


@pytest.mark.xfail(
    strict=True,
    raises=TypeError,
    reason="service.send_test passes target= to audit.record, whose 3rd positional parameter is `target` "
    "(TypeError on every test alert); app/alerts/views_tests.py::_send_test works around it",
)
def test_send_test_queues_a_test_trigger_and_audits_it(make_rule) -> None:
    rule = make_rule()
    delivery = service.send_test(rule, rule.targets[0])
    assert delivery.action is DeliveryAction.TEST_TRIGGER
    assert db.session.scalars(select(Delivery)).one().id == delivery.id
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "alert_rule.test_sent")).one()
    assert event.target == rule.name
