"""Unlinking: a confirmation that says what happens, keep or delete the data, resume on re-link."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AccountStatus,
    AuditEvent,
    Incident,
    PagerDutyAccount,
    PDService,
    PDTeam,
    SyncKind,
    SyncRun,
    SyncStatus,
)
from pdsim.testing import RunningSim
from tests.factories import Personas
from tests.integrations.helpers import link_by_oauth, link_by_token, text_of


@pytest.fixture
def account(admin: FlaskClient) -> PagerDutyAccount:
    assert link_by_token(admin).status_code == 303
    account = db.session.scalars(select(PagerDutyAccount)).one()
    services = db.session.scalars(select(PDService).where(PDService.account_id == account.id)).all()
    services[0].selected = True
    db.session.add(SyncRun(workspace_id=account.workspace_id, account_id=account.id, kind=SyncKind.BACKFILL))
    db.session.add(
        Incident(
            workspace_id=account.workspace_id,
            account_id=account.id,
            service_id=services[0].id,
            remote_id="PINC1",
            number=1,
            title="Disk full",
            status="resolved",
            created_at=datetime(2026, 10, 1, tzinfo=UTC),
        )
    )
    db.session.commit()
    return account


def count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_it_explains_what_unlinking_does(admin: FlaskClient, account: PagerDutyAccount) -> None:
    page = text_of(admin.get(f"/integrations/pagerduty/{account.id}/unlink").get_data(as_text=True))

    assert "Vigil stops syncing this account: its scheduled syncs stop" in page
    assert "An API token cannot be revoked from Vigil: delete it in PagerDuty" in page
    assert "Keep the synced data" in page and "Vigil resumes where it stopped" in page
    assert "Delete the synced data" in page and "This cannot be undone" in page


def test_it_unlinks_keeping_the_data_and_resumes_on_relink(
    admin: FlaskClient, account: PagerDutyAccount
) -> None:
    response = admin.post(f"/integrations/pagerduty/{account.id}/unlink", data={"synced_data": "keep"})

    assert response.status_code == 302
    db.session.expire_all()
    assert account.status is AccountStatus.UNLINKED
    assert (account.access_token_enc, account.refresh_token_enc, account.expires_at) == (None, None, None)
    assert account.unlinked_at is not None
    assert (count(PDService) > 0, count(Incident), count(SyncRun)) == (True, 1, 1)
    run = db.session.scalars(select(SyncRun)).one()
    assert (run.status, run.error) == (SyncStatus.FAILED, "The account was unlinked.")  # it was still queued
    page = text_of(admin.get("/integrations").get_data(as_text=True))
    assert "Unlinked acme (US). Its synced data was kept. Delete the API token in PagerDuty" in page
    assert "Unlinked" in page and "Re-link with a token" in page and "Delete synced data" in page
    # Its token is gone: the card must not promise syncs or pages.
    assert "Alert delivery ✗ — the account is unlinked" in page and "Alert delivery ✓" not in page
    assert "Analytics sync ✗ — the account is unlinked" in page
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "pagerduty.unlinked")).one()
    assert event.details == {"kept_data": True, "revoked": None, "via": "web"}

    assert link_by_token(admin, account=str(account.id)).status_code == 303

    db.session.expire_all()
    [again] = db.session.scalars(select(PagerDutyAccount)).all()
    assert again.id == account.id and again.status is AccountStatus.ACTIVE
    assert db.session.scalar(select(func.count()).where(PDService.selected.is_(True))) == 1
    assert count(Incident) == 1


def test_it_unlinks_deleting_the_synced_data(admin: FlaskClient, account: PagerDutyAccount) -> None:
    response = admin.post(f"/integrations/pagerduty/{account.id}/unlink", data={"synced_data": "delete"})

    assert response.status_code == 302
    assert [count(m) for m in (PagerDutyAccount, PDService, PDTeam, Incident, SyncRun)] == [0, 0, 0, 0, 0]
    page = text_of(admin.get("/integrations").get_data(as_text=True))
    assert "Its synced data was deleted." in page
    assert "Link PagerDuty to see your incidents" in page
    assert (
        db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()[-1]
        == "pagerduty.unlinked"
    )


def test_it_deletes_the_data_of_an_account_unlinked_earlier(
    admin: FlaskClient, account: PagerDutyAccount
) -> None:
    admin.post(f"/integrations/pagerduty/{account.id}/unlink", data={"synced_data": "keep"})

    page = text_of(admin.get(f"/integrations/pagerduty/{account.id}/unlink").get_data(as_text=True))
    assert "Delete the synced data of acme · US" in page and "Keep the synced data" not in page

    admin.post(f"/integrations/pagerduty/{account.id}/unlink", data={"synced_data": "delete"})
    assert count(PagerDutyAccount) == 0


def test_it_asks_for_a_choice_about_the_data(admin: FlaskClient, account: PagerDutyAccount) -> None:
    response = admin.post(f"/integrations/pagerduty/{account.id}/unlink", data={})

    assert response.status_code == 400
    assert "Choose whether to keep or delete the synced data." in response.get_data(as_text=True)
    db.session.expire_all()
    assert account.status is AccountStatus.ACTIVE


def test_it_forbids_members_to_unlink(login_as, personas: Personas, account: PagerDutyAccount) -> None:
    member = login_as(personas.member.email)

    assert member.get(f"/integrations/pagerduty/{account.id}/unlink").status_code == 403
    assert (
        member.post(
            f"/integrations/pagerduty/{account.id}/unlink", data={"synced_data": "delete"}
        ).status_code
        == 403
    )
    assert count(PagerDutyAccount) == 1


def test_it_tries_to_revoke_an_oauth_grant(admin: FlaskClient, sim: RunningSim) -> None:
    assert link_by_oauth(admin, sim).status_code == 302
    account = db.session.scalars(select(PagerDutyAccount)).one()
    sim.control.clear_requests()

    admin.post(f"/integrations/pagerduty/{account.id}/unlink", data={"synced_data": "keep"})

    logged = sim.control.requests(recent=20)
    assert "/oauth/revoke" in str(logged)
    html = admin.get("/integrations").get_data(as_text=True)
    # pdsim, like PagerDuty's documentation, has no revocation endpoint: Vigil says where to revoke by hand,
    # as a warning, not inside the green "done" banner.
    warnings = re.findall(r'<div class="flash flash-error"[^>]*>([^<]*)</div>', html)
    successes = re.findall(r'<div class="flash flash-success"[^>]*>([^<]*)</div>', html)
    assert any("PagerDuty did not confirm revoking Vigil" in w for w in warnings)
    assert not any("did not confirm" in s for s in successes)
    assert any(s.startswith("Unlinked acme (US).") for s in successes)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "pagerduty.unlinked")).one()
    assert event.details["revoked"] is False
