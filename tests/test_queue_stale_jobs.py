"""The stable-id enqueue helper never waits on a job that cannot run: one left in the schedule past its
time (no scheduler moved it), or one recorded as started by a worker that is gone."""

import time
from collections.abc import Callable
from datetime import timedelta

from flask import Flask
from rq.job import Job, JobStatus

from app import jobs, queue
from app.queue import SCHEDULED_GRACE_SECONDS, enqueue, get_queue, redis_connection


def _make_started_by(worker_name: str) -> Job:
    """A job a worker popped and began: its record says started, by that worker."""
    job = enqueue(jobs.prune_login_failures, job_id="prune-login-failures")
    get_queue("default").remove(job.id)
    job.worker_name = worker_name
    job.set_status(JobStatus.STARTED)
    job.save()
    return job


def test_it_runs_a_scheduled_job_left_past_its_time(app: Flask, run_jobs: Callable[[], int]) -> None:
    enqueue(jobs.prune_login_failures, job_id="prune-login-failures", delay=timedelta(minutes=5))
    schedule = get_queue("default").scheduled_job_registry
    # Its time came and went with no scheduler to move it onto the queue (the sync tick saw it as pending).
    redis_connection().zadd(schedule.key, {"prune-login-failures": time.time() - SCHEDULED_GRACE_SECONDS - 5})
    job = enqueue(jobs.prune_login_failures, job_id="prune-login-failures")
    assert job.get_status(refresh=True) == JobStatus.QUEUED
    assert schedule.get_job_ids() == []  # a scheduler waking up later does not run it a second time
    assert run_jobs() == 1


def test_it_waits_on_a_scheduled_job_whose_time_has_not_come(app: Flask) -> None:
    enqueue(jobs.prune_login_failures, job_id="prune-login-failures", delay=timedelta(minutes=5))
    job = enqueue(jobs.prune_login_failures, job_id="prune-login-failures")
    assert job.get_status(refresh=True) == JobStatus.SCHEDULED
    assert get_queue("default").count == 0


def test_it_replaces_a_job_started_by_a_worker_that_stopped_beating(
    app: Flask, run_jobs: Callable[[], int]
) -> None:
    queue.beat(redis_connection(), "killed-worker", now=time.time() - 4 * queue.ALIVE_SECONDS)
    _make_started_by("killed-worker")
    job = enqueue(jobs.prune_login_failures, job_id="prune-login-failures")
    assert job.get_status(refresh=True) == JobStatus.QUEUED
    assert run_jobs() == 1


def test_it_leaves_a_job_to_the_live_worker_running_it(app: Flask) -> None:
    queue.beat(redis_connection(), "busy-worker")
    _make_started_by("busy-worker")
    job = enqueue(jobs.prune_login_failures, job_id="prune-login-failures")
    assert job.get_status(refresh=True) == JobStatus.STARTED
    assert get_queue("default").count == 0
