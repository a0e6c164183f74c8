"""Each dashboard panel endpoint: its partial with data, its empty state, and the error partial."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

from app.analytics import panels
from app.analytics.panels import PANELS, Panel, delta, duration, render_panel
from app.analytics.population import Choice, Choices, DashboardFilters, parse_filters
from app.analytics.query import MetricQuery, WorkspaceSettings
from app.extensions import db
from app.models import LogEntryType, Role, Workspace
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


def _member_of(world: World, login_as: Callable[[str], FlaskClient]) -> FlaskClient:
    make_user("dana@world.test", "Dana", world.workspace, Role.MEMBER)
    db.session.commit()
    return login_as("dana@world.test")


def _seed(world: World) -> None:
    ana = make_responder(world, "Ana Oncall")
    for day in (4, 5, 6):
        incident = make_incident(
            world.api,
            utc(2024, 3, day, 3),
            ack_after=120,
            resolve_after=900,
            title=f"Disk 9{day}% full on db-{day}",
        )
        make_notification(incident, ana, utc(2024, 3, day, 3, 0, 30), channel="phone")
        make_log_entry(incident, LogEntryType.ACKNOWLEDGE, utc(2024, 3, day, 3, 2), ana)
    make_deployment(world.api, utc(2024, 3, 5, 1))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("kpis", 'data-kpi="mtta"'),
        ("trends", 'data-chart="incidents"'),
        ("services", ">api<"),
        ("teams", "By team"),
        ("recurring", "Disk"),
        ("heatmap", 'title="Mon 03:00 · 1"'),
        ("responders", "Ana Oncall"),
    ],
)
def test_it_returns_each_panel_as_a_partial(app: Flask, login_as, name: str, expected: str) -> None:
    world = make_world()
    _seed(world)
    client = _member_of(world, login_as)
    response = client.get(f"/dashboard/panels/{name}?{WINDOW}", headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<div class="dash-panel-body" id="panel-{name}"')
    assert "<html" not in html
    assert expected in html
    # It refreshes itself every minute, with the same filters.
    assert f'hx-get="/dashboard/panels/{name}?start=2024-03-04&amp;end=2024-03-11"' in html
    assert 'hx-trigger="every 60s"' in html


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("trends", "<summary>Show the numbers</summary>"),
        ("services", ">api<"),
        ("recurring", "Disk"),
        ("heatmap", 'title="Mon 03:00 · 1"'),
        ("responders", "Ana Oncall"),
    ],
)
def test_it_answers_a_whole_page_to_a_request_without_htmx(
    app: Flask, login_as, name: str, expected: str
) -> None:
    """Where the dashboard's <noscript> links lead: the panel readable in the layout, with the way back."""
    world = make_world()
    _seed(world)
    client = _member_of(world, login_as)
    response = client.get(f"/dashboard/panels/{name}?{WINDOW}&urgency=high")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith("<!doctype html>")
    assert f"<title>{PANELS[name].title} · Dashboard · Vigil</title>" in html
    assert '<a href="/dashboard?start=2024-03-04&amp;end=2024-03-11&amp;urgency=high">' in html
    assert "4 Mar 2024 to 10 Mar 2024." in html
    assert f'id="panel-{name}"' in html and expected in html
    # A boosted navigation wants the whole page too; only a plain htmx request gets the partial alone.
    boosted = client.get(f"/dashboard/panels/{name}?{WINDOW}", headers={**HTMX, "HX-Boosted": "true"})
    assert "<!doctype html>" in boosted.get_data(as_text=True)


def test_it_shows_filter_messages_on_a_whole_panel_page(app: Flask, login_as) -> None:
    client = _member_of(make_world(), login_as)
    html = client.get("/dashboard/panels/heatmap?range=12").get_data(as_text=True)
    assert "Unknown range “12”: showing the last 30 days." in html
    assert "<!doctype html>" in html


