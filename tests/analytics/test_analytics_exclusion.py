"""Excluding an incident from the metrics, visibly and reversibly."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from app.analytics.exclusion import ExclusionError, exclude_incident, excluded_incidents, include_incident
from app.analytics.metrics import summary
from app.extensions import db
from app.models import AuditEvent
from tests.analytics.factories import make_incident, make_world, query, utc
from tests.factories import make_user

START, END = utc(2024, 5, 1), utc(2024, 6, 1)


def test_it_excludes_and_includes_an_incident_again(app: Flask) -> None:
    world = make_world()
    admin = make_user(workspace=world.workspace)
    make_incident(world.api, utc(2024, 5, 2), ack_after=60, resolve_after=600)
    test_page = make_incident(world.api, utc(2024, 5, 3), ack_after=5, resolve_after=10)
    before = summary(query(world, START, END))
    assert (before.incident_count, before.mttr.mean) == (2, 305.0)  # (600 + 10) / 2

    exclude_incident(test_page, admin, "  test page  ", now=utc(2024, 5, 4))
    db.session.commit()
    excluded = summary(query(world, START, END))
    assert (excluded.incident_count, excluded.mttr.mean, excluded.counts.excluded_count) == (1, 600.0, 1)
    assert (test_page.excluded_reason, test_page.excluded_by_id) == ("test page", admin.id)
    assert excluded_incidents(world.workspace.id) == [test_page]

    include_incident(test_page)
    db.session.commit()
    assert summary(query(world, START, END)).incident_count == 2
    assert (test_page.excluded, test_page.excluded_reason, test_page.excluded_at) == (False, None, None)
    assert excluded_incidents(world.workspace.id) == []
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["incident.excluded", "incident.included"]


def test_it_wants_a_reason(app: Flask) -> None:
    world = make_world()
    incident = make_incident(world.api, utc(2024, 5, 2))
    with pytest.raises(ExclusionError):
        exclude_incident(incident, None, "   ")
    with pytest.raises(ExclusionError):
        exclude_incident(incident, None, "x" * 201)
    assert not incident.excluded
