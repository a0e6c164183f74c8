"""Which incidents count: selected services, named services, teams, urgency, priority, exclusion."""

from __future__ import annotations

from flask import Flask
from werkzeug.datastructures import MultiDict

from app.analytics.metrics import figures_of
from app.analytics.population import Choices, parse_population
from tests.analytics.factories import make_incident, make_team, make_world, query, utc

START, END = utc(2024, 5, 1), utc(2024, 6, 1)


def _count(world, **filters: object) -> int:  # type: ignore[no-untyped-def]
    return figures_of(query(world, START, END, **filters)).counts.incident_count


def test_it_counts_selected_services_unless_services_are_named(app: Flask) -> None:
    world = make_world()
    make_incident(world.api, utc(2024, 5, 2))
    make_incident(world.web, utc(2024, 5, 3))
    make_incident(world.legacy, utc(2024, 5, 4))  # legacy is not selected
    assert _count(world) == 2  # api + web
    assert _count(world, services=(world.legacy.id,)) == 1  # naming a service overrides selection
    assert _count(world, services=(world.api.id, world.legacy.id)) == 2


def test_it_ignores_named_services_of_another_workspace(app: Flask) -> None:
    world, other = make_world(), make_world()
    make_incident(other.api, utc(2024, 5, 2))
    assert _count(world, services=(other.api.id,)) == 0


def test_it_filters_by_team(app: Flask) -> None:
    world = make_world()
    platform = make_team(world.account, "Platform")
    make_incident(world.api, utc(2024, 5, 2), teams=[world.team])
    make_incident(world.api, utc(2024, 5, 3), teams=[world.team, platform])
    make_incident(world.web, utc(2024, 5, 4), teams=[platform])
    make_incident(world.web, utc(2024, 5, 5))  # no team
    assert _count(world, teams=(world.team.id,)) == 2
    assert _count(world, teams=(platform.id,)) == 2
    assert _count(world, teams=(world.team.id, platform.id)) == 3  # the two-team incident counts once


def test_it_filters_by_urgency_and_priority(app: Flask) -> None:
    world = make_world()
    make_incident(world.api, utc(2024, 5, 2), urgency="high", priority="P1")
    make_incident(world.api, utc(2024, 5, 3), urgency="low", priority="P3")
    make_incident(world.api, utc(2024, 5, 4), urgency="low", priority=None)
    assert _count(world, urgencies=("low",)) == 2
    assert _count(world, priorities=("P1",)) == 1
    assert _count(world, priorities=(None,)) == 1  # None stands for "no priority"
    assert _count(world, priorities=("P1", None)) == 2
    assert _count(world, urgencies=("low",), priorities=("P1",)) == 0


def test_it_never_counts_excluded_incidents_but_shows_how_many_there_are(app: Flask) -> None:
    world = make_world()
    make_incident(world.api, utc(2024, 5, 2))
    make_incident(world.api, utc(2024, 5, 3), excluded=True)
    counts = figures_of(query(world, START, END)).counts
    assert (counts.incident_count, counts.excluded_count) == (1, 1)


def test_it_reads_the_incident_lists_old_days_parameter_as_the_window() -> None:
    """Links saved before the incident list shared the dashboard's query string said `days=90`."""
    old_link = parse_population(MultiDict([("days", "90")]), Choices([], [], []))
    assert (old_link.days, old_link.messages) == (90, [])
    both = parse_population(MultiDict([("range", "7"), ("days", "90")]), Choices([], [], []))
    assert both.days == 7
