"""The dashboard page: tiles, filters in the URL, bad filters, the empty workspace, and isolation."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import Role
from tests.analytics.factories import World, make_deployment, make_incident, make_priority, make_world, utc
from tests.factories import make_user, make_workspace

WINDOW = "start=2024-03-04&end=2024-03-11"
HTMX = {"HX-Request": "true"}


def _member_of(world: World, login_as: Callable[[str], FlaskClient]) -> FlaskClient:
    make_user("dana@world.test", "Dana", world.workspace, Role.MEMBER)
    db.session.commit()
    return login_as("dana@world.test")


def _seed(world: World) -> None:
    """Week of 2024-03-04: three incidents on api (two high), one low on web, one deploy that failed."""
    make_incident(world.api, utc(2024, 3, 4, 10), ack_after=120, resolve_after=600, teams=[world.team])
    make_incident(world.api, utc(2024, 3, 5, 10), ack_after=240, resolve_after=3600, escalation_count=1)
    make_incident(world.api, utc(2024, 3, 6, 3), ack_after=60)
    make_incident(world.web, utc(2024, 3, 7, 10), ack_after=600, resolve_after=7200, urgency="low")
    make_deployment(world.api, utc(2024, 3, 5, 9))
    # The week before, for the deltas: one incident, acknowledged after 10 minutes.
    make_incident(world.api, utc(2024, 2, 27, 10), ack_after=600, resolve_after=900)


def _tile(html: str, key: str) -> str:
    start = html.index(f'data-kpi="{key}"')
    return html[start : html.index("</li>", start)]


def test_it_shows_the_tiles_with_their_numbers_and_deltas(app: Flask, login_as) -> None:
    world = make_world()
    _seed(world)
    client = _member_of(world, login_as)
    html = client.get(f"/dashboard?{WINDOW}").get_data(as_text=True)
    assert "4 Mar 2024 to 10 Mar 2024," in html
    incidents = _tile(html, "incidents")
    assert ">4" in incidents and "+3" in incidents and "dash-worse" in incidents
    mtta = _tile(html, "mtta")  # (120 + 240 + 60 + 600) / 4 = 255 s, 10 m before
    assert "4 m 15 s" in mtta and "-5 m 45 s" in mtta and "dash-better" in mtta
    assert "p50 3 m" in mtta
    mttr = _tile(html, "mttr")  # resolved after 600, 3600 and 7200 s: p90 at 3600 + 0.8 * 3600
    assert "1 unresolved" in mttr and "p90 1 h 48 m" in mttr
    cfr = _tile(html, "cfr")
    assert "100 %" in cfr and "Low" in cfr
    assert "no data to compare" in cfr  # no deployment the week before: never shown as 0
    assert "25 %" in _tile(html, "escalation")


def test_it_renders_the_breakdown_tables_without_javascript(app: Flask, login_as) -> None:
    world = make_world()
    _seed(world)
    client = _member_of(world, login_as)
    html = client.get(f"/dashboard?{WINDOW}").get_data(as_text=True)
    services = html[html.index('id="panel-services"') : html.index('id="panel-teams"')]
    assert services.index(">api<") < services.index(">web<")  # most incidents first
    assert "Payments" in html[html.index('id="panel-teams"') :]
    # The other panels are lazy: a loading state pointing at their endpoint.
    assert 'hx-get="/dashboard/panels/trends?start=2024-03-04&amp;end=2024-03-11"' in html
    assert "Loading…" in html
    # Each keeps a way to it without JavaScript: its endpoint answers such a request with a whole page.
    for name, text in (
        ("trends", "Show trends"),
        ("recurring", "Show recurring incidents"),
        ("heatmap", "Show when incidents start"),
        ("responders", "Show interruptions and responder load"),
    ):
        link = (
            f'<noscript><p><a href="/dashboard/panels/{name}?start=2024-03-04&amp;end=2024-03-11">{text}</a>'
        )
        assert link in html


def test_it_sorts_a_breakdown_by_the_query_parameter(app: Flask, login_as) -> None:
    world = make_world()
    _seed(world)
    client = _member_of(world, login_as)
    html = client.get(f"/dashboard/panels/services?{WINDOW}&service_sort=mttr", headers=HTMX).get_data(
        as_text=True
    )
    assert html.index(">api<") < html.index(">web<")  # api 35 m mean, web 2 h
    html = client.get(f"/dashboard/panels/services?{WINDOW}&service_sort=-mttr", headers=HTMX).get_data(
        as_text=True
    )
    assert html.index(">web<") < html.index(">api<")
    assert 'aria-sort="descending"' in html


def test_it_narrows_the_numbers_with_filters_in_the_url(app: Flask, login_as) -> None:
    world = make_world()
    _seed(world)
    client = _member_of(world, login_as)
    high = client.get(f"/dashboard?{WINDOW}&urgency=high").get_data(as_text=True)
    assert ">3" in _tile(high, "incidents")
    web = client.get(f"/dashboard?{WINDOW}&service={world.web.id}").get_data(as_text=True)
    assert ">1" in _tile(web, "incidents")
    assert f'name="service" value="{world.web.id}" checked' in web
    team = client.get(f"/dashboard?{WINDOW}&team={world.team.id}").get_data(as_text=True)
    assert ">1" in _tile(team, "incidents")


def test_it_explains_invalid_filters_and_falls_back_to_defaults(app: Flask, login_as) -> None:
    world = make_world()
    _seed(world)
    client = _member_of(world, login_as)
    for args, message in [
        ("range=45", "Unknown range"),
        ("start=2024-03-11&end=2024-03-04", "end date must be after"),
        ("start=yesterday&end=2024-03-04", "YYYY-MM-DD"),
        ("urgency=urgent", "Unknown urgency"),
        ("service=abc", "Ignored 1 unknown service"),
        ("service_sort=colour", "Unknown sort"),
    ]:
        response = client.get(f"/dashboard?{args}")
        assert response.status_code == 200, args
        assert message in response.get_data(as_text=True), args


def test_it_ignores_another_workspaces_service(app: Flask, login_as) -> None:
    world, other = make_world(), make_world(name="Elsewhere")
    _seed(world)
    make_incident(other.api, utc(2024, 3, 5, 10), title="Secret outage")
    client = _member_of(world, login_as)
    html = client.get(f"/dashboard?{WINDOW}&service={other.api.id}").get_data(as_text=True)
    assert "Ignored 1 unknown service" in html
    assert ">4" in _tile(html, "incidents")  # the default population, not the other workspace's
    panel = client.get(f"/dashboard/panels/recurring?{WINDOW}&service={other.api.id}", headers=HTMX)
    assert "Secret outage" not in panel.get_data(as_text=True)


def test_it_shows_the_link_prompt_when_nothing_is_linked(app: Flask, login_as) -> None:
    workspace = make_workspace("Fresh")
    make_user("new@fresh.test", "New", workspace, Role.MEMBER)
    db.session.commit()
    html = login_as("new@fresh.test").get("/dashboard").get_data(as_text=True)
    assert "No incident data yet" in html
    assert "dash-tiles" not in html


def test_it_swaps_only_the_body_for_the_htmx_filter_form(app: Flask, login_as) -> None:
    world = make_world()
    _seed(world)
    client = _member_of(world, login_as)
    html = client.get(f"/dashboard?{WINDOW}", headers=HTMX).get_data(as_text=True)
    assert html.lstrip().startswith('<div id="dashboard-body"')
    assert "<html" not in html


def _recovery_weeks(world: World) -> None:
    """The week before: a deployment on api recovered in 1 h 30 m, its incident resolved by a person. This
    week: one recovered in 30 m by an auto-resolve, a person resolves another incident, one is excluded."""
    make_deployment(world.api, utc(2024, 2, 27, 9))
    make_incident(world.api, utc(2024, 2, 27, 10), resolve_after=1800)
    make_deployment(world.api, utc(2024, 3, 5, 9))
    make_incident(world.api, utc(2024, 3, 5, 9, 20), resolve_after=600, auto_resolved=True)
    make_incident(world.web, utc(2024, 3, 6, 10), ack_after=60, resolve_after=900)
    make_incident(world.web, utc(2024, 3, 7, 10), title="Fire drill", excluded=True)


def test_it_shows_recovery_time_with_its_band_and_the_auto_resolve_rate(app: Flask, login_as) -> None:
    world = make_world()
    _recovery_weeks(world)
    client = _member_of(world, login_as)
    html = client.get(f"/dashboard?{WINDOW}").get_data(as_text=True)
    recovery = _tile(html, "recovery")
    assert ">30 m" in recovery and "dora-elite" in recovery  # under an hour
    assert "-1 h" in recovery and "dash-better" in recovery  # 1 h 30 m the week before
    assert "median of 1 recovered" in recovery and "0 not yet recovered" in recovery
    auto = _tile(html, "auto_resolve")
    assert "50 %" in auto and "1 of 2 resolved" in auto
    assert "+50.0 pp" in auto and "dash-changed" in auto  # shown, not judged better or worse


def test_it_shows_no_recovery_time_without_a_recovered_deployment(app: Flask, login_as) -> None:
    world = make_world()
    _seed(world)  # the deployment's incidents include one still open
    client = _member_of(world, login_as)
    recovery = _tile(client.get(f"/dashboard?{WINDOW}").get_data(as_text=True), "recovery")
    assert ">—" in recovery and "dora-" not in recovery and "1 not yet recovered" in recovery


def test_it_says_how_many_incidents_are_excluded_and_links_to_them(app: Flask, login_as) -> None:
    world = make_world()
    _recovery_weeks(world)
    client = _member_of(world, login_as)
    html = client.get(f"/dashboard?{WINDOW}").get_data(as_text=True)
    assert "1 incident excluded from these numbers" in html
    link = "/incidents?excluded=1&amp;start=2024-03-04&amp;end=2024-03-11"
    assert f'href="{link}"' in html
    listed = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "Fire drill" in listed
    # Narrowed to api, nothing in the window is excluded: nothing is said.
    api_only = client.get(f"/dashboard?{WINDOW}&service={world.api.id}").get_data(as_text=True)
    assert "excluded from these numbers" not in api_only


def test_the_excluded_link_of_a_two_year_window_lands_on_a_list_that_shows_it(app: Flask, login_as) -> None:
    """The dashboard takes custom windows up to two years; the incident list must take the same."""
    world = make_world()
    _recovery_weeks(world)
    client = _member_of(world, login_as)
    html = client.get("/dashboard?start=2022-06-01&end=2024-06-01").get_data(as_text=True)
    link = "/incidents?excluded=1&amp;start=2022-06-01&amp;end=2024-06-01"
    assert f'href="{link}"' in html
    listed = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "Fire drill" in listed and "at most two years" not in listed
    # A day longer than the dashboard allows is refused on the list too, with the reason.
    longer = client.get("/incidents?start=2022-05-31&end=2024-06-01").get_data(as_text=True)
    assert "A custom window may span at most two years" in longer


def test_it_filters_by_priority_and_keeps_it_in_the_url(app: Flask, login_as) -> None:
    world = make_world()
    make_priority(world, "P1", rank=0)
    make_priority(world, "P2", rank=1)
    make_incident(world.api, utc(2024, 3, 4, 10), priority="P1")
    make_incident(world.api, utc(2024, 3, 5, 10), priority="P2")
    make_incident(world.web, utc(2024, 3, 6, 10))
    client = _member_of(world, login_as)
    html = client.get(f"/dashboard?{WINDOW}&priority=P2&priority=none").get_data(as_text=True)
    assert ">2" in _tile(html, "incidents")
    assert 'name="priority" value="P2" checked' in html and 'name="priority" value="none" checked' in html
    assert 'name="priority" value="P1" >' in html
    # The panels refresh with the same filter.
    assert (
        "/dashboard/panels/kpis?start=2024-03-04&amp;end=2024-03-11&amp;priority=P2&amp;priority=none" in html
    )
    assert ">1" in _tile(client.get(f"/dashboard?{WINDOW}&priority=P1").get_data(as_text=True), "incidents")
    unknown = client.get(f"/dashboard?{WINDOW}&priority=SEV1").get_data(as_text=True)
    assert "Ignored 1 unknown priority in the filter." in unknown
    assert ">3" in _tile(unknown, "incidents")
