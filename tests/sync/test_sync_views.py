"""The account page's sync widget, "Sync now" and its history, against pdsim."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.crypto import encrypt
from app.extensions import db
from app.integrations.pagerduty.sync import runner
from app.integrations.pagerduty.sync.runner import SyncLock
from app.integrations.pagerduty.sync.views import time_left
from app.models import AccountStatus, AuditEvent, PagerDutyAccount, SyncKind, SyncRun, SyncStatus
from app.queue import get_queue, redis_connection
from pdsim.testing import RunningSim
from tests.factories import Personas, make_pd_account
from tests.sync.conftest import TOKEN, select_all_services

HTMX = {"HX-Request": "true"}
POLL = 'hx-trigger="every 2s, sync-requested from:body"'


@pytest.fixture
def acme_account(personas: Personas, sim: RunningSim) -> PagerDutyAccount:
    """A pdsim account linked in the personas' workspace."""
    account = make_pd_account(
        personas.workspace, token_user_email=sim.admin_email, access_token_enc=encrypt(TOKEN)
    )
    db.session.commit()
    return account


def make_run(account: PagerDutyAccount, status: SyncStatus, **fields: object) -> SyncRun:
    run = SyncRun(
        workspace_id=account.workspace_id,
        account_id=account.id,
        kind=SyncKind.BACKFILL,
        status=status,
        **fields,
    )
    db.session.add(run)
    db.session.commit()
    return run


def widget(client: FlaskClient, account: PagerDutyAccount) -> str:
    response = client.get(f"/integrations/pagerduty/{account.id}/sync", headers=HTMX)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def sync_now(client: FlaskClient, account: PagerDutyAccount) -> tuple[int, str]:
    response = client.post(f"/integrations/pagerduty/{account.id}/sync", headers=HTMX)
    return response.status_code, response.get_data(as_text=True)


def test_it_shows_the_widget_and_history_after_a_run(
    app: Flask,
    login_as: Callable[[str], FlaskClient],
    personas: Personas,
    acme_account: PagerDutyAccount,
    sim: RunningSim,
) -> None:
    select_all_services(acme_account, sim)
    assert runner.run(acme_account.id) == "succeeded"
    page = (
        login_as(personas.member.email)
        .get(f"/integrations/pagerduty/{acme_account.id}")
        .get_data(as_text=True)
    )
    assert 'id="sync-status"' in page
    assert "Succeeded" in page and "Last backfill sync finished" in page
    assert '<table class="sync-history">' in page and "<td>backfill</td>" in page
    assert POLL not in page  # nothing runs: no polling
    assert "Sync now" not in page  # members read, admins act


def test_it_polls_only_while_a_run_is_active(
    app: Flask, login_as: Callable[[str], FlaskClient], personas: Personas, acme_account: PagerDutyAccount
) -> None:
    client = login_as(personas.member.email)
    run = make_run(acme_account, SyncStatus.RUNNING, stage="Backfilling incidents", progress=0.4, fetched=120)
    html = widget(client, acme_account)
    assert POLL in html and 'hx-swap="outerHTML"' in html
    assert '<progress max="1" value="0.400"' in html and "120 fetched" in html
    assert "Backfilling incidents" in html
    run.status = SyncStatus.FAILED
    run.error = "PagerDuty answered 500 five times"
    db.session.commit()
    html = widget(client, acme_account)
    assert POLL not in html
    assert "PagerDuty answered 500 five times" in html


def test_it_starts_one_sync_for_two_clicks(
    app: Flask,
    login_as: Callable[[str], FlaskClient],
    personas: Personas,
    acme_account: PagerDutyAccount,
    sim: RunningSim,
    run_jobs: Callable[[], int],
) -> None:
    client = login_as(personas.admin.email)
    select_all_services(acme_account, sim)
    status, html = sync_now(client, acme_account)
    assert status == 202 and "Sync requested." in html
    assert POLL in html  # the queued job makes the widget poll until the run ends
    sync_now(client, acme_account)
    assert get_queue("sync").count == 1
    assert run_jobs() == 2  # one sync for both clicks, then the dashboard's first view
    html = widget(client, acme_account)
    assert POLL not in html and "Succeeded" in html and "Sync now" in html
    assert "Last manual sync finished" in html and "<td>manual</td>" in html
    assert [r.kind for r in runner.latest_runs(acme_account)] == [SyncKind.MANUAL]
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "pagerduty.sync_requested" in actions


