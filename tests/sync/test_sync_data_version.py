"""Sync retires the kept dashboard answers (app/analytics/cache.py) when, and only when, it wrote."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.integrations.pagerduty.sync import streams
from app.models import PagerDutyAccount, PDService, SyncKind, Workspace
from pdsim.testing import RunningSim
from tests.sync.conftest import make_context, select_all_services


def _version(account: PagerDutyAccount) -> str:
    db.session.expire_all()
    return db.session.scalars(
        select(Workspace.data_version).where(Workspace.id == account.workspace_id)
    ).one()


def test_a_sync_that_writes_moves_the_data_version_and_an_idle_one_does_not(
    account: PagerDutyAccount, sim: RunningSim
) -> None:
    select_all_services(account, sim)
    linked = _version(account)
    streams.run_backfill(make_context(account, sim))
    backfilled = _version(account)
    assert backfilled != linked

    streams.run_incremental(make_context(account, sim, SyncKind.INCREMENTAL))
    assert _version(account) == backfilled  # nothing new: every kept answer still holds

    service = db.session.scalars(select(PDService).where(PDService.selected.is_(True))).first()
    assert service is not None
    sim.control.trigger_incident(service.remote_id, "Disk full on db-7 (/var at 97%)")
    streams.run_incremental(make_context(account, sim, SyncKind.INCREMENTAL))
    assert _version(account) != backfilled
