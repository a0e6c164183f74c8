"""Recurring incidents: groups of (service, title template), frequent and anomaly."""

from __future__ import annotations

from flask import Flask

from app.analytics.recurring import is_frequent, recurring_incidents
from tests.analytics.factories import make_incident, make_world, query, utc

START, END = utc(2024, 5, 1), utc(2024, 6, 1)


def test_it_finds_frequent_and_anomalous_groups(app: Flask) -> None:
    world = make_world()
    api = world.api
    for day in (2, 3, 4, 5):
        make_incident(api, utc(2024, 5, day), title=f"Disk {90 + day}% full on db-{day}")
    for day in (6, 7, 8):
        make_incident(api, utc(2024, 5, day), title=f"Queue lag {day * 100} on 10.0.0.{day}")
    for day in range(10, 23):
        make_incident(
            api, utc(2024, 5, day), title=f"One-off problem {chr(ord('a') + day)}"
        )  # no digits: distinct
    make_incident(api, utc(2024, 4, 20), title="Disk 80% full on db-1")  # seen in the 30 days before
    make_incident(world.web, utc(2024, 5, 2), title="Queue lag 1 on 10.0.0.1")  # another service
    make_incident(world.web, utc(2024, 5, 3), title="Queue lag 2 on 10.0.0.2")
    disk, queue = recurring_incidents(query(world, START, END))
    # api had 4 + 3 + 13 = 20 incidents in May.
    assert (disk.template, disk.count, disk.service_incident_count) == ("Disk <n>% full on db-<n>", 4, 20)
    assert disk.frequent  # 4 / 20 = 20 %: exactly the threshold
    assert not disk.anomaly  # seen on 20 April
    assert (queue.template, queue.count) == ("Queue lag <n> on <ip>", 3)
    assert not queue.frequent  # 3 / 20 = 15 %
    assert queue.anomaly  # never seen on api before; web's two incidents neither count nor qualify
    assert (disk.first_at, disk.last_at) == (utc(2024, 5, 2), utc(2024, 5, 5))
    assert disk.service_name == "api"


def test_it_needs_three_incidents_and_skips_excluded_ones(app: Flask) -> None:
    world = make_world()
    make_incident(world.api, utc(2024, 5, 2), title="Timeout 1")
    make_incident(world.api, utc(2024, 5, 3), title="Timeout 2")
    make_incident(world.api, utc(2024, 5, 4), title="Timeout 3", excluded=True)
    assert recurring_incidents(query(world, START, END)) == []


def test_it_compares_shares_exactly() -> None:
    assert is_frequent(1, 5) and not is_frequent(1, 6) and not is_frequent(0, 0)