def test_it_says_a_sync_is_running_when_a_run_holds_the_lock(
    app: Flask, login_as: Callable[[str], FlaskClient], personas: Personas, acme_account: PagerDutyAccount
) -> None:
    holder = SyncLock(redis_connection(), acme_account.id, 30)
    assert holder.acquire()
    try:
        status, html = sync_now(login_as(personas.admin.email), acme_account)
    finally:
        holder.release()
    assert status == 409 and "A sync is running" in html
    assert get_queue("sync").count == 0


def test_it_redirects_a_plain_form_post_with_a_message(
    app: Flask, login_as: Callable[[str], FlaskClient], personas: Personas, acme_account: PagerDutyAccount
) -> None:
    client = login_as(personas.admin.email)
    response = client.post(f"/integrations/pagerduty/{acme_account.id}/sync")
    assert response.status_code == 302
    assert client.get(response.headers["Location"]).get_data(as_text=True).count("Sync requested.") == 1


def test_it_asks_to_pick_services_when_none_is_followed(
    app: Flask, login_as: Callable[[str], FlaskClient], personas: Personas, acme_account: PagerDutyAccount
) -> None:
    html = widget(login_as(personas.admin.email), acme_account)
    assert "Pick services to follow; their history is fetched on the next sync." in html
    assert "No sync has run yet." in html


def test_it_shows_why_an_account_needs_attention_instead_of_sync_now(
    app: Flask, login_as: Callable[[str], FlaskClient], personas: Personas, acme_account: PagerDutyAccount
) -> None:
    acme_account.status = AccountStatus.NEEDS_ATTENTION
    acme_account.status_reason = "PagerDuty refused the token (401)."
    db.session.commit()
    client = login_as(personas.admin.email)
    html = widget(client, acme_account)
    assert "PagerDuty refused the token (401)." in html and "Sync now" not in html
    status, _ = sync_now(client, acme_account)
    assert status == 409
    assert get_queue("sync").count == 0


def test_it_shows_the_last_successful_sync_on_the_card(
    app: Flask,
    login_as: Callable[[str], FlaskClient],
    personas: Personas,
    acme_account: PagerDutyAccount,
    sim: RunningSim,
) -> None:
    select_all_services(acme_account, sim)
    assert runner.run(acme_account.id) == "succeeded"
    db.session.refresh(acme_account)
    when = acme_account.last_successful_sync_at
    assert when is not None
    page = login_as(personas.member.email).get("/integrations").get_data(as_text=True)
    assert f"<dt>Last successful sync</dt><dd>{when.strftime('%Y-%m-%d %H:%M')}" in page


def test_it_hides_another_workspaces_widget(
    app: Flask, login_as: Callable[[str], FlaskClient], personas: Personas, acme_account: PagerDutyAccount
) -> None:
    client = login_as(personas.outsider.email)
    assert client.get(f"/integrations/pagerduty/{acme_account.id}/sync").status_code == 404
    assert client.post(f"/integrations/pagerduty/{acme_account.id}/sync").status_code == 404


def test_the_widgets_address_opened_as_a_page_shows_the_account_page(
    login_as: Callable[[str], FlaskClient], personas: Personas, acme_account: PagerDutyAccount
) -> None:
    response = login_as(personas.member.email).get(f"/integrations/pagerduty/{acme_account.id}/sync")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/integrations/pagerduty/{acme_account.id}"


@pytest.mark.parametrize(
    ("progress", "elapsed", "expected"),
    [
        (0.0, 100, None),
        (0.04, 100, None),  # too early to tell
        (0.5, 5, None),
        (0.5, 40, "less than a minute left"),
        (0.25, 120, "about 6 min left"),
        (0.1, 1200, "about 3.0 h left"),
        (1.0, 100, None),
    ],
)
def test_it_estimates_the_time_left_from_the_pace_so_far(
    progress: float, elapsed: float, expected: str | None
) -> None:
    assert time_left(progress, elapsed) == expected
