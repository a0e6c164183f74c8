"""`flask pagerduty sync` against pdsim."""

from __future__ import annotations

from collections.abc import Callable

from click.testing import Result
from flask import Flask
from sqlalchemy import func, select

from app.crypto import encrypt
from app.extensions import db
from app.integrations.pagerduty.sync import passes, runner
from app.integrations.pagerduty.sync.runner import SyncLock
from app.models import Incident, PagerDutyAccount, PDService, SyncCheckpoint, SyncKind, SyncRun
from app.queue import get_queue, redis_connection
from pdsim.testing import RunningSim
from tests.sync.conftest import select_all_services


def flask(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=["pagerduty", "sync", "--workspace", "Acme", *args])


def test_it_enqueues_a_sync_and_prints_the_job_id(
    app: Flask, account: PagerDutyAccount, run_jobs: Callable[[], int]
) -> None:
    result = flask(app)
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith(f"enqueued job {runner.job_id(account.id)}")
    assert get_queue("sync").count == 1
    assert run_jobs() == 2  # the sync, then the dashboard's first view (app/analytics/jobs.py)
    db.session.expire_all()
    assert [r.kind for r in runner.latest_runs(account)] == [SyncKind.MANUAL]


def test_it_runs_here_and_prints_the_result_with_wait(
    app: Flask, account: PagerDutyAccount, sim: RunningSim
) -> None:
    select_all_services(account, sim)
    result = flask(app, "--account", str(account.id), "--wait")
    assert result.exit_code == 0, result.output
    assert ": succeeded: manual (Backfill done), " in result.output and " created, " in result.output
    assert db.session.scalar(select(func.count(Incident.id))) == len(sim.store.all_incidents())
    # The sync ran here; only the dashboard's first views are left for a worker to compute.
    assert [job.func_name for job in get_queue("sync").jobs] == ["app.analytics.jobs.warm_dashboard"]


def test_it_starts_over_with_full(app: Flask, account: PagerDutyAccount, sim: RunningSim) -> None:
    select_all_services(account, sim)
    assert runner.run(account.id) == "succeeded"
    assert not passes.needs_backfill(account)
    result = flask(app, "--full", "--wait")
    assert result.exit_code == 0, result.output
    assert "reset; the next run fetches" in result.output
    db.session.expire_all()
    last = db.session.scalars(select(SyncRun).order_by(SyncRun.id.desc())).first()
    assert last is not None and last.kind is SyncKind.MANUAL and last.stage == "Backfill done"
    assert all(s.backfilled_at is not None for s in db.session.scalars(select(PDService)) if s.selected)
    assert db.session.scalar(select(func.count(SyncCheckpoint.id))) >= 3


def test_it_exits_non_zero_with_the_runs_error(
    app: Flask, account: PagerDutyAccount, sim: RunningSim
) -> None:
    select_all_services(account, sim)
    account.access_token_enc = encrypt("not-a-valid-token")
    db.session.commit()
    result = flask(app, "--wait")
    assert result.exit_code != 0
    assert "PagerDuty refused the token" in result.output
    assert "Sync failed" in result.output


def test_it_refuses_while_a_run_holds_the_lock(app: Flask, account: PagerDutyAccount) -> None:
    holder = SyncLock(redis_connection(), account.id, 30)
    assert holder.acquire()
    try:
        waited, queued = flask(app, "--wait"), flask(app)
    finally:
        holder.release()
    assert waited.exit_code != 0 and "a sync is running already" in waited.output
    assert queued.exit_code == 0 and "a sync is running already" in queued.output


def test_it_names_an_unknown_workspace(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["pagerduty", "sync", "--workspace", "Nope"])
    assert result.exit_code != 0 and "No workspace named 'Nope'" in result.output