def test_it_feeds_the_charts_json(app: Flask, login_as) -> None:
    world = make_world()
    _seed(world)
    client = _member_of(world, login_as)
    html = client.get(f"/dashboard/panels/trends?{WINDOW}", headers=HTMX).get_data(as_text=True)
    start = html.index("data-series='", html.index('data-chart="incidents"')) + len("data-series='")
    series = json.loads(html[start : html.index("'", start)])
    assert series["labels"][:3] == ["04 Mar", "05 Mar", "06 Mar"]  # a 7-day window is shown by day
    assert series["datasets"][0]["data"] == [1, 1, 1, 0, 0, 0, 0]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("kpis", "No incidents in this window"),
        ("trends", "No incidents in this window"),
        ("services", "No incidents in this window"),
        ("recurring", "No recurring incidents"),
        ("heatmap", "No incidents in this window"),
        ("responders", "No pages or acknowledgements"),
    ],
)
def test_it_shows_an_empty_state(app: Flask, login_as, name: str, message: str) -> None:
    world = make_world()
    client = _member_of(world, login_as)
    html = client.get(f"/dashboard/panels/{name}?{WINDOW}", headers=HTMX).get_data(as_text=True)
    assert message in html


def test_it_answers_404_for_an_unknown_panel(app: Flask, login_as) -> None:
    client = _member_of(make_world(), login_as)
    assert client.get("/dashboard/panels/nonsense", headers=HTMX).status_code == 404


def test_it_renders_the_error_partial_and_logs_when_a_panel_fails(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(query: MetricQuery, filters: DashboardFilters, settings: WorkspaceSettings) -> dict[str, Any]:
        raise RuntimeError("engine exploded")

    world = make_world()
    query = MetricQuery.for_dates(world.workspace, date(2024, 3, 4), date(2024, 3, 11))
    with app.test_request_context("/dashboard/panels/broken"), caplog.at_level(logging.ERROR):
        html = render_panel(Panel("broken", "Broken", broken), query, DashboardFilters(), WorkspaceSettings())
    assert "could not be computed" in html
    assert 'id="panel-broken"' in html  # it keeps its refresh, so it recovers by itself
    assert "engine exploded" in caplog.text
    assert "engine exploded" not in html


def test_it_lists_every_panel_with_a_template(app: Flask) -> None:
    assert set(PANELS) == {"kpis", "trends", "services", "teams", "recurring", "heatmap", "responders"}
    for panel in PANELS.values():
        assert app.jinja_env.get_template(panel.template)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (0, "0 s"),
        (59.6, "1 m"),
        (252, "4 m 12 s"),
        (7500, "2 h 5 m"),
        (3600, "1 h"),
        (97200, "1 d 3 h"),
    ],
)
def test_it_formats_durations_for_people(seconds: float | None, text: str) -> None:
    assert duration(seconds) == text


def test_it_judges_deltas_by_the_direction_that_is_better() -> None:
    assert delta(60, 120, "duration").verdict == "better"
    assert delta(60, 120, "duration").text == "-1 m"
    assert delta(5, 3, "count", lower_is_better=False).verdict == "better"
    assert delta(0.2, 0.1, "rate").text == "+10.0 pp"
    assert delta(None, 3, "count").verdict == "none"
    assert delta(3, 3, "count").verdict == "same"
    assert delta(0.5, 0.25, "rate", lower_is_better=None) == panels.Delta("+25.0 pp", "▲", "changed")
    # A change smaller than the tile shows is no change, not "▲ +0 s" in red.
    assert delta(60.3, 60.0, "duration") == panels.Delta("no change", "", "same")
    assert delta(0.1234, 0.1231, "rate").verdict == "same"
    assert delta(61.0, 60.0, "duration").text == "+1 s"


def test_it_keeps_known_priorities_and_round_trips_them_through_its_params() -> None:
    args = MultiDict([("priority", "P2"), ("priority", "none"), ("priority", "P2"), ("priority", "P9")])
    filters = parse_filters(args, Choices([], [], ["P1", "P2"]))
    assert filters.priorities == ("P2", "none")
    assert filters.messages == ["Ignored 1 unknown priority in the filter."]
    assert filters.params() == {"priority": ["P2", "none"]}
    again = parse_filters(
        MultiDict([("priority", "P2"), ("priority", "none")]), Choices([], [], ["P1", "P2"])
    )
    assert (again.priorities, again.messages) == (("P2", "none"), [])
    assert again.query(Workspace(id=1, timezone="UTC")).priorities == ("P2", None)


