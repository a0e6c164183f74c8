"""RQ entry points of the sync (queue `sync`)."""

from __future__ import annotations

import logging

from sqlalchemy import select

from app.extensions import db
from app.jobs import in_app_context
from app.models import AccountStatus, PagerDutyAccount, SyncKind

log = logging.getLogger(__name__)


@in_app_context
def sync_account(account_id: int, run_id: int | None = None, trigger: str | None = None) -> str:
    """`trigger` is "manual" or "webhook" when someone (or PagerDuty) asked for this run; plain values, so a
    job enqueued by an older release (two arguments) still runs."""
    from app.integrations.pagerduty.sync import runner

    outcome = runner.run(account_id, run_id, SyncKind(trigger) if trigger else None)
    log.info("sync of account %s: %s", account_id, outcome)
    return outcome


@in_app_context
def tick_sync() -> int:
    """Scheduled: a sync for every active account (stable job ids: nothing doubles)."""
    from app.integrations.pagerduty.sync import runner

    accounts = db.session.scalars(
        select(PagerDutyAccount).where(PagerDutyAccount.status == AccountStatus.ACTIVE)
    ).all()
    for account in accounts:
        runner.request_sync(account)
    return len(accounts)
