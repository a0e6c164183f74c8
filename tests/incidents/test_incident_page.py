"""One incident's page: facts, the timeline in words, the changes before it, the link to PagerDuty."""

from __future__ import annotations

from datetime import timedelta

from app.extensions import db
from app.models import LogEntryType
from tests.analytics.factories import make_deployment, make_incident, make_log_entry, make_notification
from tests.factories import Personas, make_pd_account, make_pd_user, make_service
from tests.incidents.conftest import Acme


def test_it_shows_the_timeline_in_words(login_as, personas: Personas, acme: Acme) -> None:
    incident = make_incident(acme.api, acme.ago(days=1), ack_after=90, resolve_after=2 * 3600 + 60)
    ada = make_pd_user(acme.account, "Ada Lovelace")
    start = incident.created_at
    make_log_entry(incident, LogEntryType.TRIGGER, start, channel="api")
    make_notification(incident, ada, start + timedelta(seconds=5), channel="sms")
    make_log_entry(incident, LogEntryType.ACKNOWLEDGE, start + timedelta(seconds=90), ada)
    make_log_entry(incident, LogEntryType.RESOLVE, start + timedelta(seconds=7260), channel="timeout")
    incident.html_url = "https://acme.pagerduty.com/incidents/PINC1"
    db.session.commit()
    html = login_as(personas.member.email).get(f"/incidents/{incident.id}").get_data(as_text=True)
    order = ["Triggered through the API", "Notified Ada Lovelace by SMS", "Acknowledged by Ada Lovelace"]
    positions = [html.index(text) for text in [*order, "Resolved by timeout"]]
    assert positions == sorted(positions)
    assert "TTA 1 m 30 s" in html and "TTR 2 h 1 m" in html
    assert (
        'href="https://acme.pagerduty.com/incidents/PINC1" target="_blank" rel="noopener noreferrer"' in html
    )


def test_it_lists_the_changes_before_the_incident(login_as, personas: Personas, acme: Acme) -> None:
    incident = make_incident(acme.api, acme.ago(days=1))
    make_deployment(acme.api, incident.created_at - timedelta(minutes=30), summary="Deploy api v42")
    make_deployment(acme.api, incident.created_at - timedelta(hours=6), summary="Deploy api v41")
    db.session.commit()
    html = login_as(personas.member.email).get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "Deploy api v42" in html and "Deploy api v41" not in html


def test_it_says_when_no_change_preceded_it(login_as, personas: Personas, acme: Acme) -> None:
    incident = make_incident(acme.api, acme.ago(days=1))
    db.session.commit()
    html = login_as(personas.member.email).get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "No deployments recorded in the 4 hours before this incident." in html
    assert "No log entries synced" in html


def test_it_hides_another_workspaces_incident(login_as, personas: Personas, acme: Acme) -> None:
    theirs = make_incident(
        make_service(make_pd_account(personas.other_workspace, "globex")), acme.ago(days=1)
    )
    db.session.commit()
    client = login_as(personas.admin.email)
    assert client.get(f"/incidents/{theirs.id}").status_code == 404
    assert client.post(f"/incidents/{theirs.id}/exclude", data={"reason": "x"}).status_code == 404
    assert client.post(f"/incidents/{theirs.id}/include").status_code == 404


def test_it_links_only_to_web_addresses(login_as, personas: Personas, acme: Acme) -> None:
    incident = make_incident(acme.api, acme.ago(days=1))
    incident.html_url = "javascript:alert(1)"
    deployment = make_deployment(acme.api, incident.created_at - timedelta(minutes=5), summary="Deploy")
    deployment.url = "javascript:x()"
    db.session.commit()
    html = login_as(personas.member.email).get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "javascript:" not in html and "Open in PagerDuty" not in html
