"""Excluding an incident from the metrics: admins only, with a reason, shown on the page, and reversible."""

from __future__ import annotations

from sqlalchemy import select

from app.analytics import metrics
from app.analytics.query import MetricQuery
from app.extensions import db
from app.models import AuditEvent, Incident
from tests.analytics.factories import make_incident
from tests.factories import Personas
from tests.incidents.conftest import Acme


def counts(personas: Personas, acme: Acme) -> tuple[int, int]:
    db.session.expire_all()
    summary = metrics.summary(MetricQuery.last_days(personas.workspace, 30, now=acme.now))
    return summary.incident_count, summary.counts.excluded_count


def test_it_forbids_members_to_exclude(login_as, personas: Personas, acme: Acme) -> None:
    incident = make_incident(acme.api, acme.ago(days=1))
    db.session.commit()
    client = login_as(personas.member.email)
    assert client.post(f"/incidents/{incident.id}/exclude", data={"reason": "test"}).status_code == 403
    assert "An admin can exclude it" in client.get(f"/incidents/{incident.id}").get_data(as_text=True)


def test_it_excludes_and_includes_again(login_as, personas: Personas, acme: Acme) -> None:
    incident = make_incident(acme.api, acme.ago(days=1))
    make_incident(acme.api, acme.ago(days=2))
    db.session.commit()
    assert counts(personas, acme) == (2, 0)
    client = login_as(personas.admin.email)

    response = client.post(f"/incidents/{incident.id}/exclude", data={"reason": "test page"})
    assert response.status_code == 302
    assert counts(personas, acme) == (1, 1)
    html = client.get(f"/incidents/{incident.id}").get_data(as_text=True)
    assert "Excluded</span> since" in html and "by Adam Admin" in html
    assert '“<bdi class="ut">test page</bdi>”' in html

    assert client.post(f"/incidents/{incident.id}/include").status_code == 302
    assert counts(personas, acme) == (2, 0)
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert [a for a in actions if a.startswith("incident.")] == ["incident.excluded", "incident.included"]


def test_it_requires_a_reason(login_as, personas: Personas, acme: Acme) -> None:
    incident = make_incident(acme.api, acme.ago(days=1))
    db.session.commit()
    client = login_as(personas.admin.email)
    response = client.post(
        f"/incidents/{incident.id}/exclude", data={"reason": "  "}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="exclusion"' in html and "Say why this incident should not count" in html
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).excluded is False


def test_it_answers_htmx_with_the_panel(login_as, personas: Personas, acme: Acme) -> None:
    incident = make_incident(acme.api, acme.ago(days=1))
    db.session.commit()
    client = login_as(personas.admin.email)
    response = client.post(
        f"/incidents/{incident.id}/exclude", data={"reason": "drill"}, headers={"HX-Request": "true"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section class="panel inc-exclusion" id="exclusion">')
    assert "Count it again" in html
