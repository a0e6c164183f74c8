"""The weekly / monthly report: which period a request means, its numbers for a known week, the CSVs."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from app.analytics.reports import Period, parse_period
from app.extensions import db
from app.models import PDPriority
from tests.analytics.factories import make_deployment, make_incident, utc
from tests.factories import Personas, make_pd_account, make_service, make_team


@pytest.mark.parametrize(
    ("kind", "day", "expected"),
    [
        ("week", "2026-11-19", Period("week", date(2026, 11, 16), date(2026, 11, 23))),
        ("month", "2026-02-10", Period("month", date(2026, 2, 1), date(2026, 3, 1))),
        ("month", "2026-12-31", Period("month", date(2026, 12, 1), date(2027, 1, 1))),
        ("week", None, Period("week", date(2026, 11, 9), date(2026, 11, 16))),
        ("month", "nonsense", Period("month", date(2026, 10, 1), date(2026, 11, 1))),
        ("year", None, Period("week", date(2026, 11, 9), date(2026, 11, 16))),
    ],
)
def test_it_picks_the_period(kind: str, day: str | None, expected: Period) -> None:
    assert parse_period(kind, day, today=date(2026, 11, 18)) == expected


def test_it_steps_between_periods() -> None:
    week = Period("week", date(2026, 11, 16), date(2026, 11, 23))
    assert week.previous.start == date(2026, 11, 9) and week.next.start == date(2026, 11, 23)
    assert week.label == "Week of 16 Nov to 22 Nov 2026"
    assert Period("month", date(2026, 3, 1), date(2026, 4, 1)).previous.start == date(2026, 2, 1)


@pytest.fixture
def known_week(personas: Personas) -> dict[str, object]:
    """Week of Mon 2 Nov 2026 (UTC): three counted incidents on api (one for Payments), one excluded, one
    the week before."""
    account = make_pd_account(personas.workspace)
    api, web = make_service(account, "api"), make_service(account, "=web")
    team = make_team(account, "Payments")
    make_incident(api, utc(2026, 11, 2, 10), ack_after=60, resolve_after=600, teams=[team], title="Disk full")
    make_incident(
        api, utc(2026, 11, 4, 3), ack_after=180, resolve_after=7200, escalation_count=1, title="Slow"
    )
    make_incident(web, utc(2026, 11, 8, 23, 59), title="Down")
    make_incident(api, utc(2026, 11, 5, 12), excluded=True, title="Test page")
    make_incident(api, utc(2026, 10, 28, 12), resolve_after=60)
    db.session.commit()
    return {"api": api, "web": web, "team": team}


def test_it_reports_a_known_week(login_as, personas: Personas, known_week: dict[str, object]) -> None:
    html = login_as(personas.member.email).get("/reports?period=week&date=2026-11-04").get_data(as_text=True)
    assert "Week of 02 Nov to 08 Nov 2026" in html
    tile = '<div class="rep-label">Incidents</div><div class="rep-value">3</div>'
    assert tile + '<div class="small muted">before: 1' in html
    assert '<div class="rep-label">Excluded</div><div class="rep-value">1</div>' in html
    assert '<div class="rep-label">MTTA (median)</div><div class="rep-value">2 m</div>' in html
    slowest = html[html.index("Slowest to resolve") :]
    assert slowest.index("Slow</bdi></a>") < slowest.index("Disk full</bdi></a>")
    assert "Test page" not in html
    assert 'href="/reports?period=week&amp;date=2026-10-26"' in html


def test_it_exports_the_breakdowns_as_csv(
    login_as, personas: Personas, known_week: dict[str, object]
) -> None:
    client = login_as(personas.member.email)
    response = client.get("/reports/by-service.csv?period=week&date=2026-11-04")
    assert response.is_streamed and response.mimetype == "text/csv"
    assert 'filename="by-service-week-2026-11-02.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:5] == ["name", "incidents", "unresolved", "escalated", "escalation_rate"]
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["api"][1:5] == ["2", "0", "1", "0.5"]
    assert by_name["api"][6] == "120" and by_name["api"][9] == "3900"
    assert by_name["'=web"][1:3] == ["1", "1"]

    teams = list(
        csv.reader(
            io.StringIO(client.get("/reports/by-team.csv?period=week&date=2026-11-04").get_data(as_text=True))
        )
    )
    assert {row[0]: row[1] for row in teams[1:]} == {"Payments": "1", "No team": "2"}


def test_it_shows_a_filter_form_that_keeps_its_choices(
    login_as, personas: Personas, known_week: dict[str, object]
) -> None:
    api, team = known_week["api"], known_week["team"]
    html = (
        login_as(personas.member.email)
        .get(f"/reports?period=month&date=2026-11-04&service={api.id}&team={team.id}&urgency=high")  # type: ignore[attr-defined]
        .get_data(as_text=True)
    )
    start = html.index('<form class="dash-filters rep-filters')
    form = html[start : html.index("</form>", start)]
    assert 'method="get" action="/reports"' in form
    assert '<option value="month" selected>Monthly</option>' in form
    assert 'name="date" value="2026-11-01"' in form
    assert f'name="service" value="{api.id}" checked' in form  # type: ignore[attr-defined]
    assert f'name="team" value="{team.id}" checked' in form  # type: ignore[attr-defined]
    assert '<option value="high" selected>High</option>' in form
    assert "Filtered to services: api; teams: Payments; high urgency." in html
    # The choices travel with the previous / next links and the CSV downloads.
    assert f'date=2026-10-01&amp;service={api.id}&amp;team={team.id}&amp;urgency=high"' in html  # type: ignore[attr-defined]


def test_it_counts_only_what_the_filters_keep(
    login_as, personas: Personas, known_week: dict[str, object]
) -> None:
    client = login_as(personas.member.email)
    tile = '<div class="rep-label">Incidents</div><div class="rep-value">{}</div>'
    team = known_week["team"]
    by_team = client.get(f"/reports?period=week&date=2026-11-04&team={team.id}").get_data(as_text=True)  # type: ignore[attr-defined]
    assert tile.format(1) in by_team
    low = client.get("/reports?period=week&date=2026-11-04&urgency=low").get_data(as_text=True)
    assert tile.format(0) in low


def test_it_drops_filters_it_does_not_know(
    login_as, personas: Personas, known_week: dict[str, object]
) -> None:
    html = (
        login_as(personas.member.email)
        .get("/reports?period=week&date=2026-11-04&service=999999&urgency=loud")
        .get_data(as_text=True)
    )
    assert "Ignored 1 unknown service in the filter." in html
    assert "Unknown urgency “loud”: showing all urgencies." in html
    assert '<div class="rep-label">Incidents</div><div class="rep-value">3</div>' in html


def test_it_reports_cfr_and_recovery_time_with_their_bands_and_the_auto_resolve_rate(
    login_as, personas: Personas, known_week: dict[str, object]
) -> None:
    api, web = known_week["api"], known_week["web"]
    # "Disk full" (api, 2 Nov 10:00, resolved 10:10) follows this deployment: failed, recovered in 1 h 10 m.
    make_deployment(api, utc(2026, 11, 2, 9))  # type: ignore[arg-type]
    for day in (3, 4, 5):  # nothing follows these within 24 h
        make_deployment(web, utc(2026, 11, day, 9))  # type: ignore[arg-type]
    make_incident(web, utc(2026, 11, 7, 10), resolve_after=300, auto_resolved=True, title="Flap")  # type: ignore[arg-type]
    db.session.commit()
    html = login_as(personas.member.email).get("/reports?period=week&date=2026-11-04").get_data(as_text=True)
    assert (
        '<div class="rep-label">Change failure rate</div><div class="rep-value">25 %'
        ' <span class="badge dora-low" title="DORA band">Low</span></div>'
        '<div class="small muted">before: —' in html  # 1 of 4; no deployment the week before: no rate
    )
    assert (
        '<div class="rep-label">Recovery time (median)</div><div class="rep-value">1 h 10 m'
        ' <span class="badge dora-high" title="DORA band">High</span></div>' in html
    )
    # Flap of the 3 resolved incidents; the week before, its one resolved incident by a person.
    assert (
        '<div class="rep-label">Auto-resolved</div><div class="rep-value">33.3 %</div>'
        '<div class="small muted">before: 0 %' in html
    )


def test_it_filters_by_priority(login_as, personas: Personas, known_week: dict[str, object]) -> None:
    account = known_week["api"].account  # type: ignore[attr-defined]
    db.session.add(
        PDPriority(workspace_id=personas.workspace.id, account_id=account.id, remote_id="PP1", name="P1")
    )
    make_incident(known_week["api"], utc(2026, 11, 3, 10), priority="P1", title="Paged")  # type: ignore[arg-type]
    db.session.commit()
    client = login_as(personas.member.email)
    tile = '<div class="rep-label">Incidents</div><div class="rep-value">{}</div>'
    p1 = client.get("/reports?period=week&date=2026-11-04&priority=P1").get_data(as_text=True)
    assert tile.format(1) in p1
    assert 'name="priority" value="P1" checked' in p1
    assert "Filtered to priority: P1." in p1
    assert 'date=2026-10-26&amp;priority=P1"' in p1  # the previous week keeps the filter
    none = client.get("/reports?period=week&date=2026-11-04&priority=none").get_data(as_text=True)
    assert tile.format(3) in none and "Filtered to priority: no priority." in none
    unknown = client.get("/reports?period=week&date=2026-11-04&priority=P9").get_data(as_text=True)
    assert "Ignored 1 unknown priority in the filter." in unknown and tile.format(4) in unknown


def test_it_names_recurring_incidents_by_title_template_as_the_dashboard_does(
    login_as, personas: Personas
) -> None:
    account = make_pd_account(personas.workspace)
    api = make_service(account, "api")
    for day, disk in ((2, 91), (3, 92), (4, 97)):
        make_incident(api, utc(2026, 11, day, 10), title=f"Disk {disk}% full on db-{day}")
    db.session.commit()
    html = login_as(personas.member.email).get("/reports?period=week&date=2026-11-04").get_data(as_text=True)
    recurring = html[html.index("<h2>Recurring incidents</h2>") : html.index("Slowest to resolve")]
    assert "Title template" in recurring and "Disk &lt;n&gt;% full on db-&lt;n&gt;" in recurring
    assert re.search(r"e\.g\. <bdi[^>]*>Disk 9", recurring) and re.search(r">100 ?%<", recurring)


def test_it_says_what_to_do_first_on_an_empty_instance(login_as, personas: Personas) -> None:
    admin = login_as(personas.admin.email).get("/reports").get_data(as_text=True)
    assert "Nothing to report yet" in admin and 'href="/integrations"' in admin
    assert "rep-tiles" not in admin  # no grid of dashes
    member = login_as(personas.member.email).get("/reports").get_data(as_text=True)
    assert "Ask an owner or admin" in member
