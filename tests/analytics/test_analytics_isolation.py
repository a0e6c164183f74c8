"""No metric ever reads another workspace's rows."""

from __future__ import annotations

from typing import Any

from flask import Flask

from app.analytics import breakdowns, deployments, exclusion, metrics, recurring, responders
from app.models import Incident, LogEntryType
from tests.analytics.factories import (
    World,
    make_deployment,
    make_incident,
    make_log_entry,
    make_notification,
    make_responder,
    make_world,
    query,
    utc,
)

START, END = utc(2024, 5, 1), utc(2024, 6, 1)


def _busy(world: World, copies: int) -> Incident:
    """The same kind of activity in any workspace; `copies` makes it bigger."""
    user = make_responder(world, f"Responder of {world.workspace.name}", "Europe/Berlin")
    last = None
    for n in range(copies):
        make_deployment(world.api, utc(2024, 5, 2, 9, n))
        last = make_incident(
            world.api,
            utc(2024, 5, 2, 10, n),
            ack_after=60 * (n + 1),
            resolve_after=600 * (n + 1),
            escalation_count=n % 2,
            teams=[world.team],
            title=f"Disk {n} full",
        )
        make_notification(last, user, utc(2024, 5, 2, 10, n))
        make_log_entry(last, LogEntryType.ACKNOWLEDGE, utc(2024, 5, 2, 10, n, 30), user)
        make_log_entry(last, LogEntryType.ESCALATE, utc(2024, 5, 2, 10, n, 40), user)
    make_incident(world.api, utc(2024, 5, 3), excluded=True)
    assert last is not None
    return last


def _everything(world: World, incident: Incident) -> list[Any]:
    q = query(world, START, END)
    return [
        metrics.compare(q),
        breakdowns.trend(q, "week"),
        breakdowns.by_service(q),
        breakdowns.by_team(q),
        breakdowns.heatmap(q),
        responders.responder_load(q),
        recurring.recurring_incidents(q),
        deployments.related_changes(world.workspace.id, incident.id),
        [i.id for i in exclusion.excluded_incidents(world.workspace.id)],
    ]


def test_it_gives_a_workspace_the_same_answers_whatever_other_workspaces_hold(app: Flask) -> None:
    ours = make_world("Europe/Berlin")
    incident = _busy(ours, 3)
    alone = _everything(ours, incident)
    assert alone[0].current.incident_count == 3  # the data is really there

    theirs = make_world("Europe/Berlin")
    _busy(theirs, 5)
    assert _everything(ours, incident) == alone


def test_it_ignores_another_workspaces_team_in_a_filter(app: Flask) -> None:
    ours, theirs = make_world(), make_world()
    _busy(ours, 2)
    _busy(theirs, 2)
    q = query(ours, START, END, teams=(theirs.team.id,))
    assert metrics.summary(q).incident_count == 0
    assert metrics.summary(q).changes.deployment_count == 0
