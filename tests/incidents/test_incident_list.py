"""The incident list: filters in the URL, a title search, the excluded toggle, pages of 50, empty states."""

from __future__ import annotations

import re
from datetime import timedelta

from flask.testing import FlaskClient

from app.extensions import db
from app.models import PDPriority
from tests.analytics.factories import make_incident
from tests.factories import Personas, make_pd_account, make_service
from tests.incidents.conftest import Acme


def numbers(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td class="muted">(\d+)</td>', html)]


def test_it_lists_newest_first_with_the_columns(login_as, personas: Personas, acme: Acme) -> None:
    old = make_incident(acme.api, acme.ago(days=3), ack_after=125, resolve_after=3 * 3600, title="Disk full")
    new = make_incident(acme.web, acme.ago(hours=2), escalation_count=2, title="CPU high")
    db.session.commit()
    html = login_as(personas.member.email).get("/incidents").get_data(as_text=True)
    assert numbers(html) == [new.number, old.number]
    assert f'href="/incidents/{old.id}"' in html
    assert "2 m 5 s" in html and "3 h" in html
    assert "Triggered" in html and "Resolved" in html


def test_it_filters_by_service_urgency_status_and_priority(login_as, personas: Personas, acme: Acme) -> None:
    api_high = make_incident(acme.api, acme.ago(days=1), priority="P1")
    # The filter offers (and takes) the priorities sync stored for the workspace.
    db.session.add(
        PDPriority(
            workspace_id=acme.account.workspace_id,
            account_id=acme.account.id,
            remote_id="PP1",
            name="P1",
            rank=0,
        )
    )
    web_low = make_incident(acme.web, acme.ago(days=1), urgency="low", resolve_after=60)
    db.session.commit()
    client = login_as(personas.member.email)
    assert numbers(client.get(f"/incidents?service={acme.api.id}").get_data(as_text=True)) == [
        api_high.number
    ]
    assert numbers(client.get("/incidents?urgency=low").get_data(as_text=True)) == [web_low.number]
    assert numbers(client.get("/incidents?status=resolved").get_data(as_text=True)) == [web_low.number]
    assert numbers(client.get("/incidents?priority=P1").get_data(as_text=True)) == [api_high.number]
    assert numbers(client.get("/incidents?priority=none").get_data(as_text=True)) == [web_low.number]


def test_it_filters_by_team(login_as, personas: Personas, acme: Acme) -> None:
    tagged = make_incident(acme.api, acme.ago(days=1), teams=[acme.team])
    make_incident(acme.api, acme.ago(days=1))
    db.session.commit()
    html = login_as(personas.member.email).get(f"/incidents?team={acme.team.id}").get_data(as_text=True)
    assert numbers(html) == [tagged.number]


def test_it_searches_titles_case_insensitively_and_literally(
    login_as, personas: Personas, acme: Acme
) -> None:
    disk = make_incident(acme.api, acme.ago(days=1), title="Disk FULL on db-1")
    make_incident(acme.api, acme.ago(days=1), title="CPU at 100%")
    db.session.commit()
    client = login_as(personas.member.email)
    assert numbers(client.get("/incidents?q=disk+full").get_data(as_text=True)) == [disk.number]
    assert numbers(client.get("/incidents?q=%25").get_data(as_text=True)) != [disk.number]


def test_it_applies_the_window_presets_and_custom_dates(login_as, personas: Personas, acme: Acme) -> None:
    recent = make_incident(acme.api, acme.ago(days=2))
    older = make_incident(acme.api, acme.ago(days=45))
    db.session.commit()
    client = login_as(personas.member.email)
    assert numbers(client.get("/incidents").get_data(as_text=True)) == [recent.number]
    assert numbers(client.get("/incidents?range=90").get_data(as_text=True)) == [recent.number, older.number]
    day = older.created_at.date()
    custom = f"/incidents?start={day}&end={day + timedelta(days=1)}"
    assert numbers(client.get(custom).get_data(as_text=True)) == [older.number]


def test_it_hides_excluded_incidents_unless_asked(login_as, personas: Personas, acme: Acme) -> None:
    counted = make_incident(acme.api, acme.ago(days=1))
    excluded = make_incident(acme.api, acme.ago(days=2), excluded=True)
    db.session.commit()
    client = login_as(personas.member.email)
    assert numbers(client.get("/incidents").get_data(as_text=True)) == [counted.number]
    html = client.get("/incidents?excluded=1").get_data(as_text=True)
    assert numbers(html) == [counted.number, excluded.number]
    assert "Excluded</span>" in html


def test_it_sorts_by_time_to_acknowledge(login_as, personas: Personas, acme: Acme) -> None:
    fast = make_incident(acme.api, acme.ago(days=1), ack_after=10)
    slow = make_incident(acme.api, acme.ago(days=2), ack_after=900)
    never = make_incident(acme.api, acme.ago(days=3))
    db.session.commit()
    html = login_as(personas.member.email).get("/incidents?sort=tta").get_data(as_text=True)
    assert numbers(html) == [slow.number, fast.number, never.number]


def test_it_pages_by_fifty(login_as, personas: Personas, acme: Acme) -> None:
    made = [make_incident(acme.api, acme.ago(hours=n + 1)) for n in range(53)]
    db.session.commit()
    client = login_as(personas.member.email)
    first = client.get("/incidents?urgency=high").get_data(as_text=True)
    assert numbers(first) == [i.number for i in made[:50]]
    assert "1\u201350</strong> of <strong>53" in first
    assert 'href="/incidents?urgency=high&amp;page=2"' in first
    second = client.get("/incidents?urgency=high&page=2").get_data(as_text=True)
    assert numbers(second) == [i.number for i in made[50:]]
    beyond = client.get("/incidents?page=9").get_data(as_text=True)
    assert numbers(beyond) == numbers(second)


def test_it_returns_only_the_list_to_htmx(login_as, personas: Personas, acme: Acme) -> None:
    make_incident(acme.api, acme.ago(days=1))
    db.session.commit()
    response = login_as(personas.member.email).get("/incidents", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert '<div id="incident-list">' in html and "<html" not in html and "inc-filters" not in html


def test_it_shows_the_empty_states(login_as, client: FlaskClient, personas: Personas) -> None:
    login_as(personas.member.email)
    html = client.get("/incidents").get_data(as_text=True)
    assert "No PagerDuty account linked" in html and 'href="/integrations"' in html
    make_service(make_pd_account(personas.workspace), "api")
    db.session.commit()
    assert "No incidents in this window" in client.get("/incidents").get_data(as_text=True)


def test_it_never_lists_another_workspaces_incidents(login_as, personas: Personas, acme: Acme) -> None:
    theirs = make_service(make_pd_account(personas.other_workspace, subdomain="globex"), "theirs")
    make_incident(theirs, acme.ago(days=1), title="Globex secret")
    db.session.commit()
    html = login_as(personas.member.email).get(f"/incidents?service={theirs.id}").get_data(as_text=True)
    assert "Globex secret" not in html


def test_it_reports_a_half_custom_window(login_as, personas: Personas, acme: Acme) -> None:
    html = (
        login_as(personas.member.email).get("/incidents?range=custom&start=2024-01-05").get_data(as_text=True)
    )
    assert "Pick both a start and an end date" in html


def test_it_gives_htmx_history_restores_the_whole_page(login_as, personas: Personas, acme: Acme) -> None:
    headers = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    response = login_as(personas.member.email).get("/incidents?range=7", headers=headers)
    assert "<html" in response.get_data(as_text=True)
    assert "HX-Request" in response.headers["Vary"]
