"""Deployments, Change Failure Rate and failed-deployment recovery time."""

from __future__ import annotations

from flask import Flask

from app.analytics.deployments import change_failure
from app.analytics.dora import DoraBand
from app.analytics.metrics import summary
from app.analytics.percentiles import DurationStats
from app.extensions import db
from tests.analytics.factories import World, make_deployment, make_incident, make_world, query, utc

START, END = utc(2024, 4, 1), utc(2024, 4, 8)


def _history(world: World) -> None:
    api, web = world.api, world.web
    make_deployment(api, utc(2024, 4, 1, 10))  # D1
    make_incident(api, utc(2024, 4, 1, 10, 30), resolve_after=1800)  # resolved 11:00
    make_incident(api, utc(2024, 4, 1, 11), resolve_after=7200)  # resolved 13:00: D1's second incident
    make_deployment(web, utc(2024, 4, 2, 9))  # D3: on web; the api incident below is not its
    make_incident(api, utc(2024, 4, 2, 12))  # 26 h after D1: no deployment caused it
    make_deployment(api, utc(2024, 4, 3, 10))  # D2: superseded at 12:00 before any incident
    make_deployment(api, utc(2024, 4, 3, 12))  # D4
    make_incident(api, utc(2024, 4, 3, 13), resolve_after=600)  # D4's, resolved 13:10
    make_deployment(web, utc(2024, 4, 5, 10))  # D5
    make_incident(web, utc(2024, 4, 5, 10))  # at the deploy instant: D5 failed; still open
    make_deployment(world.legacy, utc(2024, 4, 5, 10))  # unselected service: not in the population
    make_incident(world.legacy, utc(2024, 4, 5, 11))


def test_it_flags_each_deployment_once_and_divides_by_all_deployments(app: Flask) -> None:
    world = make_world()
    _history(world)
    result = change_failure(query(world, START, END))
    assert result.deployment_count == 5  # D1, D2, D3, D4, D5
    assert result.failed_deployment_count == 3  # D1 (two incidents, counted once), D4, D5
    assert result.change_failure_rate == 0.6  # 3 / 5
    assert result.deployments_per_week == 5.0  # 5 deployments in a 7-day window


def test_it_takes_recovery_time_to_the_last_linked_resolve_and_leaves_out_open_failures(app: Flask) -> None:
    world = make_world()
    _history(world)
    result = change_failure(query(world, START, END))
    # D1: last linked incident resolved at 13:00, 3 h after the 10:00 deploy = 10800 s.
    # D4: resolved 13:10, 70 min after the 12:00 deploy = 4200 s. D5's incident is open: not recovered yet.
    assert result.recovery == DurationStats(
        count=2, mean=7500.0, p50=7500.0, p90=10140.0
    )  # p90: 4200+0.9*6600
    assert result.unrecovered_count == 1


def test_it_puts_dora_bands_beside_cfr_and_recovery_time(app: Flask) -> None:
    world = make_world()
    _history(world)
    result = summary(query(world, START, END))
    assert result.change_failure_band is DoraBand.LOW  # 60 % > 15 %
    assert result.recovery_time_band is DoraBand.HIGH  # median 7500 s: over an hour, under a day


def test_it_uses_the_workspace_attribution_window(app: Flask) -> None:
    world = make_world(cfr_attribution_hours=1)
    make_deployment(world.api, utc(2024, 4, 1, 10))
    make_incident(world.api, utc(2024, 4, 1, 10, 30), resolve_after=1800)  # inside [10:00, 11:00)
    make_incident(world.api, utc(2024, 4, 1, 11), resolve_after=7200)  # at 11:00 exactly: outside
    result = change_failure(query(world, START, END))
    assert (result.failed_deployment_count, result.change_failure_rate) == (1, 1.0)
    assert result.recovery.p50 == 3600.0  # only the 10:30 incident is linked; resolved 11:00


def test_it_links_an_incident_after_the_window_to_a_deployment_inside_it(app: Flask) -> None:
    world = make_world()
    make_deployment(world.api, utc(2024, 4, 7, 23))  # last hour of the window
    make_incident(world.api, utc(2024, 4, 8, 1), resolve_after=60)  # two hours later, after the window
    result = change_failure(query(world, START, END))
    assert (result.deployment_count, result.failed_deployment_count) == (1, 1)
    assert result.recovery.p50 == 7260.0  # 01:01 - 23:00 = 2 h 1 min


def test_it_ignores_excluded_incidents_for_cfr(app: Flask) -> None:
    world = make_world()
    make_deployment(world.api, utc(2024, 4, 2, 10))
    make_incident(world.api, utc(2024, 4, 2, 10, 5), excluded=True)
    result = change_failure(query(world, START, END))
    assert (result.deployment_count, result.failed_deployment_count, result.change_failure_rate) == (
        1,
        0,
        0.0,
    )
    assert result.recovery == DurationStats()


def test_it_attributes_an_incident_to_one_of_two_simultaneous_deployments(app: Flask) -> None:
    world = make_world()
    make_deployment(world.api, utc(2024, 4, 2, 10), "backend")
    make_deployment(world.api, utc(2024, 4, 2, 10), "frontend")  # same instant, later id
    make_incident(world.api, utc(2024, 4, 2, 10, 5))
    result = change_failure(query(world, START, END))
    assert (result.deployment_count, result.failed_deployment_count) == (2, 1)


def test_it_applies_the_population_filters_to_deployments_and_their_incidents(app: Flask) -> None:
    world = make_world()
    world.api.teams.append(world.team)
    db.session.flush()
    make_deployment(world.api, utc(2024, 4, 2, 10))
    make_incident(world.api, utc(2024, 4, 2, 11), urgency="high")
    make_deployment(world.web, utc(2024, 4, 2, 10))
    make_incident(world.web, utc(2024, 4, 2, 11), urgency="low")
    by_team = change_failure(query(world, START, END, teams=(world.team.id,)))
    assert (by_team.deployment_count, by_team.failed_deployment_count) == (1, 1)  # web is not the team's
    low_only = change_failure(query(world, START, END, urgencies=("low",)))
    assert (low_only.deployment_count, low_only.failed_deployment_count) == (2, 1)  # only web's low incident
    named = change_failure(query(world, START, END, services=(world.web.id,)))
    assert (named.deployment_count, named.failed_deployment_count) == (1, 1)


def test_it_gives_no_rate_without_deployments(app: Flask) -> None:
    world = make_world()
    make_incident(world.api, utc(2024, 4, 2, 11))
    result = change_failure(query(world, START, END))
    assert (result.deployment_count, result.change_failure_rate, result.deployments_per_week) == (
        0,
        None,
        0.0,
    )
