"""Unlink an account: stop its background work, best-effort revoke, forget the tokens, keep or purge data.

An unlinked account keeps its row (and, if asked, its services, selection and synced history), so linking
the same account again later resumes it. With "delete", everything synced from it goes, and the row too.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import delete, select, update

from app import crypto
from app.accounts import audit
from app.analytics import cache
from app.extensions import db
from app.models import (
    AccountStatus,
    AuthKind,
    Deployment,
    Incident,
    IncidentLogEntry,
    Interruption,
    PagerDutyAccount,
    PDPriority,
    PDService,
    PDTeam,
    PDUser,
    SyncCheckpoint,
    SyncRun,
    SyncStatus,
)
from app.models.incidents import incident_teams
from app.models.pagerduty import service_teams, team_members
from app.models.types import utcnow

from . import oauth
from .accounts import client_for, settings
from .errors import PagerDutyError
from .link import account_label

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UnlinkResult:
    revoked: bool | None  # None: API tokens cannot be revoked through PagerDuty's API
    deleted_data: bool


def unlink(account: PagerDutyAccount, *, keep_data: bool, via: str = "web") -> UnlinkResult:
    """Stop using the account: best-effort revoke, forget the tokens, keep or purge what was synced."""
    workspace, label = account.workspace, account_label(account)
    _stop_schedules(account)
    revoked = _revoke(account)
    account.access_token_enc = None
    account.refresh_token_enc = None
    account.expires_at = None
    account.webhook_secret_enc = None
    account.status = AccountStatus.UNLINKED
    account.status_reason = None
    account.unlinked_at = utcnow()
    if not keep_data:
        _purge(account)
    audit.record(workspace, "pagerduty.unlinked", label, kept_data=keep_data, revoked=revoked, via=via)
    db.session.commit()
    return UnlinkResult(revoked=revoked, deleted_data=not keep_data)


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


def _purge(account: PagerDutyAccount) -> None:
    """Delete everything synced from the account, then the account (explicitly: SQLite may not cascade)."""
    cache.data_changed(account.workspace_id)
    incidents = select(Incident.id).where(Incident.account_id == account.id)
    services = select(PDService.id).where(PDService.account_id == account.id)
    teams = select(PDTeam.id).where(PDTeam.account_id == account.id)
    statements = [
        delete(Interruption).where(Interruption.incident_id.in_(incidents)),
        delete(IncidentLogEntry).where(IncidentLogEntry.account_id == account.id),
        delete(incident_teams).where(incident_teams.c.incident_id.in_(incidents)),
        delete(Incident).where(Incident.account_id == account.id),
        delete(Deployment).where(Deployment.service_id.in_(services)),
        delete(Deployment).where(Deployment.account_id == account.id),
        delete(SyncRun).where(SyncRun.account_id == account.id),
        delete(SyncCheckpoint).where(SyncCheckpoint.account_id == account.id),
        delete(service_teams).where(service_teams.c.service_id.in_(services)),
        delete(team_members).where(team_members.c.team_id.in_(teams)),
        delete(PDService).where(PDService.account_id == account.id),
        delete(PDTeam).where(PDTeam.account_id == account.id),
        delete(PDUser).where(PDUser.account_id == account.id),
        delete(PDPriority).where(PDPriority.account_id == account.id),
    ]
    for statement in statements:
        db.session.execute(statement.execution_options(synchronize_session=False))
    db.session.delete(account)