def test_it_lets_a_preset_win_over_dates_left_in_the_form() -> None:
    args = MultiDict([("range", "7"), ("start", "2024-03-04"), ("end", "2024-03-11")])
    filters = parse_filters(args, Choices([], [], []))
    assert (filters.days, filters.start, filters.messages) == (7, None, [])
    custom = parse_filters(
        MultiDict([("range", "custom"), ("start", "2024-03-04"), ("end", "2024-03-11")]), Choices([], [], [])
    )
    assert (custom.days, custom.start, custom.end) == (None, date(2024, 3, 4), date(2024, 3, 11))
    assert custom.params() == {"start": "2024-03-04", "end": "2024-03-11"}


def test_it_keeps_only_known_ids_once_each() -> None:
    args = MultiDict([("service", "2"), ("service", "2"), ("service", "9"), ("team", "x")])
    filters = parse_filters(args, Choices([Choice(2, "api")], [Choice(5, "Payments")], []))
    assert filters.services == (2,)
    assert filters.teams == ()
    assert filters.messages == [
        "Ignored 1 unknown service in the filter.",
        "Ignored 1 unknown team in the filter.",
    ]


def test_it_shows_only_the_largest_recurring_groups_and_most_interrupted_responders(
    app: Flask, login_as
) -> None:
    world = make_world()
    # 12 recurring groups; group n has 3 + n incidents, so the largest are n = 11 … 2.
    for n in range(12):
        for k in range(3 + n):
            make_incident(
                world.api, utc(2024, 3, 4 + k % 6, 1 + n), title=f"Alarm family {chr(65 + n)} on host {k}"
            )
    for n in range(12):
        responder = make_responder(world, f"Responder {n:02d}")
        incident = make_incident(world.api, utc(2024, 3, 5, 2), title=f"Pager check {chr(97 + n)}x")
        for minute in range(n + 1):  # responder n is interrupted n + 1 times, two minutes apart
            make_notification(incident, responder, utc(2024, 3, 5, 2, 2 * minute), channel="sms")
    client = _member_of(world, login_as)

    recurring = client.get(f"/dashboard/panels/recurring?{WINDOW}", headers=HTMX).get_data(as_text=True)
    assert recurring.count('<th scope="row">') == 10
    assert (
        "Alarm family L" in recurring and "Alarm family A " not in recurring
    )  # L has 14 incidents, A only 3
    assert "The 10 largest of 12 recurring groups." in recurring

    responders = client.get(f"/dashboard/panels/responders?{WINDOW}", headers=HTMX).get_data(as_text=True)
    assert responders.count('<th scope="row"><bdi class="ut">Responder') == 10
    assert "Responder 11" in responders and "Responder 00" not in responders
    assert "The 10 most interrupted of 12 responders." in responders


