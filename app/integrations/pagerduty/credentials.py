"""Linked accounts: `client_for(account)`, the one way other features get a client acting as an account.

After a PagerDutyError, `record_auth_failure(account, err)` marks an account whose credential failed (401/403)
*needs attention*, with the reason its card shows. A token that cannot be used (unlinked, undecryptable,
refresh refused) raises TokenUnavailable, a PagerDutyError with status 401, after marking the account so.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from app import crypto
from app.extensions import db
from app.models import AccountStatus, AuthKind, PagerDutyAccount, Region
from app.models.types import utcnow
from config import Settings

from . import oauth
from .capabilities import capabilities
from .client import PagerDutyClient
from .errors import PagerDutyError
from .serial import SerialSession, queue_connection

log = logging.getLogger(__name__)

# Refresh an OAuth access token this long before it expires, so no request races its expiry.
REFRESH_MARGIN = timedelta(minutes=5)

UNLINKED = "This PagerDuty account is unlinked. Link it again to use it."
UNDECRYPTABLE = (
    "Vigil can no longer decrypt this account's token (ENCRYPTION_KEYS changed). Re-link the account."
)
TOKEN_REFUSED = (
    "PagerDuty no longer accepts this API token: it was revoked or deleted, or its user left. Replace "
    "the token."
)
OAUTH_REFUSED = (
    "PagerDuty no longer accepts Vigil's access: it was revoked or has expired. Re-link the account."
)
FORBIDDEN = (
    "PagerDuty refused a request (HTTP 403: {message}): the token lacks a permission or scope Vigil needs."
)


class TokenUnavailable(PagerDutyError):
    """The account's credential cannot be used until an admin re-links it or replaces its token."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, status=401)


def settings() -> Settings:
    return current_app.config["VIGIL"]


def api_url(region: Region | str) -> str:
    config = settings()
    return config.pagerduty_eu_api_url if Region(region) is Region.EU else config.pagerduty_api_url


def client_for(account: PagerDutyAccount, **options: Any) -> PagerDutyClient:
    """A PagerDutyClient acting as `account`'s token, on its region's API, writing `From` its token user.

    For OAuth it refreshes the access token when it expires within REFRESH_MARGIN, and again if PagerDuty
    answers 401; each refresh stores the rotated refresh token and commits. `options` go to the client
    (timeouts, retries, a `session` for tests).
    """
    if account.status is AccountStatus.UNLINKED or not account.access_token_enc:
        raise TokenUnavailable(UNLINKED)
    token = _decrypt(account, account.access_token_enc)
    refresher = None
    if account.auth_kind is AuthKind.OAUTH:
        refresher = _Refresher(account)
        if account.expires_at is not None and account.expires_at - utcnow() <= REFRESH_MARGIN:
            token = refresher()
    # Every worker acting as this account takes the token's turn for each request (serial.py).
    options.setdefault("session", SerialSession(account.id, queue_connection()))
    return PagerDutyClient(
        api_url(account.region),
        token,
        auth_kind=account.auth_kind.value,  # type: ignore[arg-type]
        from_email=account.token_user_email,
        refresh_token=refresher,
        **options,
    )


def mark_needs_attention(account: PagerDutyAccount, reason: str) -> None:
    """Flag the account for an admin (the caller commits)."""
    account.status = AccountStatus.NEEDS_ATTENTION
    account.status_reason = reason[:500]
    log.warning("PagerDuty account %s needs attention: %s", account.id, reason)


def record_auth_failure(account: PagerDutyAccount, err: PagerDutyError) -> bool:
    """Mark the account when `err` says its credential no longer works; returns whether it did."""
    if isinstance(err, TokenUnavailable) or not err.is_auth_failure:
        return False
    if err.status == 403:
        reason = FORBIDDEN.format(message=err.message)
    else:
        reason = OAUTH_REFUSED if account.auth_kind is AuthKind.OAUTH else TOKEN_REFUSED
    mark_needs_attention(account, reason)
    return True


