"""The one way work reaches the workers (named queues, a stable-id enqueue helper), and who is alive to do it.

RQ's own worker records expire only minutes after a worker dies (their TTL covers a whole job), so each Vigil
worker beats every few seconds from a thread, even during a long job, into one sorted set: a worker is alive
while its last beat is recent. The scheduler records its last tick beside them, for /healthz.
"""

from __future__ import annotations

import ctypes
import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry

log = logging.getLogger(__name__)

WORKERS_KEY = "vigil:live-workers"
TICK_KEY = "vigil:scheduler:last-tick"
BEAT_SECONDS = 5.0
# Three missed beats: a worker is dead, not merely slow to get its turn on a busy machine.
ALIVE_SECONDS = 3 * BEAT_SECONDS
# Entries of workers gone this long are dropped, so the set does not grow with every restart.
FORGET_SECONDS = 3600


def beat(conn: Redis, worker_name: str, now: float | None = None) -> None:
    at = time.time() if now is None else now
    with conn.pipeline() as pipe:
        pipe.zadd(WORKERS_KEY, {worker_name: at})
        pipe.zremrangebyscore(WORKERS_KEY, "-inf", at - FORGET_SECONDS)
        pipe.execute()


def is_alive(conn: Redis, worker_name: str) -> bool:
    score = conn.zscore(WORKERS_KEY, worker_name)
    return score is not None and score >= time.time() - ALIVE_SECONDS


def record_tick(conn: Redis, now: float | None = None) -> None:
    conn.set(TICK_KEY, repr(time.time() if now is None else now))


class Heartbeat:
    """A daemon thread beating for one worker name until stopped; a Redis outage only pauses the beats."""

    def __init__(self, conn: Redis, worker_name: str) -> None:
        self.conn = conn
        self.worker_name = worker_name
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"heartbeat-{worker_name}", daemon=True)

    def start(self) -> Heartbeat:
        # The first beat before any job is taken: a job this worker starts is never taken for a dead one's.
        beat(self.conn, self.worker_name)
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self.stopped.wait(BEAT_SECONDS):
            try:
                beat(self.conn, self.worker_name)
            except RedisError as exc:
                log.warning("worker %s: heartbeat not recorded (%s)", self.worker_name, exc)

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=BEAT_SECONDS)
        try:
            self.conn.zrem(WORKERS_KEY, self.worker_name)
        except RedisError as exc:
            # Its last beat ages out of the live set on its own within ALIVE_SECONDS.
            log.warning("worker %s: could not remove its heartbeat (%s)", self.worker_name, exc)


