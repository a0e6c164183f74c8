"""RQ entry points of the sync (queue `sync`)."""

from __future__ import annotations

import logging

from sqlalchemy import select

from app.extensions import db
from app.jobs import in_app_context
from app.models import AccountStatus, PagerDutyAccount

log = logging.getLogger(__name__)


@in_app_context
def sync_account(account_id: int, run_id: int | None = None) -> str:
    from app.integrations.pagerduty.sync import runner

    outcome = runner.run(account_id, run_id)
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
