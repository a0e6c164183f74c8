"""Sync tests run against pdsim (the local PagerDuty) over real HTTP."""

from __future__ import annotations

import pytest
from flask import Flask

from app.extensions import db
from app.integrations.pagerduty.client import PagerDutyClient
from app.integrations.pagerduty.sync.streams import SyncContext
from app.models import PagerDutyAccount, SyncKind, SyncRun, SyncStatus
from pdsim.testing import RunningSim
from tests.pdsim_support import SYNC, PdsimAccount, linked_account
from tests.pdsim_support import SYNC_TOKEN as TOKEN


@pytest.fixture
def pdsim_account() -> PdsimAccount:
    return SYNC


@pytest.fixture
def account(app: Flask, sim: RunningSim) -> PagerDutyAccount:
    return linked_account(sim, TOKEN, history_days=365)


def make_client(sim: RunningSim, **options: object) -> PagerDutyClient:
    return PagerDutyClient(sim.base_url, TOKEN, auth_kind="api_token", from_email=sim.admin_email, **options)  # type: ignore[arg-type]


def make_context(
    account: PagerDutyAccount, sim: RunningSim, kind: SyncKind = SyncKind.BACKFILL
) -> SyncContext:
    run = SyncRun(
        workspace_id=account.workspace_id, account_id=account.id, kind=kind, status=SyncStatus.RUNNING
    )
    db.session.add(run)
    db.session.commit()
    return SyncContext(account=account, client=make_client(sim), run=run)


def select_all_services(account: PagerDutyAccount, sim: RunningSim) -> None:
    """Fetch the directory and select every service, as an admin would after linking."""
    from sqlalchemy import delete, update

    from app.integrations.pagerduty.sync import streams
    from app.models import PDService

    ctx = make_context(account, sim)
    streams.sync_directory(ctx, force=True)
    db.session.execute(update(PDService).where(PDService.account_id == account.id).values(selected=True))
    db.session.execute(delete(SyncRun).where(SyncRun.id == ctx.run.id))  # a scratch run, not a real one
    db.session.commit()
