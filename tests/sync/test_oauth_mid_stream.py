"""An OAuth token revoked while log entries download in their own process: the refresh runs in the worker's
session (the rotated tokens are stored), the download carries on, and every attempt is counted."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from app import crypto
from app.extensions import db
from app.integrations.pagerduty.credentials import client_for
from app.integrations.pagerduty.sync import streams
from app.integrations.pagerduty.sync.store import Directory
from app.models import IncidentLogEntry, PagerDutyAccount, PDService, SyncKind, SyncRun, SyncStatus
from app.models.types import utcnow
from pdsim.testing import RunningSim
from tests.integrations.helpers import link_by_oauth
from tests.pdsim_support import LINKABLE, PdsimAccount


@pytest.fixture
def pdsim_account() -> PdsimAccount:
    return LINKABLE


def _stored_access_token() -> str:
    db.session.expire_all()
    return crypto.decrypt(db.session.scalars(select(PagerDutyAccount)).one().access_token_enc)


def test_it_refreshes_a_token_revoked_mid_backfill_in_the_workers_session(
    admin: FlaskClient, sim: RunningSim
) -> None:
    assert link_by_oauth(admin, sim).status_code == 302
    account = db.session.scalars(select(PagerDutyAccount)).one()
    run = SyncRun(
        workspace_id=account.workspace_id,
        account_id=account.id,
        kind=SyncKind.BACKFILL,
        status=SyncStatus.RUNNING,
    )
    db.session.add(run)
    db.session.commit()
    ctx = streams.SyncContext(account, client_for(account), run)
    streams.sync_directory(ctx, force=True)
    db.session.execute(update(PDService).values(selected=True))
    db.session.commit()
    ctx.directory = Directory.load(account)
    until = utcnow()
    since = until - timedelta(days=365)
    streams.sync_incidents(ctx, since, until, None, lambda _: ctx.commit())
    revoked = _stored_access_token()
    sim.control.revoke_token(revoked)
    sim.control.clear_requests()
    requests_before, retries_before = ctx.client.stats.requests, ctx.client.stats.retries

    streams.sync_log_entries(ctx, since, until, False, lambda _: ctx.commit())

    expected = sum(len(sim.store.log_entries_for(row["number"])) for row in sim.store.all_incidents())
    assert db.session.scalar(select(func.count(IncidentLogEntry.id))) == expected > 0
    assert _stored_access_token() != revoked  # refreshed and committed by the worker's own session
    seen = [r for r in sim.control.requests(recent=1000)["recent"] if r["path"] == "/log_entries"]
    assert [r["status"] for r in seen].count(401) == 1
    assert ctx.client.stats.requests - requests_before == len(seen)  # the 401 attempt included
    assert ctx.client.stats.retries - retries_before == 1
