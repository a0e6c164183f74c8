"""The warm-up after a sync (app/analytics/jobs.py): the presets are computed for the new data before anyone
asks; any other view is computed by its first viewer."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.analytics import cache, jobs
from app.extensions import db
from app.models import Role
from tests.analytics.factories import World, clear_of_midnight, make_incident, make_world, utc
from tests.factories import make_user

HIGH_URGENCY_WEEK = "start=2024-03-04&end=2024-03-11&urgency=high"
LAZY = re.compile(r"data-panel-placeholder")


@pytest.fixture
def admin(app: Flask, login_as: Callable[[str], FlaskClient]) -> tuple[World, FlaskClient]:
    world = make_world()
    make_user("ada@world.test", "Ada", world.workspace, Role.ADMIN)
    for day in (4, 5, 6):
        make_incident(world.api, utc(2024, 3, day, 3), ack_after=120, resolve_after=900)
    db.session.commit()
    return world, login_as("ada@world.test")


def _new_data(world: World) -> None:
    """What a sync that wrote does: a new incident, and the data version moves in the same commit."""
    make_incident(world.web, utc(2024, 3, 7, 3), ack_after=60, resolve_after=600)
    cache.data_changed(world.workspace.id)
    db.session.commit()


def _lazy_panels(client: FlaskClient, view: str) -> int:
    """How many panels the dashboard page left to load (0: every panel was kept for the current data)."""
    page = client.get(f"/dashboard?{view}")
    assert page.status_code == 200
    return len(LAZY.findall(page.get_data(as_text=True)))


def test_a_view_other_than_the_presets_is_computed_by_its_first_viewer(
    admin: tuple[World, FlaskClient],
) -> None:
    world, client = admin
    # Computed on the spot: tiles and tables in the page, the other four panels left to load.
    assert _lazy_panels(client, HIGH_URGENCY_WEEK) == 4
    _new_data(world)
    assert jobs.warm_dashboard(world.workspace.id) == 3  # the presets only
    page = client.get(f"/dashboard?{HIGH_URGENCY_WEEK}").get_data(as_text=True)
    assert len(LAZY.findall(page)) == 4
    tile = re.search(r'data-kpi="incidents">\s*<span[^>]*>[^<]*</span>\s*<span class="dash-tile-value">(\d+)',
                     page)  # fmt: skip
    assert tile is not None and tile.group(1) == "4"  # with the new incident in


def test_the_presets_are_warmed_without_anyone_looking(admin: tuple[World, FlaskClient]) -> None:
    world, client = admin
    clear_of_midnight(world.workspace.timezone)  # the presets end at the next local midnight
    assert jobs.warm_dashboard(world.workspace.id) == 3
    for view in ("", "range=7", "range=90"):
        assert _lazy_panels(client, view) == 0


def test_data_that_changes_while_warming_is_warmed_again(
    admin: tuple[World, FlaskClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    world, client = admin
    views = jobs.dashboard_views
    calls: list[int] = []

    def views_then_a_sync_commits():  # type: ignore[no-untyped-def]
        calls.append(1)
        found = views()
        if len(calls) == 1:
            _new_data(world)  # lands while the first round computes: its answers are for the old data
        return found

    monkeypatch.setattr(jobs, "dashboard_views", views_then_a_sync_commits)
    clear_of_midnight(world.workspace.timezone)
    assert jobs.warm_dashboard(world.workspace.id) == 6  # two rounds of the three presets
    assert _lazy_panels(client, "") == 0
