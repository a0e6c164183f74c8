"""The account page's sync widget in a real browser: live progress, polling that stops, Sync now, history."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select, update

from app.crypto import encrypt
from app.extensions import db
from app.models import PDService, SyncKind, SyncRun, SyncStatus
from app.models.types import utcnow
from tests.browser.helpers import log_in
from tests.factories import Personas, make_pd_account
from tests.pdsim_support import SYNC, PdsimAccount
from tests.sync.conftest import TOKEN, select_all_services

pytestmark = pytest.mark.browser


@pytest.fixture
def pdsim_account() -> PdsimAccount:
    return SYNC


def test_it_shows_a_sync_live_and_starts_one_on_click(
    live_server,
    page,
    personas: Personas,
    sim,
    run_jobs: Callable[[], int],
    artifacts: Path,
) -> None:
    account = make_pd_account(
        personas.workspace, token_user_email=sim.admin_email, access_token_enc=encrypt(TOKEN)
    )
    db.session.commit()
    select_all_services(account, sim)
    running = SyncRun(
        workspace_id=account.workspace_id,
        account_id=account.id,
        kind=SyncKind.BACKFILL,
        status=SyncStatus.RUNNING,
        stage="Backfilling incidents",
        progress=0.42,
        fetched=180,
        created=175,
        requests=4,
    )
    db.session.add(running)
    db.session.commit()

    log_in(page, live_server.url, personas.admin.email)
    page.goto(f"{live_server.url}/integrations/pagerduty/{account.id}")
    widget = page.locator("#sync-status")
    assert widget.get_attribute("hx-trigger") == "every 2s, sync-requested from:body"
    assert "Backfilling incidents" in widget.inner_text() and "42 %" in widget.inner_text()
    assert page.locator("#sync-status progress").get_attribute("value") == "0.420"
    page.screenshot(path=str(artifacts / "sync-01-running.png"), full_page=True)

    running.status, running.finished_at, running.progress = SyncStatus.SUCCEEDED, utcnow(), 1.0
    db.session.commit()
    page.wait_for_selector("#sync-status button:has-text('Sync now')")  # the poll saw the end, and stopped
    assert page.locator("#sync-status").get_attribute("hx-trigger") == "sync-requested from:body"

    page.click("#sync-status button:has-text('Sync now')")
    page.wait_for_selector("#sync-status:has-text('Sync requested.')")
    assert page.locator("#sync-status").get_attribute("hx-trigger") == "every 2s, sync-requested from:body"
    page.screenshot(path=str(artifacts / "sync-02-requested.png"), full_page=True)
    assert run_jobs() == 2  # the sync, then the dashboard's first view
    page.wait_for_selector("#sync-status button:has-text('Sync now')", timeout=10_000)
    rows = page.locator("table.sync-history tbody tr")
    assert rows.count() == 2
    assert "succeeded" in rows.first.inner_text()
    card = page.locator(f"#account-{account.id}")  # swapped out of band with the widget
    assert card.locator(".badge").inner_text() == "Active"
    assert "Syncing" not in card.inner_text()
    page.screenshot(path=str(artifacts / "sync-03-history.png"), full_page=True)
    runs = db.session.scalars(select(SyncRun).order_by(SyncRun.id)).all()
    assert [r.status for r in runs] == [SyncStatus.SUCCEEDED, SyncStatus.SUCCEEDED]
    assert page.console_errors == []


def test_selecting_services_shows_the_queued_backfill_without_a_reload(
    live_server,
    page,
    personas: Personas,
    sim,
    artifacts: Path,
) -> None:
    account = make_pd_account(
        personas.workspace, token_user_email=sim.admin_email, access_token_enc=encrypt(TOKEN)
    )
    db.session.commit()
    select_all_services(account, sim)
    db.session.execute(update(PDService).where(PDService.account_id == account.id).values(selected=False))
    db.session.commit()

    log_in(page, live_server.url, personas.admin.email)
    page.goto(f"{live_server.url}/integrations/pagerduty/{account.id}")
    assert "No sync has run yet" in page.locator("#sync-status").inner_text()
    page.click("button:has-text('Select all')")
    # No worker runs here: the backfill stays queued, and the widget says so as soon as it was asked for.
    page.wait_for_selector("#sync-status:has-text('Queued')")
    assert page.locator("#sync-status").get_attribute("hx-trigger") == "every 2s, sync-requested from:body"
    page.screenshot(path=str(artifacts / "sync-03-selected.png"), full_page=True)
    assert page.console_errors == []  # type: ignore[attr-defined]
