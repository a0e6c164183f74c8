"""Kept analytics (app/analytics/cache.py): an answer is computed once per version of the workspace's data,
and every write that changes a metric retires it, so the dashboard never shows numbers older than the data."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.accounts import api_keys as keys
from app.analytics import cache
from app.extensions import db
from app.models import LogEntryType, Role, Workspace
from app.queue import redis_connection
from tests.analytics.factories import (
    World,
    make_deployment,
    make_incident,
    make_log_entry,
    make_notification,
    make_responder,
    make_world,
    utc,
)
from tests.factories import make_user

WINDOW = "start=2024-03-04&end=2024-03-11"
HTMX = {"HX-Request": "true"}


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> dict[str, int]:
        self.calls += 1
        return {"answer": self.calls}


def _version(world: World) -> str:
    db.session.expire_all()
    workspace = db.session.get(Workspace, world.workspace.id)
    assert workspace is not None
    return workspace.data_version


def _with_cache_seconds(app: Flask, seconds: int) -> None:
    app.config["VIGIL"] = replace(app.config["VIGIL"], analytics_cache_seconds=seconds)


def test_it_computes_an_answer_once_per_version_of_the_data(app: Flask) -> None:
    world = make_world()
    db.session.commit()
    compute = Counter()
    assert cache.remember(world.workspace.id, ("q", 1), compute) == {"answer": 1}
    assert cache.remember(world.workspace.id, ("q", 1), compute) == {"answer": 1}
    assert compute.calls == 1

    cache.data_changed(world.workspace.id)
    db.session.commit()
    assert cache.remember(world.workspace.id, ("q", 1), compute) == {"answer": 2}
    assert compute.calls == 2


def test_a_change_that_is_rolled_back_keeps_the_answers(app: Flask) -> None:
    world = make_world()
    db.session.commit()
    compute = Counter()
    cache.remember(world.workspace.id, "q", compute)
    before = _version(world)
    cache.data_changed(world.workspace.id)
    db.session.rollback()
    assert _version(world) == before
    cache.remember(world.workspace.id, "q", compute)
    assert compute.calls == 1


def test_questions_and_workspaces_are_kept_apart(app: Flask) -> None:
    one, other = make_world(), make_world()
    db.session.commit()
    compute = Counter()
    cache.remember(one.workspace.id, ("q", 1), compute)
    cache.remember(one.workspace.id, ("q", 2), compute)
    cache.remember(other.workspace.id, ("q", 1), compute)
    assert compute.calls == 3
    # A change in one workspace leaves the other's answers be.
    cache.data_changed(one.workspace.id)
    db.session.commit()
    cache.remember(other.workspace.id, ("q", 1), compute)
    assert compute.calls == 3


def test_zero_seconds_turns_it_off(app: Flask) -> None:
    _with_cache_seconds(app, 0)
    world = make_world()
    db.session.commit()
    compute = Counter()
    cache.remember(world.workspace.id, "q", compute)
    cache.remember(world.workspace.id, "q", compute)
    assert compute.calls == 2


def test_a_failed_computation_is_not_kept(app: Flask) -> None:
    world = make_world()
    db.session.commit()

    def broken() -> None:
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        cache.remember(world.workspace.id, "q", broken)
    compute = Counter()
    assert cache.remember(world.workspace.id, "q", compute) == {"answer": 1}


def test_the_memory_store_forgets_expired_and_least_recently_used_entries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [100.0]
    monkeypatch.setattr(cache.time, "monotonic", lambda: clock[0])
    store = cache._MemoryStore(entries=2)
    store.set("a", b"1", 10)
    store.set("b", b"2", 10)
    assert store.get("a") == b"1"  # "a" is now the most recently used
    store.set("c", b"3", 10)
    assert (store.get("a"), store.get("b"), store.get("c")) == (b"1", None, b"3")
    clock[0] = 110.0
    assert store.get("a") is None


def test_answers_are_kept_in_redis_when_it_is_configured(app: Flask) -> None:
    if app.config["VIGIL"].redis_url is None:
        pytest.skip("no REDIS_URL: the memory store is tested above (CI runs both)")
    world = make_world()
    db.session.commit()
    cache.remember(world.workspace.id, "q", Counter())
    keys = redis_connection().keys(f"vigil:analytics:{world.workspace.id}:{_version(world)}:*")
    assert len(keys) == 1
    assert 0 < redis_connection().ttl(keys[0]) <= app.config["VIGIL"].analytics_cache_seconds


def test_an_unreachable_redis_is_bypassed_and_logged(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    app.config["VIGIL"] = replace(app.config["VIGIL"], redis_url="redis://127.0.0.1:1/0")
    app.extensions.pop("vigil_redis", None)
    try:
        world = make_world()
        db.session.commit()
        compute = Counter()
        with caplog.at_level(logging.WARNING, logger="app.analytics.cache"):
            assert cache.remember(world.workspace.id, "q", compute) == {"answer": 1}
            assert cache.remember(world.workspace.id, "q", compute) == {"answer": 2}
        assert "analytics cache unavailable" in caplog.text
    finally:
        app.extensions.pop("vigil_redis", None)


# -- the dashboard: each write that changes a metric shows at once ------------------------------------------


def _seed(world: World) -> list[int]:
    ids = []
    for day in (4, 5, 6):
        incident = make_incident(world.api, utc(2024, 3, day, 3), ack_after=120, resolve_after=900)
        ids.append(incident.id)
    make_deployment(world.api, utc(2024, 3, 5, 1))
    db.session.commit()
    return ids


def _tile(client: FlaskClient, key: str) -> str:
    html = client.get(f"/dashboard/panels/kpis?{WINDOW}", headers=HTMX).get_data(as_text=True)
    tile = rf'data-kpi="{key}">\s*<span[^>]*>[^<]*</span>\s*<span class="dash-tile-value">([^<]*)'
    found = re.search(tile, html)
    assert found, html
    return found.group(1).strip()


@pytest.fixture
def admin(app: Flask, login_as: Callable[[str], FlaskClient]) -> tuple[World, FlaskClient]:
    world = make_world()
    make_user("ada@world.test", "Ada", world.workspace, Role.ADMIN)
    db.session.commit()
    return world, login_as("ada@world.test")


def test_the_dashboard_keeps_a_panel_until_the_data_changes(admin: tuple[World, FlaskClient]) -> None:
    world, client = admin
    ids = _seed(world)
    assert _tile(client, "incidents") == "3"
    # A row written behind the app's back (no write path announced it) is not seen: the panel was kept.
    make_incident(world.api, utc(2024, 3, 7, 3))
    db.session.commit()
    assert _tile(client, "incidents") == "3"

    assert client.post(f"/incidents/{ids[0]}/exclude", data={"reason": "test page"}).status_code == 302
    assert _tile(client, "incidents") == "3"  # 4 now, less the excluded one
    assert client.post(f"/incidents/{ids[0]}/include").status_code == 302
    assert _tile(client, "incidents") == "4"


def test_an_ingested_deployment_shows_at_once(admin: tuple[World, FlaskClient]) -> None:
    world, client = admin
    _seed(world)
    assert _tile(client, "deployments") == "1"
    _, raw = keys.create_key(world.workspace, "ci")
    db.session.commit()
    response = client.post(
        "/api/v1/deployments",
        json={"service": world.api.remote_id, "at": "2024-03-06T12:00:00Z", "summary": "v2", "id": "d-2"},
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert response.status_code in (200, 201), response.get_data(as_text=True)
    assert _tile(client, "deployments") == "2"
    # The API's own answer is kept the same way.
    metrics = client.get(
        "/api/v1/metrics?start=2024-03-04&end=2024-03-11", headers={"Authorization": f"Bearer {raw}"}
    )
    assert metrics.json is not None and metrics.json["deployment_count"] == 2


def test_settings_selection_and_unlinking_retire_the_answers(admin: tuple[World, FlaskClient]) -> None:
    world, client = admin
    _seed(world)
    versions = [_version(world)]

    settings = {
        "name": world.workspace.name,
        "timezone": "Europe/Berlin",
        "business_day_start": "9",
        "business_day_end": "17",
        "business_days": ["1", "2", "3", "4", "5"],
        "cfr_attribution_hours": "24",
    }
    assert client.post("/settings/workspace", data=settings).status_code == 302
    versions.append(_version(world))

    path = f"/integrations/pagerduty/{world.account.id}/services/{world.api.id}"
    assert client.post(path, data={}, headers=HTMX).status_code == 200  # unfollow "api"
    versions.append(_version(world))
    assert _tile(client, "incidents") == "0"

    unlink = f"/integrations/pagerduty/{world.account.id}/unlink"
    assert client.post(unlink, data={"synced_data": "delete"}).status_code == 302
    versions.append(_version(world))
    assert len(set(versions)) == len(versions)


def test_every_panel_comes_back_whole_from_the_cache(admin: tuple[World, FlaskClient]) -> None:
    """A kept context is pickled: panels whose context holds dataclasses and functions come back whole."""
    world, client = admin
    ana = make_responder(world, "Ana Oncall")
    incident = make_incident(world.api, utc(2024, 3, 4, 3), ack_after=120, title="Disk 91% full on db-1")
    make_notification(incident, ana, utc(2024, 3, 4, 3, 0, 30), channel="phone")
    make_log_entry(incident, LogEntryType.ACKNOWLEDGE, utc(2024, 3, 4, 3, 2), ana)
    db.session.commit()
    kept = {}
    for name in ("responders", "recurring", "trends", "services", "teams", "heatmap"):
        first = client.get(f"/dashboard/panels/{name}?{WINDOW}", headers=HTMX).get_data(as_text=True)
        again = client.get(f"/dashboard/panels/{name}?{WINDOW}", headers=HTMX).get_data(as_text=True)
        assert first == again
        assert "could not be computed" not in again
        kept[name] = again
    assert "Ana Oncall" in kept["responders"]


def test_the_page_shows_kept_panels_at_once_and_loads_the_others(admin: tuple[World, FlaskClient]) -> None:
    world, client = admin
    _seed(world)
    page = client.get(f"/dashboard?{WINDOW}").get_data(as_text=True)
    # Tiles and tables are always in the page (they read without JavaScript); the rest loads lazily.
    assert 'id="panel-kpis"' in page and 'id="panel-services"' in page
    assert 'id="panel-trends"' not in page and page.count("data-panel-placeholder") == 4

    client.get(f"/dashboard/panels/trends?{WINDOW}", headers=HTMX)  # now kept
    page = client.get(f"/dashboard?{WINDOW}").get_data(as_text=True)
    assert 'id="panel-trends"' in page and page.count("data-panel-placeholder") == 3


def test_answers_kept_by_another_release_are_not_read(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    world = make_world()
    db.session.commit()
    compute = Counter()
    cache.remember(world.workspace.id, "q", compute)
    monkeypatch.setattr(cache, "_code_version", lambda: "another release")
    cache.remember(world.workspace.id, "q", compute)
    assert compute.calls == 2


def test_an_unreadable_entry_is_computed_anew(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    world = make_world()
    db.session.commit()
    compute = Counter()
    key = cache._key(world.workspace.id, "q")
    assert key is not None
    cache._store().set(key, b"not a pickle", 60)
    assert cache.peek(world.workspace.id, "q") is None
    with caplog.at_level(logging.WARNING, logger="app.analytics.cache"):
        assert cache.remember(world.workspace.id, "q", compute) == {"answer": 1}
    assert "unreadable" in caplog.text
    assert cache.remember(world.workspace.id, "q", compute) == {"answer": 1}  # and kept again
