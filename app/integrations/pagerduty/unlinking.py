"""Unlink an account: stop its background work, resolve what Vigil opened through it, then best-effort
revoke, forget the tokens, keep or purge data.

An unlinked account keeps its row (and, if asked, its services, selection and synced history), so linking
the same account again later resumes it. With "delete", everything synced from it goes, and the row too.

Rules keep their targets on the account (their pages say so and offer to re-target), but nothing Vigil
opened through it may stay open behind its back: a firing rule's incidents there are resolved first, through
the delivery queue like every resolve (exactly once, retried), while the token still works. Alerts writes
and sends those resolves, and alerts sends through this package, so it is not called from here: it answers
`account_unlinking` (before the commit) and `unlink_started` (after it) in app/alerts/unlink.py, connected
when the app is created. Until those resolves are finished (sent, or failed
for good) the account is *unlinking*: it pages nothing new, and `finish_unlink`, a job on the `deliver`
queue, completes the unlink once nothing is owed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from blinker import Namespace
from sqlalchemy import ColumnElement, exists, select, update

from app import crypto
from app.accounts import audit
from app.analytics import changes
from app.extensions import db
from app.jobs import in_app_context
from app.models import (
    AccountStatus,
    AlertRule,
    AlertState,
    AuthKind,
    Delivery,
    DeliveryStatus,
    PagerDutyAccount,
    RuleTarget,
    SyncRun,
    SyncStatus,
)
from app.models.types import utcnow
from app.queue import DELIVER, enqueue

from . import oauth
from .credentials import client_for, settings
from .errors import PagerDutyError
from .link import account_label

log = logging.getLogger(__name__)

# How often the finishing job looks again while resolves are still in flight (each is retried by its own job).
RECHECK = timedelta(seconds=5)


_signals = Namespace()
account_unlinking = _signals.signal("account-unlinking")
unlink_started = _signals.signal("account-unlink-started")


@dataclass(frozen=True)
class Owed:
    resolving: list[str]  # firing rules whose incidents are being resolved
    left_open: list[str]  # firing rules with notify-on-resolve off
    deliveries: list[Delivery]  # the resolves added to the session


@dataclass(frozen=True)
class UnlinkResult:
    revoked: bool | None  # None: API tokens cannot be revoked through PagerDuty's API (or not yet tried)
    deleted_data: bool
    finished: bool = True  # False: waiting for the resolves below before the token is deleted
    resolving: list[str] = field(default_factory=list)  # firing rules whose incidents are being resolved
    left_open: list[str] = field(default_factory=list)  # firing rules with notify-on-resolve off


def unlink(account: PagerDutyAccount, *, keep_data: bool, via: str = "web") -> UnlinkResult:
    """Stop using the account: at once, or once the resolves owed through it are finished."""
    if account.status is AccountStatus.UNLINKED:
        # Deleting the data of an account unlinked earlier: its token is gone, nothing can be owed.
        return _complete(account, keep_data=keep_data, via=via)
    now = utcnow()
    _stop_schedules(account)
    [(_, owed)] = account_unlinking.send(account, now=now)
    if not in_flight(Delivery.account_id == account.id):
        return _complete(account, keep_data=keep_data, via=via, left_open=owed.left_open)
    account.unlink_requested_at = account.unlink_requested_at or now
    account.unlink_keep_data = keep_data
    audit.record(
        account.workspace,
        "pagerduty.unlink_started",
        account_label(account),
        kept_data=keep_data,
        resolving=owed.resolving,
        left_open=owed.left_open,
        via=via,
    )
    db.session.commit()
    unlink_started.send(account, owed=owed)
    # Behind the resolves on the same queue: a lone worker sends them first, then finishes at once.
    schedule_finish(account.id, delay=None)
    return UnlinkResult(
        None, not keep_data, finished=False, resolving=owed.resolving, left_open=owed.left_open
    )


def schedule_finish(account_id: int, delay: timedelta | None = RECHECK, *, again: bool = False) -> None:
    enqueue(
        finish_unlink,
        account_id,
        queue=DELIVER,
        job_id=f"finish-unlink-{account_id}",
        delay=delay,
        timeout=300,
        replace_started=again,
    )


@in_app_context
def finish_unlink(account_id: int) -> str:
    """Complete an unlink once every delivery through the account is finished; otherwise look again soon."""
    account = db.session.get(PagerDutyAccount, account_id)
    if account is None or account.unlink_requested_at is None:
        return "nothing to finish"
    if in_flight(Delivery.account_id == account.id):
        schedule_finish(account_id, again=True)
        return "waiting for resolves"
    keep = account.unlink_keep_data is not False
    _complete(account, keep_data=keep, via="unlink job")
    return "unlinked"


def firing_rules(account: PagerDutyAccount) -> Sequence[AlertRule]:
    """Rules firing now with a live target on the account: what an unlink resolves first."""
    return db.session.scalars(
        select(AlertRule)
        .where(
            AlertRule.deleted_at.is_(None),
            AlertRule.state == AlertState.FIRING,
            AlertRule.id.in_(
                select(RuleTarget.rule_id).where(
                    RuleTarget.account_id == account.id, RuleTarget.removed_at.is_(None)
                )
            ),
        )
        .order_by(AlertRule.name, AlertRule.id)
    ).all()


def in_flight(*where: ColumnElement[bool]) -> bool:
    """Whether a delivery matching `where` is unfinished: it may still make a request with its token."""
    unfinished = [DeliveryStatus.QUEUED, DeliveryStatus.SENDING, DeliveryStatus.RETRYING]
    return bool(db.session.scalar(select(exists().where(Delivery.status.in_(unfinished), *where))))


def _complete(
    account: PagerDutyAccount, *, keep_data: bool, via: str, left_open: list[str] | None = None
) -> UnlinkResult:
    workspace, label = account.workspace, account_label(account)
    revoked = _revoke(account)
    account.access_token_enc = None
    account.refresh_token_enc = None
    account.expires_at = None
    account.webhook_secret_enc = None
    account.status = AccountStatus.UNLINKED
    account.status_reason = None
    account.unlinked_at = utcnow()
    account.unlink_requested_at = None
    account.unlink_keep_data = None
    if not keep_data:
        # The database's cascades take everything synced from it; rules keep their targets (they say the
        # account is gone) and the delivery log its rows, their key to the account set to NULL.
        changes.rows_changed(workspace.id)
        db.session.delete(account)
    audit.record(workspace, "pagerduty.unlinked", label, kept_data=keep_data, revoked=revoked, via=via)
    db.session.commit()
    return UnlinkResult(revoked=revoked, deleted_data=not keep_data, left_open=left_open or [])


def _stop_schedules(account: PagerDutyAccount) -> None:
    """The sync skips unlinked accounts; runs still waiting to start are closed, the webhook goes too."""
    db.session.execute(
        update(SyncRun)
        .where(SyncRun.account_id == account.id, SyncRun.status.in_([SyncStatus.QUEUED, SyncStatus.WAITING]))
        .values(status=SyncStatus.FAILED, error="The account was unlinked.", finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    subscription = account.webhook_subscription_id
    account.webhook_subscription_id = None
    if subscription is None or account.status is AccountStatus.UNLINKED:
        return
    try:
        client_for(account, max_attempts=1).delete_webhook_subscription(subscription)
    except PagerDutyError as err:
        # Best effort: PagerDuty stops delivering to a subscription whose deliveries keep failing anyway.
        log.info("could not delete webhook subscription of PagerDuty account %s: %s", account.id, err)


def _revoke(account: PagerDutyAccount) -> bool | None:
    if account.auth_kind is not AuthKind.OAUTH:
        return None
    if not oauth.is_configured(settings()):
        return False
    secret = account.refresh_token_enc or account.access_token_enc
    if secret is None:
        return False
    try:
        token = crypto.decrypt(secret)
    except crypto.DecryptionError:
        return False
    hint = "refresh_token" if account.refresh_token_enc else "access_token"
    return oauth.revoke(token, settings(), hint)
