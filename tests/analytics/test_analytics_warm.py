"""The warm-up after a sync (app/analytics/jobs.py): the presets and the views people opened lately are
computed for the new data before anyone asks, and a view that no longer reads as it did is skipped."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.analytics import cache, jobs, recent_views
from app.analytics.recent_views import KEEP_VIEWS, RECENT, note_view, view_args, view_key
from app.extensions import db
from app.models import PDService, Role
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


def test_a_view_opened_lately_is_computed_again_after_a_sync(admin: tuple[World, FlaskClient]) -> None:
    world, client = admin
    # Computed on the spot: tiles and tables in the page, the other four panels left to load.
    assert _lazy_panels(client, HIGH_URGENCY_WEEK) == 4
    _new_data(world)

    # Presets, then the view Ada opened: her next look reads every panel at once, with the new incident in.
    assert jobs.warm_dashboard(world.workspace.id) == 4
    page = client.get(f"/dashboard?{HIGH_URGENCY_WEEK}").get_data(as_text=True)
    assert not LAZY.findall(page)
    tile = re.search(r'data-kpi="incidents">\s*<span[^>]*>[^<]*</span>\s*<span class="dash-tile-value">(\d+)',
                     page)  # fmt: skip
    assert tile is not None and tile.group(1) == "4"
    # A view nobody opened is left to its first viewer.
    assert _lazy_panels(client, "start=2024-03-04&end=2024-03-11&urgency=low") == 4


def test_the_presets_are_warmed_without_anyone_looking(admin: tuple[World, FlaskClient]) -> None:
    world, client = admin
    clear_of_midnight(world.workspace.timezone)  # the presets end at the next local midnight
    assert jobs.warm_dashboard(world.workspace.id) == 3
    for view in ("", "range=7", "range=90"):
        assert _lazy_panels(client, view) == 0


def test_a_view_of_a_service_that_is_gone_is_skipped(admin: tuple[World, FlaskClient]) -> None:
    world, client = admin
    view = f"start=2024-03-04&end=2024-03-11&service={world.web.id}"
    assert _lazy_panels(client, view) == 4
    db.session.delete(db.session.get(PDService, world.web.id))
    cache.data_changed(world.workspace.id)
    db.session.commit()
    assert jobs.warm_dashboard(world.workspace.id) == 3  # only the presets


def test_data_that_changes_while_warming_is_warmed_again(
    admin: tuple[World, FlaskClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    world, client = admin
    views = jobs.dashboard_views
    calls: list[int] = []

    def views_then_a_sync_commits(workspace):  # type: ignore[no-untyped-def]
        calls.append(1)
        found = views(workspace)
        if len(calls) == 1:
            _new_data(world)  # lands while the first round computes: its answers are for the old data
        return found

    monkeypatch.setattr(jobs, "dashboard_views", views_then_a_sync_commits)
    clear_of_midnight(world.workspace.timezone)
    assert jobs.warm_dashboard(world.workspace.id) == 6  # two rounds of the three presets
    assert _lazy_panels(client, "") == 0


def test_recent_views_are_the_latest_few_within_a_day(app: Flask) -> None:
    world = make_world()
    db.session.commit()
    now = 1_700_000_000.0
    note_view(world.workspace.id, {"range": 7}, now=now - RECENT.total_seconds() - 1)  # too old by now
    for index in range(KEEP_VIEWS + 2):
        note_view(world.workspace.id, {"service": [index + 1], "urgency": "high"}, now=now - 100 + index)
    note_view(world.workspace.id, {"urgency": "high", "service": [3]}, now=now)  # asked again: most recent

    found = recent_views.recent_views(world.workspace.id, now=now)
    assert len(found) == KEEP_VIEWS
    assert found[0] == "service=3&urgency=high"
    assert found[1] == f"service={KEEP_VIEWS + 2}&urgency=high"
    assert "range=7" not in found
    assert recent_views.recent_views(make_world().workspace.id, now=now) == []  # per workspace


def test_a_view_key_reads_back_as_its_arguments() -> None:
    key = view_key({"team": [4, 2], "start": "2024-03-04", "end": "2024-03-11", "service_sort": "-mtta"})
    assert key == "end=2024-03-11&service_sort=-mtta&start=2024-03-04&team=4&team=2"
    args = view_args(key)
    assert args.getlist("team") == ["4", "2"] and args["service_sort"] == "-mtta"
    assert view_key({}) == ""
