from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from sqlalchemy import func, select

from app import jobs
from app.extensions import db
from app.models import LoginFailure
from app.models.types import utcnow
from app.queue import enqueue, get_queue


def test_it_enqueues_a_stable_id_once_while_it_waits(app: Flask) -> None:
    first = enqueue(jobs.prune_login_failures, job_id="prune-login-failures")
    second = enqueue(jobs.prune_login_failures, job_id="prune-login-failures")
    assert first.id == second.id == "prune-login-failures"
    assert get_queue("default").count == 1


def test_it_enqueues_again_once_the_job_has_run(app: Flask, run_jobs: Callable[[], int]) -> None:
    enqueue(jobs.prune_login_failures, job_id="prune-login-failures")
    assert run_jobs() == 1
    enqueue(jobs.prune_login_failures, job_id="prune-login-failures")
    assert get_queue("default").count == 1


def test_it_runs_jobs_in_an_app_context_on_a_real_worker(app: Flask, run_jobs: Callable[[], int]) -> None:
    old = utcnow() - timedelta(hours=2)
    db.session.add_all([LoginFailure(key="email:a@b.test", at=old), LoginFailure(key="email:a@b.test")])
    db.session.commit()
    job = enqueue(jobs.prune_login_failures)
    run_jobs()
    assert job.get_status(refresh=True) == "finished"
    assert job.return_value() == 1
    db.session.expire_all()
    assert db.session.scalar(select(func.count(LoginFailure.id))) == 1


def test_it_collapses_ticks_from_two_schedulers(app: Flask, run_jobs: Callable[[], int]) -> None:
    # Two cron schedulers by mistake: both ticks run, the housekeeping they enqueue runs once.
    enqueue(jobs.tick_hourly)
    enqueue(jobs.tick_hourly)
    get_queue("default").connection  # noqa: B018 - same connection for both
    from rq import SimpleWorker

    from app.queue import redis_connection

    SimpleWorker([get_queue("default")], connection=redis_connection()).work(burst=True, max_jobs=2)
    assert sorted(get_queue("default").job_ids) == ["prune-login-failures", "prune-metric-points"]


def test_it_delays_a_job_with_the_scheduler(app: Flask) -> None:
    job = enqueue(jobs.prune_login_failures, delay=timedelta(minutes=5))
    assert job.get_status() == "scheduled"
    assert get_queue("default").count == 0
