"""Deleting the synced data of a service no longer followed, from the account page, against pdsim's data."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.crypto import encrypt
from app.extensions import db
from app.integrations.pagerduty.sync import runner
from app.models import (
    AuditEvent,
    Deployment,
    Incident,
    IncidentLogEntry,
    Interruption,
    PagerDutyAccount,
    PDService,
    Workspace,
)
from app.models.incidents import incident_teams
from pdsim.testing import RunningSim
from tests.factories import Personas, make_pd_account
from tests.sync.conftest import TOKEN, select_all_services


@pytest.fixture
def synced(personas: Personas, sim: RunningSim) -> PagerDutyAccount:
    account = make_pd_account(
        personas.workspace, token_user_email=sim.admin_email, access_token_enc=encrypt(TOKEN)
    )
    db.session.commit()
    select_all_services(account, sim)
    assert runner.run(account.id) == "succeeded"
    return account


def _busiest(account: PagerDutyAccount) -> PDService:
    """The service with the most incidents, which has deployments, notifications and team links too."""
    counts = (
        select(Incident.service_id, func.count(Incident.id).label("n"))
        .where(Incident.account_id == account.id)
        .group_by(Incident.service_id)
        .order_by(func.count(Incident.id).desc())
    )
    service_id = db.session.execute(counts).first()[0]
    return db.session.get(PDService, service_id)


def _held(service_id: int) -> dict[str, int]:
    incidents = select(Incident.id).where(Incident.service_id == service_id)

    def count(statement: object) -> int:
        return int(db.session.scalar(statement) or 0)  # type: ignore[arg-type]

    return {
        "incidents": count(
            select(func.count()).select_from(Incident).where(Incident.service_id == service_id)
        ),
        "entries": count(
            select(func.count(IncidentLogEntry.id)).where(IncidentLogEntry.incident_id.in_(incidents))
        ),
        "verdicts": count(
            select(func.count()).select_from(Interruption).where(Interruption.incident_id.in_(incidents))
        ),
        "teams": count(
            select(func.count())
            .select_from(incident_teams)
            .where(incident_teams.c.incident_id.in_(incidents))
        ),
        "deployments": count(select(func.count(Deployment.id)).where(Deployment.service_id == service_id)),
    }


def _url(account: PagerDutyAccount, service: PDService) -> str:
    return f"/integrations/pagerduty/{account.id}/services/{service.id}/data"


def test_it_deletes_a_deselected_services_data_after_confirmation(
    login_as: Callable[[str], FlaskClient], personas: Personas, synced: PagerDutyAccount
) -> None:
    service = _busiest(synced)
    name, service_id = service.name, service.id
    before = _held(service_id)
    assert all(before.values()), before  # the test must be able to see each kind go
    others = db.session.scalar(select(func.count(Incident.id)).where(Incident.service_id != service_id))
    version = db.session.get(Workspace, synced.workspace_id).data_version
    client = login_as(personas.admin.email)
    assert (
        client.post(f"/integrations/pagerduty/{synced.id}/services/{service_id}", data={}).status_code == 302
    )

    page = client.get(f"/integrations/pagerduty/{synced.id}").get_data(as_text=True)
    assert page.count("Delete its data") == 1 and _url(synced, service) in page
    confirm = client.get(_url(synced, service))
    assert confirm.status_code == 200
    text = confirm.get_data(as_text=True)
    assert f"{before['incidents']} incidents and {before['deployments']} deployments" in text
    assert _held(service_id) == before  # asking deletes nothing

    response = client.post(_url(synced, service), follow_redirects=True)
    assert response.status_code == 200
    expected = (
        f"Deleted the synced data of {name}: {before['incidents']} incidents and {before['deployments']}"
    )
    assert expected in response.get_data(as_text=True)
    db.session.expire_all()
    assert _held(service_id) == dict.fromkeys(before, 0)
    assert db.session.scalar(select(func.count(Incident.id))) == others
    assert db.session.get(PDService, service_id) is not None  # the service itself stays, not followed
    assert db.session.get(Workspace, synced.workspace_id).data_version != version
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "pagerduty.service_data_deleted")
    ).one()
    assert event.details["service"] == name and event.details["incidents"] == before["incidents"]
    assert "Delete its data" not in client.get(f"/integrations/pagerduty/{synced.id}").get_data(as_text=True)


def test_it_refuses_to_delete_a_followed_services_data(
    login_as: Callable[[str], FlaskClient], personas: Personas, synced: PagerDutyAccount
) -> None:
    service = _busiest(synced)
    before = _held(service.id)
    client = login_as(personas.admin.email)
    for response in (client.get(_url(synced, service)), client.post(_url(synced, service))):
        assert response.status_code == 409
        assert f"{service.name} is followed: stop following it first" in response.get_data(as_text=True)
    assert _held(service.id) == before


def test_it_lets_only_the_workspaces_admins_delete(
    login_as: Callable[[str], FlaskClient], personas: Personas, synced: PagerDutyAccount
) -> None:
    service = _busiest(synced)
    service.selected = False
    db.session.commit()
    before = _held(service.id)
    member = login_as(personas.member.email)
    assert member.post(_url(synced, service)).status_code == 403
    assert "Delete its data" not in member.get(f"/integrations/pagerduty/{synced.id}").get_data(as_text=True)
    outsider = login_as(personas.outsider.email)
    assert outsider.post(_url(synced, service)).status_code == 404
    assert outsider.get(_url(synced, service)).status_code == 404
    assert _held(service.id) == before
