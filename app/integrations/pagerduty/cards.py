"""What an account's card shows: status, who linked it, last sync, capabilities (decisions kept pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.extensions import db
from app.models import AccountStatus, AuthKind, PagerDutyAccount, SyncRun, SyncStatus
from app.web import local_time

from .capabilities import ALERT_SCOPE, REALTIME_SCOPE, Capability, capabilities, scope_set
from .directory import selection_counts
from .link import REGION_LABELS
from .sync.runner import ACTIVE

UNLINKING_REASON = (
    "Being unlinked: Vigil is resolving the PagerDuty incidents its firing rules opened through this "
    "account; then it deletes the token."
)


@dataclass(frozen=True)
class Card:
    account: PagerDutyAccount
    title: str
    status: str  # Active | Syncing | Needs attention | Unlinking | Unlinked
    badge: str  # CSS class of the status badge
    reason: str | None
    method: str
    linked: str
    last_sync: str
    capabilities: list[Capability]
    selected: int
    total: int

    @property
    def unlinked(self) -> bool:
        return self.account.status is AccountStatus.UNLINKED

    # A re-link asks for the write scopes the account had, so it does not quietly lose a capability.
    @property
    def wants_alerts(self) -> bool:
        return bool(scope_set(self.account.scopes) & {ALERT_SCOPE, "write"})

    @property
    def wants_realtime(self) -> bool:
        return bool(scope_set(self.account.scopes) & {REALTIME_SCOPE, "write"})


def fmt_time(value: datetime | None) -> str:
    # The card's sentences are built here, so they take the page's zone from the same filter as templates.
    return local_time(value) if value is not None else "never"


def status_of(account: PagerDutyAccount, run: SyncRun | None) -> tuple[str, str]:
    if account.status is AccountStatus.UNLINKED:
        return "Unlinked", ""
    if account.unlink_requested_at is not None:
        return "Unlinking", "warn"
    if account.status is AccountStatus.NEEDS_ATTENTION:
        return "Needs attention", "bad"
    if run is not None and run.status in ACTIVE:
        return "Syncing", "warn"
    return "Active", "ok"


def last_sync_text(run: SyncRun | None) -> str:
    if run is None:
        return "never"
    if run.status in ACTIVE:
        return f"in progress since {fmt_time(run.started_at)}"
    outcome = "failed" if run.status is SyncStatus.FAILED else "succeeded"
    return f"{fmt_time(run.finished_at or run.started_at)} ({outcome})"


def method_text(account: PagerDutyAccount) -> str:
    who = account.token_user_email or account.token_user_name or "an unknown user"
    if account.auth_kind is AuthKind.OAUTH:
        return f"OAuth, authorized by {who}"
    return f"User API token of {who}"


def latest_run(account: PagerDutyAccount) -> SyncRun | None:
    return db.session.scalar(
        select(SyncRun)
        .where(SyncRun.account_id == account.id)
        .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
        .limit(1)
    )


def capabilities_of(account: PagerDutyAccount) -> list[Capability]:
    """What the grant allows, or nothing at all once the account is unlinked: its token is gone, so no sync
    runs and no page can be sent whatever the grant said."""
    granted = capabilities(account.auth_kind.value, account.scopes, account.token_user_role)
    if account.status is not AccountStatus.UNLINKED:
        return granted
    return [Capability(cap.name, "no", "the account is unlinked") for cap in granted]


def card_for(account: PagerDutyAccount) -> Card:
    run = latest_run(account)
    status, badge = status_of(account, run)
    who = account.linked_by.display_name if account.linked_by else "an admin (command line)"
    selected, total = selection_counts(account)
    return Card(
        account=account,
        title=f"{account.subdomain} · {REGION_LABELS[account.region.value]}",
        status=status,
        badge=badge,
        reason=UNLINKING_REASON if account.unlink_requested_at is not None else account.status_reason,
        method=method_text(account),
        linked=f"by {who} on {fmt_time(account.linked_at)}",
        last_sync=last_sync_text(run),
        capabilities=capabilities_of(account),
        selected=selected,
        total=total,
    )
