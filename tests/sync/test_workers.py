"""Real worker processes: killed with SIGKILL mid-backfill, or racing each other on one account."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.integrations.pagerduty.sync import jobs
from app.integrations.pagerduty.sync.runner import sync_account
from app.models import Incident, IncidentLogEntry, PagerDutyAccount, SyncRun, SyncStatus
from app.queue import get_queue
from pdsim.testing import RunningSim
from tests.processes import kill_hard, start_worker
from tests.sync.conftest import select_all_services
from tests.sync.test_backfill import _expected

pytestmark = pytest.mark.slow


def _worker(app: Flask, sim: RunningSim, tmp_path: Path, name: str, burst: bool) -> subprocess.Popen[bytes]:
    env = {
        "PAGERDUTY_API_URL": sim.us_url,
        "PAGERDUTY_EU_API_URL": sim.eu_url,
        "PAGERDUTY_IDENTITY_URL": sim.identity_url,
        "VIGIL_SYNC_LOCK_SECONDS": str(app.config["VIGIL"].sync_lock_seconds),
    }
    return start_worker(app, tmp_path, name, ["sync"], burst=burst, env=env)


def _assert_exactly_pdsims_data(sim: RunningSim) -> None:
    db.session.expire_all()
    expected = _expected(sim)
    rows = {i.remote_id: i for i in db.session.scalars(select(Incident))}
    assert set(rows) == set(expected)
    for remote_id, want in expected.items():
        for name in (
            "status",
            "first_ack_at",
            "resolved_at",
            "reopen_count",
            "escalation_count",
            "auto_resolved",
        ):
            assert getattr(rows[remote_id], name) == want[name], (remote_id, name)
    assert db.session.scalar(select(func.count(IncidentLogEntry.id))) == sum(
        w["log_entries"] for w in expected.values()
    )


def _progress(run_id: int) -> tuple[SyncStatus, float]:
    db.session.expire_all()
    run = db.session.get(SyncRun, run_id)
    return (run.status, run.progress) if run else (SyncStatus.QUEUED, 0.0)


def test_it_resumes_a_backfill_after_its_worker_is_killed(
    app: Flask, account: PagerDutyAccount, sim: RunningSim, tmp_path: Path
) -> None:
    select_all_services(account, sim)
    sim.control.set_faults(latency_ms=120, seed=1)  # slow PagerDuty: the backfill takes several seconds
    jobs.request_sync(account)
    worker = _worker(app, sim, tmp_path, "first", burst=False)
    try:
        deadline = time.monotonic() + 60
        run_id = None
        samples: list[object] = []
        while time.monotonic() < deadline:
            run_id = run_id or db.session.scalar(select(SyncRun.id).where(SyncRun.account_id == account.id))
            seen = _progress(run_id) if run_id else None
            samples.append(seen)
            if seen and 0.45 < seen[1] < 0.9:
                break
            time.sleep(0.05)
        else:
            pytest.fail(f"the backfill never got under way: {sorted(set(map(str, samples)))[:40]}")
        kill_hard(worker)
    finally:
        if worker.poll() is None:
            kill_hard(worker)
    assert _progress(run_id)[0] is SyncStatus.RUNNING  # the dead worker could not say anything
    sim.control.clear_faults()

    deadline = time.monotonic() + 30
    while jobs.request_sync(account) is None:  # the lock frees itself after its TTL
        assert time.monotonic() < deadline, "the dead worker's lock never expired"
        time.sleep(0.5)
    restarted = _worker(app, sim, tmp_path, "second", burst=True)
    assert restarted.wait(timeout=120) == 0, (tmp_path / "second.log").read_text()[-2000:]

    _assert_exactly_pdsims_data(sim)
    runs = db.session.scalars(
        select(SyncRun).where(SyncRun.account_id == account.id).order_by(SyncRun.id)
    ).all()
    assert [r.status for r in runs] == [SyncStatus.FAILED, SyncStatus.SUCCEEDED]
    assert "Interrupted" in (runs[0].error or "")


def test_it_lets_two_racing_workers_write_each_row_once(
    app: Flask, account: PagerDutyAccount, sim: RunningSim, tmp_path: Path
) -> None:
    select_all_services(account, sim)
    sim.control.set_faults(latency_ms=20, seed=2)
    queue = get_queue("sync")
    queue.enqueue(sync_account, account.id)  # two jobs for one account, as if two schedulers raced
    queue.enqueue(sync_account, account.id)
    workers = [_worker(app, sim, tmp_path, f"racer{n}", burst=True) for n in (1, 2)]
    for n, worker in enumerate(workers, 1):
        assert worker.wait(timeout=120) == 0, (tmp_path / f"racer{n}.log").read_text()[-2000:]
    _assert_exactly_pdsims_data(sim)
    statuses = db.session.scalars(select(SyncRun.status).where(SyncRun.account_id == account.id)).all()
    assert SyncStatus.FAILED not in statuses
    assert SyncStatus.SUCCEEDED in statuses
