"""Trend buckets in the workspace's zone: midnight and DST edges, empty buckets, per-bucket metrics."""

from __future__ import annotations

from datetime import date

from flask import Flask

from app.analytics.breakdowns import trend
from app.analytics.percentiles import DurationStats
from app.analytics.query import MetricQuery
from app.analytics.windows import BucketUnit
from tests.analytics.factories import make_deployment, make_incident, make_world, utc


def test_it_buckets_days_at_local_midnight_across_the_spring_change(app: Flask) -> None:
    # Berlin, Saturday 30 and Sunday 31 March 2024; clocks go 02:00 CET -> 03:00 CEST on the 31st.
    world = make_world("Europe/Berlin")
    api, web = world.api, world.web
    make_incident(api, utc(2024, 3, 29, 23, 30), resolve_after=100)  # 00:30 CET on the 30th
    make_incident(api, utc(2024, 3, 30, 22, 59, 59), resolve_after=300)  # 23:59:59 CET on the 30th
    make_incident(api, utc(2024, 3, 30, 23), resolve_after=1000)  # 00:00 CET: the 31st
    make_incident(api, utc(2024, 3, 31, 21, 30))  # 23:30 CEST, still the 31st (a 23-hour day); open
    make_incident(api, utc(2024, 3, 31, 22))  # 00:00 CEST on 1 April: after the window
    make_deployment(web, utc(2024, 3, 30, 10))  # the 30th; no web incident follows
    make_deployment(web, utc(2024, 3, 31, 8))  # the 31st ...
    make_incident(web, utc(2024, 3, 31, 9), resolve_after=500)  # ... and its failure, an hour later
    points = trend(
        MetricQuery.for_dates(world.workspace, date(2024, 3, 30), date(2024, 4, 1)), BucketUnit.DAY
    )

    assert [p.label for p in points] == [date(2024, 3, 30), date(2024, 3, 31)]
    assert [(p.start, p.end) for p in points] == [
        (utc(2024, 3, 29, 23), utc(2024, 3, 30, 23)),
        (utc(2024, 3, 30, 23), utc(2024, 3, 31, 22)),
    ]
    assert [p.incident_count for p in points] == [2, 3]
    # 30th: resolved after 100 and 300 s -> mean 200, p50 200. 31st: 1000 and 500 (one open) -> mean 750.
    assert points[0].mttr == DurationStats(count=2, mean=200.0, p50=200.0, p90=280.0)  # 100 + 0.9 * 200
    assert (points[1].mttr.count, points[1].mttr.mean, points[1].mttr.p50) == (2, 750.0, 750.0)
    assert points[0].mtta == DurationStats()  # nobody acknowledged anything: null, not 0
    assert [(p.deployment_count, p.failed_deployment_count) for p in points] == [(1, 0), (1, 1)]
    assert [p.change_failure_rate for p in points] == [0.0, 1.0]


def test_it_buckets_weeks_from_monday_midnight_in_new_york(app: Flask) -> None:
    world = make_world("America/New_York")
    make_incident(world.api, utc(2024, 3, 4, 4, 59))  # Sunday 3 March 23:59 EST: before the window
    make_incident(world.api, utc(2024, 3, 11, 3, 30))  # Sunday 10 March 23:30 EDT: first week
    make_incident(world.api, utc(2024, 3, 11, 4, 30))  # Monday 11 March 00:30 EDT: second week
    points = trend(MetricQuery.for_dates(world.workspace, date(2024, 3, 4), date(2024, 3, 18)), "week")
    assert [(p.label, p.incident_count) for p in points] == [(date(2024, 3, 4), 1), (date(2024, 3, 11), 1)]
    assert points[1].start == utc(2024, 3, 11, 4)  # Monday midnight EDT


def test_it_shows_empty_buckets(app: Flask) -> None:
    world = make_world()
    make_incident(world.api, utc(2024, 3, 15), ack_after=60)
    points = trend(
        MetricQuery.for_dates(world.workspace, date(2024, 1, 1), date(2024, 4, 1)), BucketUnit.MONTH
    )
    assert [(p.label, p.incident_count) for p in points] == [
        (date(2024, 1, 1), 0),
        (date(2024, 2, 1), 0),
        (date(2024, 3, 1), 1),
    ]
    assert [p.mtta.mean for p in points] == [None, None, 60.0]
    assert [p.change_failure_rate for p in points] == [None, None, None]


def test_it_marks_the_partial_first_and_last_weeks(app: Flask) -> None:
    # Wednesday 6 to Wednesday 20 March 2024 (exclusive) by week: Mon 4 (5 of 7 days), Mon 11 (whole), Mon 18
    # (2 of 7 days).
    world = make_world("Europe/Berlin")
    points = trend(MetricQuery.for_dates(world.workspace, date(2024, 3, 6), date(2024, 3, 20)), "week")
    assert [p.label for p in points] == [date(2024, 3, 4), date(2024, 3, 11), date(2024, 3, 18)]
    assert [p.partial for p in points] == [True, False, True]
    assert [round(p.share * 7, 6) for p in points] == [5, 7, 2]