UNLINKING = (
    "This PagerDuty account is being unlinked: Vigil only resolves the incidents it opened there. Link it "
    "again, or edit the rule to page another account."
)


def delivery_problem(account: PagerDutyAccount, *, resolving: bool = False) -> str | None:
    """Why Vigil cannot create incidents with this account right now, or None (checked when an alert rule
    is saved and again before each page). `resolving`: for a resolve, which an unlinking account still sends
    (unlinking.py) while it opens nothing new."""
    if account.status is AccountStatus.UNLINKED:
        return "This PagerDuty account is unlinked. Link it again and edit the rule."
    if account.unlink_requested_at is not None and not resolving:
        return UNLINKING
    if account.status is AccountStatus.NEEDS_ATTENTION:
        reason = (account.status_reason or "see Integrations").rstrip(".")
        return f"This PagerDuty account needs attention: {reason}."
    caps = capabilities(account.auth_kind.value, account.scopes, account.token_user_role)
    write = next(c for c in caps if c.name == "Alert delivery")
    if write.state == "no":
        return f"This PagerDuty account cannot create incidents: {write.note}."
    return None


def workspace_accounts(workspace_id: int) -> list[PagerDutyAccount]:
    return list(
        db.session.scalars(
            select(PagerDutyAccount)
            .where(PagerDutyAccount.workspace_id == workspace_id)
            .order_by(PagerDutyAccount.linked_at, PagerDutyAccount.id)
        )
    )


def _decrypt(account: PagerDutyAccount, ciphertext: str) -> str:
    try:
        return crypto.decrypt(ciphertext)
    except crypto.DecryptionError:
        mark_needs_attention(account, UNDECRYPTABLE)
        db.session.commit()
        raise TokenUnavailable(UNDECRYPTABLE) from None


class _Refresher:
    """The client's `refresh_token` callback; remembers which refresh token it last saw."""

    def __init__(self, account: PagerDutyAccount) -> None:
        self.account = account
        self.seen = account.refresh_token_enc

    def __call__(self) -> str:
        token = _refresh(self.account, self.seen)
        self.seen = self.account.refresh_token_enc
        return token


def _refresh(account: PagerDutyAccount, seen_refresh_enc: str | None) -> str:
    """Refresh under a row lock; if another worker rotated the token meanwhile, use its result instead."""
    locked = db.session.scalars(
        select(PagerDutyAccount)
        .where(PagerDutyAccount.id == account.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if locked.refresh_token_enc != seen_refresh_enc and locked.access_token_enc:
        db.session.commit()
        return _decrypt(locked, locked.access_token_enc)
    if not locked.refresh_token_enc:
        mark_needs_attention(locked, OAUTH_REFUSED)
        db.session.commit()
        raise TokenUnavailable(OAUTH_REFUSED)
    refresh_token = _decrypt(locked, locked.refresh_token_enc)
    try:
        grant = oauth.refresh(refresh_token, settings())
    except oauth.RefreshRefused as exc:
        reason = f"{OAUTH_REFUSED} ({exc})"
        mark_needs_attention(locked, reason)
        db.session.commit()
        raise TokenUnavailable(reason) from None
    except oauth.IdentityUnavailable as exc:
        db.session.rollback()
        raise PagerDutyError(str(exc), retryable=True, request="POST /oauth/token") from None
    store_grant(locked, grant)
    db.session.commit()
    log.info("refreshed the OAuth access token of PagerDuty account %s", locked.id)
    return grant.access_token


def store_grant(account: PagerDutyAccount, grant: oauth.Grant) -> None:
    """Keep a token response: encrypted tokens, expiry and granted scopes (the caller commits)."""
    account.access_token_enc = crypto.encrypt(grant.access_token)
    # PagerDuty rotates refresh tokens (API-NOTES §5.3): the old one stops working once this one is issued.
    if grant.refresh_token is not None:
        account.refresh_token_enc = crypto.encrypt(grant.refresh_token)
    account.expires_at = grant.expires_at
    if grant.scopes:
        account.scopes = grant.scopes