def test_the_page_computes_its_own_panels_and_shows_one_that_fails(
    app: Flask, login_as, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Tiles and tables are computed in the page's own request, one after another; a failing one is the error
    partial in a page that still shows the others."""
    world = make_world()
    make_incident(world.api, utc(2024, 3, 5, 3), ack_after=120, resolve_after=900)
    client = _member_of(world, login_as)
    built: list[str] = []

    def watched(panel: Panel) -> Panel:
        def build(
            query: MetricQuery, filters: DashboardFilters, settings: WorkspaceSettings
        ) -> dict[str, Any]:
            built.append(panel.name)
            if panel.name == "services":
                raise RuntimeError("services engine exploded")
            return panel.build(query, filters, settings)

        return Panel(panel.name, panel.title, build)

    monkeypatch.setattr(panels, "PANELS", {name: watched(panel) for name, panel in PANELS.items()})
    monkeypatch.setattr("app.analytics.views.PANELS", panels.PANELS)
    with caplog.at_level(logging.ERROR):
        page = client.get(f"/dashboard?{WINDOW}").get_data(as_text=True)
    assert built == ["kpis", "services", "teams"]
    assert 'data-kpi="incidents"' in page and 'id="panel-teams"' in page
    assert "could not be computed" in page and "services engine exploded" in caplog.text


def test_it_lists_responders_by_interruptions_then_acknowledgements(app: Flask, login_as) -> None:
    world = make_world()
    night, day, acker = (make_responder(world, name) for name in ("Nia Night", "Dan Day", "Ace Acker"))
    incident = make_incident(world.api, utc(2024, 3, 5, 2))
    make_notification(incident, night, utc(2024, 3, 5, 2, 0), channel="phone")  # 02:00: one sleep-hour page
    for minute in (0, 2, 4):  # three business-hour pages, two minutes apart
        make_notification(incident, day, utc(2024, 3, 5, 11, minute), channel="sms")
    for hour in (12, 13):  # one business-hour page each, and two first acknowledgements
        paged = make_incident(world.api, utc(2024, 3, 6, hour))
        make_log_entry(paged, LogEntryType.ACKNOWLEDGE, utc(2024, 3, 6, hour, 1), acker)
    make_notification(paged, acker, utc(2024, 3, 6, 13, 0), channel="push")
    client = _member_of(world, login_as)
    html = client.get(f"/dashboard/panels/responders?{WINDOW}", headers=HTMX).get_data(as_text=True)
    names = ("Dan Day", "Ace Acker", "Nia Night")
    rows = [html.index(f'<th scope="row"><bdi class="ut">{name}') for name in names]
    assert rows == sorted(rows)  # 3 interruptions; 1 and 2 acknowledgements; 1 and none


def _chart(html: str, name: str) -> dict:  # type: ignore[type-arg]
    start = html.index("data-series='", html.index(f'data-chart="{name}"')) + len("data-series='")
    return json.loads(html[start : html.index("'", start)])


def test_it_draws_partial_weeks_as_partial_and_each_duration_on_its_own_chart(app: Flask, login_as) -> None:
    world = make_world()
    _seed(world)
    client = _member_of(world, login_as)
    # Wednesday 28 February to Wednesday 27 March 2024: by week, the first and last weeks are partial.
    html = client.get("/dashboard/panels/trends?start=2024-02-28&end=2024-03-27", headers=HTMX).text
    incidents = _chart(html, "incidents")
    assert incidents["labels"][0] == "26 Feb" and incidents["labels"][-1] == "25 Mar"
    assert incidents["notes"][0] == "5 of 7 days" and incidents["notes"][-1] == "2 of 7 days"
    assert incidents["notes"][1:-1] == [None] * (len(incidents["labels"]) - 2)
    assert incidents["partial"][1:-1] == [None] * (len(incidents["labels"]) - 2)
    assert "26 Feb: 5 of 7 days; 25 Mar: 2 of 7 days" in html
    assert "26 Feb (5 of 7 days)" in html  # the table of numbers says it too
    mtta, mttr = _chart(html, "mtta"), _chart(html, "mttr")
    assert [d["label"] for d in mtta["datasets"]] == [f"MTTA ({mtta['unit']})"]
    assert [d["label"] for d in mttr["datasets"]] == [f"MTTR ({mttr['unit']})"]


def test_the_responders_panel_states_the_workspaces_business_hours(app: Flask, login_as) -> None:
    world = make_world()
    _seed(world)
    world.workspace.business_day_start, world.workspace.business_day_end = 7, 19
    world.workspace.business_days = "1,3,6"
    client = _member_of(world, login_as)
    html = client.get(f"/dashboard/panels/responders?{WINDOW}", headers=HTMX).text
    assert "business hours 07\u201319 Mon, Wed, Sat" in html
    world.workspace.business_days = "1,2,3,4,5"
    db.session.commit()
    html = client.get(f"/dashboard/panels/responders?{WINDOW}", headers=HTMX).text
    assert "business hours 07\u201319 Mon\u2013Fri" in html
