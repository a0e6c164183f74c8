"""A sync run as the worker runs it: lock, SyncRun row, rate limits, 5xx bursts, revoked tokens."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.integrations.pagerduty.sync import jobs, runner
from app.integrations.pagerduty.sync.jobs import tick_sync
from app.integrations.pagerduty.sync.runner import SyncLock
from app.models import (
    AccountStatus,
    Incident,
    IncidentLogEntry,
    PagerDutyAccount,
    PDUser,
    SyncKind,
    SyncRun,
    SyncStatus,
)
from app.queue import get_queue, redis_connection
from pdsim.testing import RunningSim
from tests.analytics.factories import expected_interruptions, stored_interruptions
from tests.sync.conftest import TOKEN, select_all_services


def _runs(account: PagerDutyAccount) -> list[SyncRun]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(SyncRun).where(SyncRun.account_id == account.id).order_by(SyncRun.id))
    )


def test_it_backfills_then_syncs_incrementally_on_the_worker(
    app: Flask, account: PagerDutyAccount, sim: RunningSim, run_jobs: Callable[[], int]
) -> None:
    select_all_services(account, sim)
    jobs.request_sync(account)
    assert run_jobs() == 2  # the backfill, then the dashboard's first view (app/analytics/jobs.py)
    tick_sync()
    run_jobs()
    runs = [r for r in _runs(account) if r.kind is not None]
    assert [(r.kind, r.status) for r in runs[-2:]] == [
        (SyncKind.BACKFILL, SyncStatus.SUCCEEDED),
        (SyncKind.INCREMENTAL, SyncStatus.SUCCEEDED),
    ]
    backfill = runs[-2]
    assert backfill.fetched > 400 and backfill.created > 400 and backfill.requests > 5
    assert backfill.progress == 1.0 and backfill.finished_at is not None
    assert db.session.scalar(select(func.count(Incident.id))) == len(sim.store.all_incidents())
    db.session.refresh(account)
    assert account.last_successful_sync_at is not None
    # Notifications were written with their local hour and weekday in the person's zone (interruptions).
    notes = db.session.execute(
        select(
            IncidentLogEntry.at,
            IncidentLogEntry.local_hour,
            IncidentLogEntry.local_isoweekday,
            PDUser.time_zone,
        )
        .join(PDUser, PDUser.id == IncidentLogEntry.user_id)
        .where(IncidentLogEntry.type == "notify_log_entry")
    ).all()
    assert len(notes) > 100
    for note in notes:
        local = note.at.astimezone(ZoneInfo(note.time_zone or account.workspace.timezone))
        assert (note.local_hour, note.local_isoweekday) == (local.hour, local.isoweekday())
    # ... and judged as interruptions in the commits that wrote them: exactly what the rule gives.
    counted = stored_interruptions(account.workspace_id)
    assert len(counted) > 50
    assert counted == expected_interruptions(account.workspace_id)


def test_it_starts_one_sync_for_two_clicks(app: Flask, account: PagerDutyAccount) -> None:
    first, second = jobs.request_sync(account), jobs.request_sync(account)
    assert first is not None and second is not None and first.id == second.id
    assert get_queue("sync").count == 1


def test_it_leaves_the_account_to_the_run_that_holds_the_lock(app: Flask, account: PagerDutyAccount) -> None:
    holder = SyncLock(redis_connection(), account.id, 30)
    assert holder.acquire()
    assert jobs.request_sync(account) is None
    assert runner.run(account.id) == "busy"
    holder.release()


def test_it_waits_out_a_long_rate_limit_by_re_enqueueing(
    app: Flask, account: PagerDutyAccount, sim: RunningSim, run_jobs: Callable[[], int]
) -> None:
    select_all_services(account, sim)
    sim.control.set_rate_limits(per_token=3, reset=True)  # the 4th request this minute: 429, reset ~60 s
    assert runner.run(account.id) == "waiting"
    waiting = _runs(account)[-1]
    assert waiting.status is SyncStatus.WAITING
    assert "Waiting" in (waiting.error or "")
    assert waiting.rate_limited >= 1, waiting.error
    scheduled = get_queue("sync").scheduled_job_registry.get_job_ids()
    assert scheduled == [runner.continuation_job_id(waiting)]
    sim.control.set_rate_limits(per_token=100_000, reset=True)
    # The continuation resumes the same run from its checkpoints.
    assert runner.run(account.id, waiting.id) == "succeeded"
    done = _runs(account)[-1]
    assert (done.id, done.status) == (waiting.id, SyncStatus.SUCCEEDED)
    assert db.session.scalar(select(func.count(Incident.id))) == len(sim.store.all_incidents())


def test_it_rides_out_a_burst_of_server_errors(
    app: Flask, account: PagerDutyAccount, sim: RunningSim
) -> None:
    select_all_services(account, sim)
    sim.control.set_faults(error_rate=0.2, error_status=503, seed=3)
    assert runner.run(account.id) == "succeeded"
    assert db.session.scalar(select(func.count(Incident.id))) == len(sim.store.all_incidents())


def test_it_marks_the_account_when_its_token_is_revoked(
    app: Flask, account: PagerDutyAccount, sim: RunningSim
) -> None:
    select_all_services(account, sim)
    sim.control.revoke_token(TOKEN)
    assert runner.run(account.id) == "failed"
    failed = _runs(account)[-1]
    assert failed.status is SyncStatus.FAILED
    assert "refused the token (401)" in (failed.error or "")
    db.session.refresh(account)
    assert account.status is AccountStatus.NEEDS_ATTENTION
    assert account.status_reason
    # An account that needs attention is not synced by the scheduler until it is re-linked.
    assert tick_sync() == 0


def test_it_closes_runs_a_dead_worker_left_running(
    app: Flask, account: PagerDutyAccount, sim: RunningSim
) -> None:
    select_all_services(account, sim)
    orphan = SyncRun(
        workspace_id=account.workspace_id,
        account_id=account.id,
        kind=SyncKind.BACKFILL,
        status=SyncStatus.RUNNING,
    )
    db.session.add(orphan)
    db.session.commit()
    assert runner.run(account.id) == "succeeded"
    db.session.refresh(orphan)
    assert orphan.status is SyncStatus.FAILED
    assert "Interrupted" in (orphan.error or "")
