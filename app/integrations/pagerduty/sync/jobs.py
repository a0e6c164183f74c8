"""Asking for syncs: the scheduler's tick and the requests of people, webhooks and the CLI (queue `sync`)."""

from __future__ import annotations

import logging
from datetime import timedelta

from redis.exceptions import RedisError
from rq.job import Job
from sqlalchemy import select

from app.extensions import db
from app.jobs import in_app_context
from app.models import AccountStatus, PagerDutyAccount, SyncKind, SyncRun, SyncStatus
from app.queue import QueueNotConfigured

from .runner import account_lock, enqueue_run

log = logging.getLogger(__name__)


@in_app_context
def tick_sync() -> int:
    """Scheduled: a sync for every active account (stable job ids: nothing doubles)."""
    accounts = db.session.scalars(
        select(PagerDutyAccount).where(PagerDutyAccount.status == AccountStatus.ACTIVE)
    ).all()
    for account in accounts:
        request_sync(account)
    return len(accounts)


def request_sync(
    account: PagerDutyAccount, delay: timedelta | None = None, trigger: SyncKind | None = None
) -> Job | None:
    """Enqueue a sync unless one is running; returns the job, or None when a run holds the lock. A job already
    waiting (stable id) is returned, and its run records the trigger it was enqueued with: one run, whoever
    asked first."""
    if account_lock(account.id).held_by_anyone():
        return None
    waiting = db.session.scalars(
        select(SyncRun).where(SyncRun.account_id == account.id, SyncRun.status == SyncStatus.WAITING)
    ).first()
    # A run waits out a rate limit or a 5xx storm: its continuation (stable id) is the sync, rather than a new
    # run that would close it as interrupted. If that job was lost, the run continues now.
    return enqueue_run(account.id, waiting, None if waiting else delay, trigger)


def nudge_sync(account: PagerDutyAccount, delay: timedelta | None = None) -> None:
    """Ask for a sync now, from a request; if the queue is unreachable the scheduler's next tick (every
    few minutes) starts it instead, so the user's action (a link, a selection) still succeeds."""
    try:
        request_sync(account, delay=delay)
    except (RedisError, QueueNotConfigured) as exc:
        log.warning(
            "could not enqueue a sync of account %s (%s); the scheduler will start it", account.id, exc
        )
