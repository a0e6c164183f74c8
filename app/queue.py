"""The one way work reaches the workers: named queues and a stable-id enqueue helper."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import current_app
from redis import Redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

log = logging.getLogger(__name__)

SYNC = "sync"
DELIVER = "deliver"
DEFAULT = "default"
QUEUE_NAMES = (SYNC, DELIVER, DEFAULT)

# A job in one of these states will run (again) on its own; enqueueing the same id would run it twice.
_PENDING = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED}


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
    conn = redis_connection()
    q = get_queue(queue, conn)
    options: dict[str, Any] = {"job_timeout": timeout, "result_ttl": 3600, "failure_ttl": 7 * 86400}
    if job_id is None:
        return _submit(q, func, args, kwargs, delay, options)
    if replace:
        return _submit(q, func, args, kwargs, delay, {**options, "job_id": job_id})

    existing = _pending_job(job_id, conn, replace_started)
    if existing is not None:
        return existing
    # A short lock closes the window between "no pending job" and "enqueued" for two racing callers.
    with conn.lock(f"vigil:enqueue-lock:{job_id}", timeout=10, blocking_timeout=5):
        existing = _pending_job(job_id, conn, replace_started)
        if existing is not None:
            return existing
        return _submit(q, func, args, kwargs, delay, {**options, "job_id": job_id})


def _submit(
    q: Queue,
    func: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    delay: timedelta | None,
    options: dict[str, Any],
) -> Job:
    if delay is not None and delay.total_seconds() > 0:
        job = q.enqueue_in(delay, func, *args, **kwargs, **options)
    else:
        job = q.enqueue(func, *args, **kwargs, **options)
    log.info("enqueued %s on %s as %s", func.__name__, q.name, job.id)
    return job


def _pending_job(job_id: str, conn: Redis, replace_started: bool = False) -> Job | None:
    try:
        job = Job.fetch(job_id, connection=conn)
    except NoSuchJobError:
        return None
    status = job.get_status(refresh=False)
    if replace_started and status == JobStatus.STARTED:
        return None
    return job if status in _PENDING else None


def queue_health() -> dict[str, Any]:
    """Ping the queue and count what waits; never raises (used by /healthz)."""
    try:
        conn = redis_connection()
        conn.ping()
        from rq import Worker

        return {
            "ok": True,
            "workers": len(Worker.all(connection=conn)),
            "queued": {name: get_queue(name, conn).count for name in QUEUE_NAMES},
        }
    except QueueNotConfigured as exc:
        return {"ok": False, "error": str(exc)}
    except Exception as exc:  # any Redis failure is a health answer, not a crash of the health check
        return {"ok": False, "error": type(exc).__name__}
