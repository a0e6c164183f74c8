"""Issue #16: every page shows its times in the workspace's zone, by one filter, and names the zone once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient

from app.accounts.api_keys import create_key
from app.extensions import db
from app.models import AuditEvent, Invitation, Role, SyncKind, SyncRun, SyncStatus
from tests.analytics.factories import make_incident
from tests.factories import Personas, make_pd_account, make_service, membership_of
from tests.integrations.helpers import text_of

ZONE = "America/New_York"
# 16:30:45 UTC on a July day is 12:30:45 in New York (EDT, UTC-4).
INSTANT = datetime(2026, 7, 15, 16, 30, 45, tzinfo=UTC)
IN_NEW_YORK = "2026-07-15 12:30"
# A January instant (EST, UTC-5), for the invitation's expiry, which must lie ahead to be listed.
LATER = datetime(2027, 1, 15, 16, 30, tzinfo=UTC)
LATER_IN_NEW_YORK = "2027-01-15 11:30"


@pytest.fixture
def admin(login_as, personas: Personas) -> FlaskClient:
    personas.workspace.timezone = ZONE
    db.session.commit()
    return login_as(personas.admin.email)


def shown(client: FlaskClient, path: str, headers: dict[str, str] | None = None) -> str:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, path
    return text_of(response.get_data(as_text=True))


def assert_one_rule(text: str) -> None:
    assert "UTC" not in text
    assert text.count(ZONE) == 1
    assert f"Times are in {ZONE}, the workspace's time zone." in text


def test_it_shows_the_integrations_card_and_sync_history_in_the_workspace_zone(
    admin: FlaskClient, personas: Personas
) -> None:
    account = make_pd_account(personas.workspace, linked_at=INSTANT, last_successful_sync_at=INSTANT)
    db.session.add(
        SyncRun(
            workspace_id=account.workspace_id,
            account_id=account.id,
            kind=SyncKind.INCREMENTAL,
            status=SyncStatus.SUCCEEDED,
            started_at=INSTANT,
            finished_at=INSTANT,
        )
    )
    make_service(account, "Ledger", last_incident_at=INSTANT)
    db.session.commit()

    card = shown(admin, "/integrations")
    assert f"on {IN_NEW_YORK}" in card and f"Last sync {IN_NEW_YORK} (succeeded)" in card
    assert f"Last successful sync {IN_NEW_YORK}" in card
    assert_one_rule(card)

    history = shown(admin, f"/integrations/pagerduty/{account.id}")
    assert f"Last incremental sync finished {IN_NEW_YORK}" in history
    assert f"Ledger — active {IN_NEW_YORK}" in history
    assert "16:30" not in history
    assert_one_rule(history)

    widget = shown(admin, f"/integrations/pagerduty/{account.id}/sync", {"HX-Request": "true"})
    assert f"finished {IN_NEW_YORK}" in widget and "UTC" not in widget


def test_it_shows_api_keys_invitations_and_the_audit_log_in_the_workspace_zone(
    admin: FlaskClient, personas: Personas
) -> None:
    key, _ = create_key(personas.workspace, "ci", created_by=personas.admin)
    key.created_at = INSTANT
    key.last_used_at = INSTANT
    db.session.add(
        Invitation(
            workspace_id=personas.workspace.id,
            token_hash="0" * 64,
            email="newcomer@acme.test",
            role=Role.MEMBER,
            created_by_id=personas.admin.id,
            expires_at=LATER,
        )
    )
    db.session.add(AuditEvent(workspace_id=personas.workspace.id, action="workspace.renamed", at=INSTANT))
    # 02:00 UTC on the 16th is still the 15th in New York: the joined date follows the zone too.
    membership_of(personas.member, personas.workspace).created_at = datetime(2026, 7, 16, 2, 0, tzinfo=UTC)
    db.session.commit()

    keys = shown(admin, "/settings/api-keys")
    assert f"{IN_NEW_YORK} by" in keys and "16:30" not in keys
    assert_one_rule(keys)

    members = shown(admin, "/settings/members")
    assert LATER_IN_NEW_YORK in members
    assert "2026-07-15" in members and "2026-07-16" not in members
    assert_one_rule(members)

    audit = shown(admin, "/settings/audit")
    assert f"{IN_NEW_YORK}:45" in audit and "When Who Action" in audit
    assert_one_rule(audit)


def test_it_shows_incidents_in_the_workspace_zone_without_a_zone_after_each(
    admin: FlaskClient, personas: Personas
) -> None:
    service = make_service(make_pd_account(personas.workspace), "api")
    incident = make_incident(service, INSTANT, ack_after=60, resolve_after=600)
    db.session.commit()

    listed = shown(admin, "/incidents?start=2026-07-15&end=2026-07-16")
    assert IN_NEW_YORK in listed and "16:30" not in listed
    assert_one_rule(listed)

    page = shown(admin, f"/incidents/{incident.id}")
    assert f"Created {IN_NEW_YORK} Acknowledged 2026-07-15 12:31" in page
    assert_one_rule(page)

    report = shown(admin, "/reports?period=month&date=2026-07-01")
    assert f"{IN_NEW_YORK} 10 m" in report  # the slowest incidents' table
    assert_one_rule(report)

    dashboard = shown(admin, "/dashboard?start=2026-07-01&end=2026-08-01")
    assert "1 Jul 2026 to 31 Jul 2026" in dashboard
    assert_one_rule(dashboard)


def test_it_names_utc_for_a_person_without_a_workspace(login_as, personas: Personas) -> None:
    db.session.delete(personas.outsider.memberships[0])
    db.session.commit()

    page = shown(login_as(personas.outsider.email), "/account")

    assert "Times are in UTC." in page
