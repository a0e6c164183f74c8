"""Related changes: deployments in the 4 hours before an incident, its own service first."""

from __future__ import annotations

from flask import Flask

from app.analytics.deployments import related_changes
from tests.analytics.factories import make_deployment, make_incident, make_world, utc


def test_it_lists_deployments_on_the_incidents_service_newest_first(app: Flask) -> None:
    world = make_world()
    make_deployment(world.api, utc(2024, 5, 2, 7, 59))  # 4 h 1 min before: too early
    four_hours = make_deployment(world.api, utc(2024, 5, 2, 8))  # exactly 4 h before: in
    same_instant = make_deployment(world.api, utc(2024, 5, 2, 12))  # at the incident's start: in
    make_deployment(world.api, utc(2024, 5, 2, 12, 1))  # after it
    make_deployment(world.web, utc(2024, 5, 2, 11))  # another service: not needed
    incident = make_incident(world.api, utc(2024, 5, 2, 12))
    result = related_changes(world.workspace.id, incident.id)
    assert result is not None
    assert result.scope == "service"
    assert [d.id for d in result.deployments] == [same_instant.id, four_hours.id]


def test_it_falls_back_to_any_service_then_to_none(app: Flask) -> None:
    world = make_world()
    other = make_deployment(world.web, utc(2024, 5, 2, 11))
    incident = make_incident(world.api, utc(2024, 5, 2, 12))
    result = related_changes(world.workspace.id, incident.id)
    assert result is not None
    assert (result.scope, [d.service_name for d in result.deployments]) == ("workspace", ["web"])
    assert result.deployments[0].id == other.id
    lonely = make_incident(world.api, utc(2024, 6, 1))
    assert related_changes(world.workspace.id, lonely.id) == (result.__class__("none", []))


def test_it_never_answers_for_another_workspaces_incident(app: Flask) -> None:
    world, other = make_world(), make_world()
    make_deployment(other.api, utc(2024, 5, 2, 11))
    theirs = make_incident(other.api, utc(2024, 5, 2, 12))
    assert related_changes(world.workspace.id, theirs.id) is None
