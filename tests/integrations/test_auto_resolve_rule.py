"""incidents.auto_resolved: by the last resolve's agent and channel, as docs/metrics.md states the rule."""

from __future__ import annotations

import pytest
from flask import Flask

from app.extensions import db
from app.integrations.pagerduty.sync.derive import refresh_derived
from app.models import Incident, IncidentLogEntry, LogEntryType
from tests.analytics.factories import make_incident, make_world, utc


def _resolve(incident: Incident, minute: int, agent_type: str | None, channel: str | None) -> None:
    db.session.add(
        IncidentLogEntry(
            workspace_id=incident.workspace_id,
            account_id=incident.account_id,
            incident_id=incident.id,
            remote_id=f"R{incident.id}-{minute}",
            type=LogEntryType.RESOLVE.value,
            at=utc(2024, 3, 4, 10, minute),
            agent_type=agent_type,
            channel=channel,
        )
    )


@pytest.mark.parametrize(
    ("agent_type", "channel", "automatic"),
    [
        ("user_reference", "website", False),
        ("user_reference", "mobile", False),
        ("user_reference", "email", False),  # a person replying "resolve" to the page's email
        ("user_reference", "api", False),  # a person's script or chat-ops bot acting as them
        ("user_reference", "phone", False),
        ("user_reference", "timeout", True),
        ("user_reference", "auto", True),
        ("service_reference", "api", True),  # the monitor's integration (Events API) resolved it
        ("service_reference", "timeout", True),  # the service's auto-resolve timeout
        ("integration_reference", "integration", True),
        (None, None, True),
    ],
)
def test_it_decides_by_who_resolved_last(
    app: Flask, agent_type: str | None, channel: str | None, automatic: bool
) -> None:
    world = make_world()
    incident = make_incident(world.api, utc(2024, 3, 4, 10), resolve_after=600)
    _resolve(incident, 10, agent_type, channel)
    db.session.flush()
    refresh_derived([incident.id])
    db.session.refresh(incident)
    assert incident.auto_resolved is automatic


def test_it_reads_only_the_last_resolve_and_only_of_a_resolved_incident(app: Flask) -> None:
    world = make_world()
    reopened = make_incident(world.api, utc(2024, 3, 4, 10), resolve_after=1200)
    _resolve(reopened, 5, "service_reference", "timeout")  # resolved by the timeout, reopened…
    _resolve(reopened, 20, "user_reference", "email")  # …and resolved for good by a person
    still_open = make_incident(world.api, utc(2024, 3, 4, 10), status="triggered", auto_resolved=True)
    _resolve(still_open, 5, "service_reference", "timeout")  # reopened since: open now
    db.session.flush()
    refresh_derived([reopened.id, still_open.id])
    db.session.refresh(reopened)
    db.session.refresh(still_open)
    assert (reopened.auto_resolved, still_open.auto_resolved) == (False, False)
