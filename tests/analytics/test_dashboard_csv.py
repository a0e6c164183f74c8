"""The dashboard's by-service and by-team tables as CSV: the rows the table shows, for the same filters."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.extensions import db
from app.models import Role
from tests.analytics.factories import World, make_incident, make_world, utc
from tests.factories import make_pd_account, make_service, make_team, make_user, make_workspace

# A custom window, high urgency only, the service table sorted by MTTA (slowest first).
FILTERS = "start=2024-03-04&end=2024-03-11&urgency=high&service_sort=-mtta"
HEADER = (
    "name,incidents,unresolved,escalated,escalation_rate,mtta_mean_seconds,mtta_p50_seconds,mtta_p90_seconds,"
    "mttr_mean_seconds,mttr_p50_seconds,mttr_p90_seconds"
)


def _seed(world: World) -> None:
    search = make_team(world.account, "Search")
    make_incident(world.api, utc(2024, 3, 4, 10), ack_after=60, resolve_after=600, teams=[world.team])
    make_incident(
        world.api, utc(2024, 3, 5), ack_after=120, resolve_after=1200, escalation_count=1, teams=[world.team]
    )
    make_incident(world.api, utc(2024, 3, 6), ack_after=180, teams=[world.team, search])  # still open
    make_incident(world.web, utc(2024, 3, 7), ack_after=600, resolve_after=3600, teams=[search])
    # Outside the population: low urgency, before and after the window, an unfollowed service, excluded.
    make_incident(world.web, utc(2024, 3, 7), ack_after=5, urgency="low", teams=[search])
    make_incident(world.api, utc(2024, 3, 3, 23, 59), ack_after=5, teams=[world.team])
    make_incident(world.api, utc(2024, 3, 11), ack_after=5, teams=[world.team])
    make_incident(world.legacy, utc(2024, 3, 5), ack_after=5)
    make_incident(world.web, utc(2024, 3, 5), ack_after=5, excluded=True, teams=[search])


def _member_of(world: World, login_as: Callable[[str], FlaskClient]) -> FlaskClient:
    make_user("dana@world.test", "Dana", world.workspace, Role.MEMBER)
    db.session.commit()
    return login_as("dana@world.test")


def _table_rows(page: str, name: str) -> list[tuple[str, int, int]]:
    """(name, incidents, open) of each row of the panel's table, as a reader sees them."""
    section = page[page.index(f'id="panel-{name}"') :]
    section = section[: section.index("</table>")]
    number = r'\s*<td class="num[^"]*">(\d+)</td>'
    cells = re.findall(r'<th scope="row">(.*?)</th>' + number + number, section)
    # The name is shown isolated (<bdi>); a reader sees its text.
    return [(html.unescape(re.sub("<[^>]+>", "", row)), int(n), int(open_)) for row, n, open_ in cells]


def _csv_link(page: str, name: str) -> str:
    section = page[page.index(f'id="panel-{name}"') :]
    match = re.search(rf'href="(/dashboard/{name}\.csv[^"]*)" download>Download CSV</a>', section)
    assert match, f"no CSV link in the {name} panel"
    return html.unescape(match.group(1))


def test_it_downloads_the_rows_each_table_shows(app: Flask, login_as) -> None:
    world = make_world()
    _seed(world)
    client = _member_of(world, login_as)
    page = client.get(f"/dashboard?{FILTERS}").get_data(as_text=True)

    services_link = _csv_link(page, "services")
    assert services_link == "/dashboard/services.csv?" + FILTERS
    response = client.get(services_link)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="by-service-2024-03-04-to-2024-03-10.csv"'
    )
    assert response.get_data(as_text=True).splitlines() == [
        HEADER,
        "web,1,0,0,0.0,600,600,600,3600,3600,3600",
        "api,3,1,1,0.3333,120,120,168,900,900,1140",
    ]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["name"], int(r["incidents"]), int(r["unresolved"])) for r in rows] == _table_rows(
        page, "services"
    )

    teams = client.get(_csv_link(page, "teams"))
    disposition = teams.headers["Content-Disposition"]
    assert disposition == 'attachment; filename="by-team-2024-03-04-to-2024-03-10.csv"'
    assert teams.get_data(as_text=True).splitlines() == [
        HEADER,
        "Payments,3,1,1,0.3333,120,120,168,900,900,1140",
        "Search,2,1,0,0.0,390,390,558,3600,3600,3600",
    ]
    team_rows = list(csv.DictReader(io.StringIO(teams.get_data(as_text=True))))
    assert [(r["name"], int(r["incidents"]), int(r["unresolved"])) for r in team_rows] == _table_rows(
        page, "teams"
    )


def test_it_follows_a_sort_a_preset_window_and_an_empty_table(app: Flask, login_as) -> None:
    world = make_world()
    _seed(world)
    client = _member_of(world, login_as)
    by_name = client.get("/dashboard/services.csv?start=2024-03-04&end=2024-03-11&service_sort=name")
    names = [line.split(",")[0] for line in by_name.get_data(as_text=True).splitlines()]
    assert names == ["name", "api", "web"]
    # The seeded incidents are years old: the last 7 days have none, so the table is empty and so is the file.
    preset = client.get("/dashboard/teams.csv?range=7")
    assert preset.status_code == 200
    assert preset.get_data(as_text=True).splitlines() == [HEADER]
    empty_page = client.get("/dashboard?range=7").get_data(as_text=True)
    assert "/dashboard/services.csv" not in empty_page  # no link beside "No incidents in this window"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("service=999999", "Ignored 1 unknown service in the filter."),
        ("start=2024-03-11&end=2024-03-04", "The end date must be after the start date"),
        ("start=2024-03-04", "Pick both a start and an end date"),
        ("range=12", "Unknown range “12”"),
        ("urgency=urgent", "Unknown urgency “urgent”"),
        ("team_sort=colour", "Unknown sort “colour”"),
    ],
)
def test_it_refuses_bad_filters_with_a_message(app: Flask, login_as, query: str, message: str) -> None:
    client = _member_of(make_world(), login_as)
    for name in ("services", "teams"):
        response = client.get(f"/dashboard/{name}.csv?{query}")
        assert response.status_code == 400
        assert message in html.unescape(response.get_data(as_text=True))
        assert response.mimetype == "text/html"


def test_it_reads_only_the_current_workspace(app: Flask, login_as) -> None:
    world = make_world()
    _seed(world)
    other = make_workspace("Globex")
    theirs = make_service(make_pd_account(other), "globex-api")
    make_incident(theirs, utc(2024, 3, 5), ack_after=30)
    client = _member_of(world, login_as)
    # Another workspace's service id is refused like a typo, never counted.
    refused = client.get(f"/dashboard/services.csv?start=2024-03-04&end=2024-03-11&service={theirs.id}")
    assert refused.status_code == 400
    rows = client.get("/dashboard/services.csv?start=2024-03-04&end=2024-03-11").get_data(as_text=True)
    assert "globex" not in rows and rows.splitlines()[1].startswith("api,3,")


def test_it_needs_a_login_and_a_known_table(app: Flask, client: FlaskClient, login_as) -> None:
    assert client.get("/dashboard/services.csv").status_code == 302
    member = _member_of(make_world(), login_as)
    assert member.get("/dashboard/incidents.csv").status_code == 404