def die_with_parent() -> bool:
    """Linux: this process gets SIGTERM when its parent dies, even by SIGKILL; False where there is no prctl
    (macOS). Nothing is logged: this also runs between fork and exec, where a logging lock can hang."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        return False
    return True


SYNC = "sync"
DELIVER = "deliver"
DEFAULT = "default"
QUEUE_NAMES = (SYNC, DELIVER, DEFAULT)

# A job in one of these states will run (again) on its own; enqueueing the same id would run it twice.
PENDING = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED}
# A worker's scheduler moves a due job onto its queue within a second or two; a scheduled job later than this
# has no scheduler to move it (or lost its place in the schedule), so it is run now rather than waited on.
SCHEDULED_GRACE_SECONDS = 15


class QueueNotConfigured(RuntimeError):
    """No REDIS_URL: the app was started without a queue (use `make run`, or set REDIS_URL)."""


def redis_connection() -> Redis:
    url = current_app.config["VIGIL"].redis_url
    if url is None:
        raise QueueNotConfigured(
            "No job queue is configured. Start Vigil with `make run` (embedded queue) or set REDIS_URL."
        )
    conn = current_app.extensions.get("vigil_redis")
    if conn is None:
        conn = Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5, health_check_interval=30)
        current_app.extensions["vigil_redis"] = conn
    return conn


def get_queue(name: str, connection: Redis | None = None) -> Queue:
    if name not in QUEUE_NAMES:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=connection or redis_connection())


def enqueue(
    func: Callable[..., Any],
    *args: Any,
    queue: str = DEFAULT,
    job_id: str | None = None,
    delay: timedelta | None = None,
    timeout: int = 600,
    replace_started: bool = False,
    replace: bool = False,
    **kwargs: Any,
) -> Job:
    """Enqueue `func(*args, **kwargs)`; with `job_id`, a job already waiting or running is returned instead.

    The stable id is what makes two clicks on "Sync now" start one sync, and what lets a periodic tick run
    on several schedulers without doubling work. `replace_started` is for callers that know, from a lock of
    their own, that a job recorded as started is not running any more (its worker died, or it is the job
    re-enqueueing itself to continue later). `replace` enqueues whatever the existing record says: for
    idempotent jobs whose record may be orphaned (a job popped by a worker that then vanished still reads
    "queued"); if the old one does run after all, it finds its work done.
    """
    running = get_current_job()
    if job_id is not None and running is not None and running.id == job_id:
        # RQ saves the running job's record when it ends, over whatever was enqueued under its id meanwhile
        # (arguments, status): the continuation would run as a copy of this job, or not at all.
        raise ValueError(f"job {job_id} cannot enqueue its own continuation under its own id")
    conn = redis_connection()
    q = get_queue(queue, conn)
    options = {"job_id": job_id, "job_timeout": timeout, "result_ttl": 3600, "failure_ttl": 7 * 86400}

    def submit() -> Job:
        if delay is not None and delay.total_seconds() > 0:
            job = q.enqueue_in(delay, func, *args, **kwargs, **options)
        else:
            job = q.enqueue(func, *args, **kwargs, **options)
        log.info("enqueued %s on %s as %s", func.__name__, q.name, job.id)
        return job

    if job_id is None or replace:
        return submit()
    existing = _pending_job(job_id, conn, replace_started)
    if existing is not None:
        return existing
    # A short lock closes the window between "no pending job" and "enqueued" for two racing callers.
    with conn.lock(f"vigil:enqueue-lock:{job_id}", timeout=10, blocking_timeout=5):
        existing = _pending_job(job_id, conn, replace_started)
        if existing is not None:
            return existing
        return submit()


def _pending_job(job_id: str, conn: Redis, replace_started: bool = False) -> Job | None:
    """The job under this id that will still run on its own, or None when a new one must be enqueued."""
    try:
        job = Job.fetch(job_id, connection=conn)
    except NoSuchJobError:
        return None
    status = job.get_status(refresh=False)
    if status == JobStatus.STARTED and (replace_started or not _worker_alive(job, conn)):
        return None
    if status == JobStatus.SCHEDULED and _overdue(job, conn):
        # Taken out of the schedule, so no scheduler that wakes up later runs it a second time.
        ScheduledJobRegistry(job.origin, connection=conn).remove(job)
        return None
    return job if status in PENDING else None


def _worker_alive(job: Job, conn: Redis) -> bool:
    """A job recorded as started by a worker that no longer beats (SIGKILLed, its machine gone) will never
    finish; waiting for it would stop this id for good."""
    return bool(job.worker_name) and is_alive(conn, job.worker_name or "")


def _overdue(job: Job, conn: Redis) -> bool:
    due = conn.zscore(ScheduledJobRegistry(job.origin, connection=conn).key, job.id)
    return due is None or due < time.time() - SCHEDULED_GRACE_SECONDS


def queue_health() -> dict[str, Any]:
    """Ping the queue, count what waits and who works; never raises (used by /healthz)."""
    try:
        conn = redis_connection()
        conn.ping()
        now = time.time()
        tick = conn.get(TICK_KEY)
        return {
            "ok": True,
            "workers": conn.zcount(WORKERS_KEY, now - ALIVE_SECONDS, "+inf"),
            "queued": {name: get_queue(name, conn).count for name in QUEUE_NAMES},
            "oldest_due_job": oldest_due_job(conn, now),
            "scheduler_last_tick_seconds_ago": round(now - float(tick), 1) if tick is not None else None,
        }
    except QueueNotConfigured as exc:
        return {"ok": False, "error": str(exc)}
    except RedisError as exc:  # an unreachable queue is a health answer, not a crash of the health check
        return {"ok": False, "error": type(exc).__name__}


def oldest_due_job(conn: Redis, now: float) -> dict[str, Any] | None:
    """The job furthest past its time: a delayed job still in the schedule after its time (on any queue), or
    the oldest job waiting on `deliver` or `default`. A sync job may rightly wait behind a long backfill, so
    waiting on `sync` is not lateness; a sync job left in the schedule is."""
    late: list[tuple[float, str, str]] = []
    for name in QUEUE_NAMES:
        q = get_queue(name, conn)
        schedule = q.scheduled_job_registry.key
        for job_id, due in conn.zrangebyscore(schedule, "-inf", now, 0, 1, withscores=True):
            late.append((now - due, name, job_id.decode()))
        if name == SYNC:
            continue
        head = q.get_job_ids(0, 1)
        job = q.fetch_job(head[0]) if head else None
        if job is not None and job.enqueued_at is not None:
            late.append((now - job.enqueued_at.timestamp(), name, job.id))
    if not late:
        return None
    seconds, name, job_id = max(late)
    return {"id": job_id, "queue": name, "late_seconds": round(max(seconds, 0.0), 1)}
