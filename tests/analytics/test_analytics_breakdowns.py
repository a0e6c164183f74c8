"""Tables by service and by team, and the hour x weekday heatmap in the workspace zone."""

from __future__ import annotations

from datetime import date

from flask import Flask

from app.analytics.breakdowns import by_service, by_team, heatmap
from app.analytics.percentiles import DurationStats
from app.analytics.query import MetricQuery
from tests.analytics.factories import make_incident, make_team, make_world, query, utc

START, END = utc(2024, 5, 1), utc(2024, 6, 1)


def test_it_breaks_down_by_service(app: Flask) -> None:
    world = make_world()
    make_incident(world.api, utc(2024, 5, 2), ack_after=60, resolve_after=600, escalation_count=1)
    make_incident(world.api, utc(2024, 5, 3), ack_after=180, resolve_after=1800)
    make_incident(world.api, utc(2024, 5, 4), ack_after=120)  # open
    make_incident(world.web, utc(2024, 5, 5), resolve_after=300)  # never acknowledged
    make_incident(world.legacy, utc(2024, 5, 5))  # not selected
    api, web = by_service(query(world, START, END))
    assert (api.key, api.name, api.incident_count, api.unresolved_count) == (world.api.id, "api", 3, 1)
    assert api.escalation_rate == 1 / 3
    assert (api.mtta.count, api.mtta.mean, api.mtta.p50) == (3, 120.0, 120.0)  # (60 + 180 + 120) / 3
    assert (api.mttr.count, api.mttr.mean, api.mttr.p50) == (2, 1200.0, 1200.0)  # (600 + 1800) / 2
    assert (web.name, web.incident_count, web.escalation_rate) == ("web", 1, 0.0)
    assert web.mtta == DurationStats()
    assert web.mttr == DurationStats(1, 300.0, 300.0, 300.0)


def test_it_breaks_down_by_team_counting_a_shared_incident_in_each_team(app: Flask) -> None:
    world = make_world()
    platform = make_team(world.account, "Platform")
    make_incident(world.api, utc(2024, 5, 2), teams=[world.team], resolve_after=100)
    make_incident(world.api, utc(2024, 5, 3), teams=[world.team, platform], resolve_after=300)
    make_incident(world.web, utc(2024, 5, 4), teams=[platform])
    make_incident(world.web, utc(2024, 5, 5))
    rows = by_team(query(world, START, END))
    assert [(r.name, r.incident_count, r.unresolved_count) for r in rows] == [
        ("Payments", 2, 0),
        ("Platform", 2, 1),
        ("No team", 1, 1),
    ]
    assert rows[0].mttr.mean == 200.0  # (100 + 300) / 2
    assert rows[2].key is None
    filtered = by_team(query(world, START, END, teams=(platform.id,)))
    assert [(r.name, r.incident_count) for r in filtered] == [("Platform", 2)]


def test_it_maps_incident_starts_to_local_hour_and_weekday_across_dst(app: Flask) -> None:
    world = make_world("Europe/Berlin")
    make_incident(world.api, utc(2024, 3, 30, 12))  # Saturday 13:00 CET
    make_incident(world.api, utc(2024, 3, 30, 23, 30))  # Sunday 00:30 CET
    make_incident(world.api, utc(2024, 3, 31, 0, 59))  # Sunday 01:59 CET, just before the jump
    make_incident(world.api, utc(2024, 3, 31, 1, 30))  # Sunday 03:30 CEST: 02:xx never happened
    grid = heatmap(MetricQuery.for_dates(world.workspace, date(2024, 3, 25), date(2024, 4, 1)))
    saturday, sunday = grid[5], grid[6]
    assert saturday[13] == 1
    assert (sunday[0], sunday[1], sunday[2], sunday[3]) == (1, 1, 0, 1)
    assert sum(map(sum, grid)) == 4
