"""A run that meets 5xx or 429 waits and continues itself: the same run, on a real worker, with a backoff
that grows, whatever the scheduler's tick asks for meanwhile."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from rq.job import Job
from sqlalchemy import select

from app.extensions import db
from app.integrations.pagerduty.sync import jobs
from app.integrations.pagerduty.sync.jobs import tick_sync
from app.models import PagerDutyAccount, SyncRun, SyncStatus
from app.queue import get_queue, redis_connection
from pdsim.testing import RunningSim
from tests.sync.conftest import select_all_services


def _runs(account: PagerDutyAccount) -> list[SyncRun]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(SyncRun).where(SyncRun.account_id == account.id).order_by(SyncRun.id))
    )


def _its_time_comes() -> list[str]:
    """What the worker's scheduler does when a continuation is due: move it onto its queue."""
    queue = get_queue("sync")
    ids = queue.scheduled_job_registry.get_job_ids()
    for job_id in ids:
        queue.scheduled_job_registry.remove(job_id)
        queue.enqueue_job(Job.fetch(job_id, connection=redis_connection()))
    return ids


def test_it_continues_the_waiting_run_with_a_growing_backoff(
    app: Flask, account: PagerDutyAccount, sim: RunningSim, run_jobs: Callable[[], int]
) -> None:
    select_all_services(account, sim)
    sim.control.set_faults(error_rate=1.0, error_status=503, seed=1)
    jobs.request_sync(account)
    assert run_jobs() == 1  # the job ends after enqueueing its continuation
    [waiting] = _runs(account)
    assert (waiting.status, waiting.continuations) == (SyncStatus.WAITING, 1)
    assert waiting.error is not None and waiting.error.startswith("Waiting 30 s")

    assert tick_sync() == 1  # the scheduler's tick meanwhile starts no second run
    [continuation] = _its_time_comes()
    job = Job.fetch(continuation, connection=redis_connection())
    assert job.args == (account.id, waiting.id, None)

    assert run_jobs() == 1
    [again] = _runs(account)
    assert (again.id, again.status, again.continuations) == (waiting.id, SyncStatus.WAITING, 2)
    assert again.error is not None and again.error.startswith("Waiting 60 s")

    sim.control.clear_faults()
    _its_time_comes()
    run_jobs()
    [done] = _runs(account)
    assert (done.id, done.status, done.error) == (waiting.id, SyncStatus.SUCCEEDED, None)
    assert done.continuations == 2
