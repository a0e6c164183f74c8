"""One sync run of one account: the lock, the SyncRun row, and what each kind of failure leads to. The lock is
a Redis key with a TTL, refreshed at every commit of a run (about once a second while pages flow), so a worker
killed mid-run holds it at most `ttl` seconds more, then the next run takes over from the last checkpoint."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import Literal

from flask import current_app
from redis import Redis
from rq.job import Job
from sqlalchemy import select, update

from app.extensions import db
from app.integrations.pagerduty.credentials import client_for, record_auth_failure
from app.integrations.pagerduty.errors import PagerDutyError
from app.integrations.pagerduty.serial import SerialSession, queue_connection
from app.integrations.pagerduty.sync import passes, streams
from app.jobs import in_app_context
from app.models import AccountStatus, PagerDutyAccount, SyncKind, SyncRun, SyncStatus
from app.models.types import utcnow
from app.queue import SYNC, enqueue, redis_connection

log = logging.getLogger(__name__)

Outcome = Literal["succeeded", "failed", "waiting", "busy", "skipped"]
MAX_CONTINUATIONS = 8  # retryable failures (5xx storms, long rate limits) before a run is given up
# How long the sync keeps its token's turn across back-to-back requests: what an alert page may wait, at most,
# beside one request (serial.py).
TURN_SLICE_SECONDS = 0.25
ACTIVE = (SyncStatus.QUEUED, SyncStatus.RUNNING, SyncStatus.WAITING)
# How a run records an exception nobody expected. Its text may quote SQL with PagerDuty's row data: it goes to
# the server log with the traceback (RQ logs it); the run row keeps only its kind, for members and the CLI.
INTERNAL_ERROR = "Internal error:"

_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
_REFRESH = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) end return 0"
)


class LockLost(RuntimeError):
    """Another run took the account over (this one stalled past the lock's TTL): stop writing."""


class SyncLock:
    def __init__(self, connection: Redis, account_id: int, ttl: int) -> None:
        self.connection = connection
        self.key = f"vigil:sync-lock:{account_id}"
        self.ttl = ttl
        self.token = secrets.token_hex(16)

    def acquire(self) -> bool:
        return bool(self.connection.set(self.key, self.token, nx=True, ex=self.ttl))

    def refresh(self) -> None:
        if not self.connection.eval(_REFRESH, 1, self.key, self.token, self.ttl):
            raise LockLost(f"sync lock {self.key} was lost")

    def release(self) -> None:
        self.connection.eval(_RELEASE, 1, self.key, self.token)

    def held_by_anyone(self) -> bool:
        return bool(self.connection.exists(self.key))


def account_lock(account_id: int) -> SyncLock:
    return SyncLock(redis_connection(), account_id, current_app.config["VIGIL"].sync_lock_seconds)


def job_id(account_id: int) -> str:
    return f"sync-{account_id}"


def continuation_job_id(sync_run: SyncRun) -> str:
    """Each continuation of a waiting run has an id of its own: RQ saves the job that enqueued it when that
    job ends, over anything enqueued under the same id meanwhile."""
    return f"sync-run-{sync_run.id}-{sync_run.continuations}"


# What started a run, when not the schedule (which records backfill or incremental, the work it did).
TRIGGERS = (SyncKind.MANUAL, SyncKind.WEBHOOK)


@in_app_context
def sync_account(account_id: int, run_id: int | None = None, trigger: str | None = None) -> str:
    """The job of one run. `trigger` is "manual" or "webhook" when someone (or PagerDuty) asked for this run;
    plain values, so a job enqueued by an older release (two arguments) still runs."""
    outcome = run(account_id, run_id, SyncKind(trigger) if trigger else None)
    log.info("sync of account %s: %s", account_id, outcome)
    return outcome


def run(account_id: int, run_id: int | None = None, trigger: SyncKind | None = None) -> Outcome:
    account = db.session.get(PagerDutyAccount, account_id)
    if account is None or account.status is AccountStatus.UNLINKED:
        return "skipped"
    lock = account_lock(account_id)
    if not lock.acquire():
        log.info("account %s is already syncing; this request joins that run", account_id)
        return "busy"
    try:
        return _run_locked(account, run_id, lock, trigger)
    finally:
        lock.release()


def _run_locked(
    account: PagerDutyAccount, run_id: int | None, lock: SyncLock, trigger: SyncKind | None
) -> Outcome:
    backfill = passes.needs_backfill(account)
    work = SyncKind.BACKFILL if backfill else SyncKind.INCREMENTAL
    sync_run = db.session.get(SyncRun, run_id) if run_id else None
    if sync_run is None or sync_run.status is not SyncStatus.WAITING:
        kind = trigger if trigger in TRIGGERS else work
        sync_run = SyncRun(workspace_id=account.workspace_id, account_id=account.id, kind=kind)
        db.session.add(sync_run)
    elif sync_run.kind not in TRIGGERS:
        sync_run.kind = work  # a continued scheduled run says what it does now; a manual one stays manual
    _close_interrupted(account, sync_run)
    sync_run.status, sync_run.error = SyncStatus.RUNNING, None
    account.last_sync_at = utcnow()
    db.session.commit()
    run_pk = sync_run.id
    ctx: streams.SyncContext | None = None
    turn = SerialSession(account.id, queue_connection(), slice_seconds=TURN_SLICE_SECONDS)
    try:
        ctx = streams.SyncContext(
            account, client_for(account, session=turn), sync_run, heartbeat=lock.refresh
        )
        (passes.run_backfill if backfill else passes.run_incremental)(ctx)
    except PagerDutyError as exc:
        return _on_pagerduty_error(account, _after_rollback(run_pk, ctx), exc)
    except LockLost:
        _finish(
            _after_rollback(run_pk, ctx), SyncStatus.FAILED, "Stopped: another sync took over this account."
        )
        return "failed"
    except Exception as exc:
        error = f"{INTERNAL_ERROR} {type(exc).__name__} (the details are in the server log)"
        _finish(_after_rollback(run_pk, ctx), SyncStatus.FAILED, error)
        raise  # a bug: RQ records the job as failed with its traceback, and the run row shows it
    finally:
        turn.close()  # gives the turn back now: the next run, or a page, need not wait for it to run out
    sync_run.progress = 1.0
    account.last_successful_sync_at = utcnow()
    _finish(sync_run, SyncStatus.SUCCEEDED, None)
    ctx.writes.run_finished()
    return "succeeded"


def _after_rollback(run_pk: int, ctx: streams.SyncContext | None) -> SyncRun | None:
    """Drop the unfinished page; keep the run's request counts, which are true whatever was written."""
    db.session.rollback()
    sync_run = db.session.get(SyncRun, run_pk)
    if sync_run is not None and ctx is not None:
        sync_run.requests, sync_run.rate_limited = ctx.request_counts()
    return sync_run


def _close_interrupted(account: PagerDutyAccount, current: SyncRun) -> None:
    """Runs left 'running' by a worker that died: we hold the lock, so none of them is alive."""
    db.session.execute(
        update(SyncRun)
        .where(SyncRun.account_id == account.id, SyncRun.status.in_(ACTIVE), SyncRun.id != (current.id or -1))
        .values(
            status=SyncStatus.FAILED,
            error="Interrupted (the worker stopped); the next run resumed.",
            finished_at=utcnow(),
        )
    )


def _finish(sync_run: SyncRun | None, status: SyncStatus, error: str | None) -> None:
    if sync_run is not None:
        sync_run.status, sync_run.error, sync_run.finished_at = status, error, utcnow()
        db.session.commit()


def _on_pagerduty_error(account: PagerDutyAccount, sync_run: SyncRun | None, exc: PagerDutyError) -> Outcome:
    if exc.is_auth_failure:
        record_auth_failure(account, exc)
        _finish(
            sync_run,
            SyncStatus.FAILED,
            f"PagerDuty refused the token ({exc.status}): {exc.message}. Re-link the account.",
        )
        return "failed"
    if exc.retryable and sync_run is not None and sync_run.continuations < MAX_CONTINUATIONS:
        sync_run.continuations += 1
        wait = exc.retry_after if exc.retry_after is not None else 30 * 2 ** (sync_run.continuations - 1)
        sync_run.status, sync_run.error = SyncStatus.WAITING, f"Waiting {wait:.0f} s before continuing: {exc}"
        db.session.commit()
        enqueue_run(account.id, sync_run, timedelta(seconds=wait))
        return "waiting"
    _finish(sync_run, SyncStatus.FAILED, str(exc))
    return "failed"


def enqueue_run(
    account_id: int, waiting: SyncRun | None, delay: timedelta | None, trigger: SyncKind | None = None
) -> Job:
    """The continuation of a `waiting` run (its row keeps its kind), else a new run's job under the account's
    stable id, replacing one still recorded as started: no live run holds the lock, so it lost its worker."""
    return enqueue(
        sync_account,
        account_id,
        waiting.id if waiting else None,
        trigger.value if trigger and waiting is None else None,
        queue=SYNC,
        job_id=continuation_job_id(waiting) if waiting else job_id(account_id),
        delay=delay,
        replace_started=waiting is None,
        timeout=3600,
    )


def latest_runs(account: PagerDutyAccount, limit: int = 20) -> list[SyncRun]:
    return list(
        db.session.scalars(
            select(SyncRun)
            .where(SyncRun.account_id == account.id)
            .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
            .limit(limit)
        )
    )
