"""The pure rules behind interruptions: the class of an hour, and which notifications count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import literal, select

from app.analytics.interruptions import InterruptionClass, class_case, classify, counted_indices
from app.analytics.query import WorkspaceSettings
from app.extensions import db
from tests.analytics.factories import utc

DEFAULT = WorkspaceSettings()
BUSINESS, OFF, SLEEP = InterruptionClass.BUSINESS, InterruptionClass.OFF_HOURS, InterruptionClass.SLEEP


@pytest.mark.parametrize(
    ("hour", "weekday", "expected"),
    [
        (8, 1, BUSINESS),  # Monday 08:00 opens business hours
        (17, 5, BUSINESS),  # Friday 17:59 still business
        (18, 3, OFF),  # 18:00 on a weekday is off-hours
        (21, 3, OFF),
        (22, 3, SLEEP),  # 22:00 starts the night, every day
        (7, 2, SLEEP),  # 07:59 is still night
        (0, 6, SLEEP),  # Saturday night
        (8, 6, OFF),  # Saturday daytime is off-hours
        (13, 7, OFF),  # Sunday afternoon
        (23, 7, SLEEP),
    ],
)
def test_it_classes_an_hour_of_the_week(hour: int, weekday: int, expected: InterruptionClass) -> None:
    assert classify(hour, weekday, DEFAULT) is expected


def test_it_follows_the_workspace_business_hours_and_days() -> None:
    # A Sunday-to-Thursday team working 07-15: Sunday 07:00 is business; Friday 10:00 is off-hours.
    settings = WorkspaceSettings(business_day_start=7, business_day_end=15, business_days=(7, 1, 2, 3, 4))
    assert classify(7, 7, settings) is BUSINESS  # business hours win over the 22-08 night
    assert classify(15, 1, settings) is OFF
    assert classify(10, 5, settings) is OFF
    assert classify(7, 5, settings) is SLEEP


def test_it_counts_one_notification_per_burst_of_60_seconds() -> None:
    t = utc(2024, 1, 1, 3)

    def at(*seconds: int) -> list[int]:
        return counted_indices([t + timedelta(seconds=s) for s in seconds])

    assert at() == []
    assert at(0, 0, 0) == [0]  # push, SMS and phone at once: one interruption
    assert at(0, 59) == [0]
    assert at(0, 60) == [0, 1]  # exactly 60 s after the counted one counts again
    # A chain: 50 is within 60 s of 0; 70 is 70 s after the last *counted* (0) so it counts; 110 is 40 s after
    # 70; 130 is 60 s after 70.
    assert at(0, 50, 70, 110, 130) == [0, 2, 4]


def test_it_classes_the_same_in_sql_as_in_python_for_every_hour_of_the_week(app: Flask) -> None:
    settings = WorkspaceSettings(business_day_start=9, business_day_end=17, business_days=(1, 2, 3, 4, 6))
    cells = [(hour, weekday) for weekday in range(1, 8) for hour in range(24)]
    statement = select(*[class_case(literal(h), literal(d), settings) for h, d in cells])
    in_sql = list(db.session.execute(statement).one())
    assert in_sql == [classify(h, d, settings).value for h, d in cells]
