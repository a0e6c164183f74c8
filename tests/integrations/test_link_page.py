"""The Integrations page: empty states, and one card per linked account with its status and capabilities."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient

from app.extensions import db
from app.models import AccountStatus, AuthKind, SyncKind, SyncRun, SyncStatus
from tests.factories import Personas, make_pd_account, make_service
from tests.integrations.helpers import text_of


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"pagerduty_client_id": "cid", "pagerduty_client_secret": "secret"}


def page(client: FlaskClient) -> str:
    response = client.get("/integrations")
    assert response.status_code == 200
    return text_of(response.get_data(as_text=True))


def test_it_offers_admins_both_ways_to_link(login_as, personas: Personas) -> None:
    html = login_as(personas.admin.email).get("/integrations").get_data(as_text=True)

    text = text_of(html)
    assert "Link PagerDuty to see your incidents" in text
    assert "Link with PagerDuty" in text and "Install with API token" in text
    assert '<input checked id="alert_delivery" name="alert_delivery" type="checkbox" value="y">' in html
    assert '<input checked id="realtime" name="realtime" type="checkbox" value="y">' in html
    assert "Allow Vigil to page PagerDuty (incidents.write)" in text
    assert "Near-real-time sync (webhook_subscriptions.write)" in text


def test_it_tells_members_who_can_link(login_as, personas: Personas) -> None:
    text = page(login_as(personas.member.email))

    assert "Ask an owner or admin of Acme to link PagerDuty." in text
    assert "Install with API token" not in text


def test_it_shows_a_card_per_account(login_as, personas: Personas) -> None:
    active = make_pd_account(
        personas.workspace,
        subdomain="acme",
        linked_by_id=personas.owner.id,
        linked_at=datetime(2026, 10, 2, 8, 0, tzinfo=UTC),
        token_user_role="admin",
    )
    make_service(active, selected=True)
    make_service(active, selected=False)
    db.session.add(
        SyncRun(
            workspace_id=active.workspace_id,
            account_id=active.id,
            kind=SyncKind.INCREMENTAL,
            status=SyncStatus.SUCCEEDED,
            started_at=datetime(2026, 10, 3, 9, 0, tzinfo=UTC),
            finished_at=datetime(2026, 10, 3, 9, 2, tzinfo=UTC),
        )
    )
    make_pd_account(
        personas.workspace,
        subdomain="acme-eu",
        auth_kind=AuthKind.OAUTH,
        status=AccountStatus.NEEDS_ATTENTION,
        status_reason="PagerDuty no longer accepts Vigil's access: it was revoked or has expired.",
        scopes="openid users.read services.read teams.read incidents.read change_events.read",
    )
    db.session.commit()

    text = page(login_as(personas.admin.email))

    assert "acme · US Active Access User API token of bot@acme.test" in text
    assert "Linked by Olive Owner on 2026-10-02 08:00" in text  # the label, then the sentence
    assert "Last sync 2026-10-03 09:02 (succeeded)" in text
    assert "Services 1 of 2 followed" in text
    assert (
        "Analytics sync ✓ · Priority filter ✓ · Alert delivery ✓ · Escalation policy choice ✓ · "
        "Near-real-time sync ✓" in text
    )
    assert "acme-eu · US Needs attention PagerDuty no longer accepts Vigil's access" in text
    assert "Last sync never" in text
    assert "Alert delivery ✗ — needs incidents.write" in text
    assert "Re-link" in text and "Replace token" in text and "Link another account" in text


def test_it_shows_a_running_sync_as_syncing(login_as, personas: Personas) -> None:
    account = make_pd_account(personas.workspace)
    db.session.add(
        SyncRun(
            workspace_id=account.workspace_id,
            account_id=account.id,
            kind=SyncKind.BACKFILL,
            status=SyncStatus.RUNNING,
            started_at=datetime(2026, 10, 3, 9, 0, tzinfo=UTC),
        )
    )
    db.session.commit()

    text = page(login_as(personas.member.email))

    assert "acme · US Syncing" in text
    assert "Last sync in progress since 2026-10-03 09:00" in text
    assert "View services" in text
    assert "Unlink" not in text and "Replace token" not in text and "Link another account" not in text


def test_it_links_the_navigation_and_empty_states_here(login_as, personas: Personas) -> None:
    client = login_as(personas.admin.email)

    for path in ("/dashboard", "/incidents", "/alerts"):
        assert 'href="/integrations"' in client.get(path).get_data(as_text=True), path


def test_it_shows_only_the_current_workspaces_accounts(login_as, personas: Personas) -> None:
    make_pd_account(personas.other_workspace, subdomain="globex")
    db.session.commit()

    assert "globex" not in page(login_as(personas.admin.email))
