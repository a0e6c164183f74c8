"""Link and re-link PagerDuty accounts, and choose their services: domain logic for the views and the CLI.

An account is identified by (workspace, region, subdomain): linking one that was linked before — by OAuth
or token, active or unlinked — updates that row in place, so its services, selection and history stay.
Every message about a pasted token says what to do next; the token itself never appears in one.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import crypto
from app.accounts import audit
from app.analytics import changes
from app.extensions import db
from app.inputs import clean_text
from app.models import AccountStatus, AuthKind, PagerDutyAccount, PDService, Region, User, Workspace
from app.models.types import utcnow

from . import oauth
from .capabilities import missing
from .client import PagerDutyClient
from .credentials import TokenUnavailable, api_url, client_for, record_auth_failure, store_grant
from .directory import DirectoryResult, refresh_directory, selection_counts
from .errors import PagerDutyError
from .sync.jobs import nudge_sync
from .sync.mapping import storable

log = logging.getLogger(__name__)

# PagerDuty Events API v2 routing keys and service integration keys are 32 hex characters.
_INTEGRATION_KEY = re.compile(r"[0-9a-fA-F]{32}")
REGION_LABELS = {"us": "US", "eu": "EU"}
CREATE_TOKEN = "PagerDuty → My Profile → User Settings → Create API User Token"

EMPTY = "Paste a PagerDuty user API token."
SPACES_INSIDE = (
    "The token has spaces or line breaks inside it. A PagerDuty API token is one word: copy it again "
    "from PagerDuty and paste only the token."
)
ODD_CHARACTERS = (
    "The token contains characters a PagerDuty API token never has (letters with accents, symbols or "
    "invisible characters). Copy it again from PagerDuty and paste only the token."
)
INTEGRATION_KEY = (
    "This looks like a service integration key (32 hexadecimal characters, from a service's Integrations "
    f"tab), not an API token. Vigil needs a user API token: {CREATE_TOKEN}."
)
ACCOUNT_TOKEN = (
    "This is an account-level API key, which acts as no one. Vigil needs a user API token, so that the "
    f"incidents it creates are made by a real PagerDuty user: {CREATE_TOKEN}."
)
INVALID = (
    "PagerDuty does not accept this token: it is mistyped, revoked or deleted. Create a new one "
    f"({CREATE_TOKEN}) and paste it again."
)
WRONG_REGION = (
    "This token belongs to a PagerDuty account in the {region} service region. Choose {region} (or "
    "“Detect”) and try again."
)
RATE_LIMITED = "PagerDuty is rate limiting this token right now. Wait a minute and try again."
UNREACHABLE = (
    "Vigil could not reach PagerDuty at {url}. Try again in a minute; if it keeps failing, check the "
    "server's network access and the PAGERDUTY_API_URL / PAGERDUTY_EU_API_URL settings."
)
SERVER_ERROR = "PagerDuty had a problem answering (HTTP {status}). Try again in a few minutes."
NO_API = (
    "PagerDuty says this account's plan has no access to this part of the API (HTTP 402). REST API access "
    "needs a Professional plan or higher."
)
FORBIDDEN = (
    "PagerDuty refused this token (HTTP 403: {message}). Use a token of a user who can read users and "
    "services."
)
OTHER = "PagerDuty refused this token (HTTP {status}: {message})."
OTHER_ACCOUNT = (
    "This token belongs to the PagerDuty account “{found}”, not “{expected}”. To add that account, use "
    "“Link another account” instead."
)
NO_SUBDOMAIN = "PagerDuty did not say which account this token belongs to. Try again, or use OAuth."
BUSY = "This account is being linked by someone else right now. Reload the page in a moment."
SERVICES_FORBIDDEN = (
    "PagerDuty did not let Vigil list services (HTTP 403: {message}). The token needs to read services "
    "(scope services.read)."
)
SERVICES_FAILED = "Vigil could not fetch the services from PagerDuty ({error}). Use “Refresh services” later."
UNREAD_USER = (
    "PagerDuty did not let Vigil read the authorizing user (scope users.read), so alerts cannot be sent "
    "“From” them. Re-link and allow users.read."
)


class LinkError(Exception):
    """Linking failed for a reason the person can fix; `str()` is the message to show them."""


@dataclass(frozen=True)
class CheckedToken:
    token: str = field(repr=False)
    region: str
    user: dict[str, Any]


@dataclass
class LinkResult:
    account: PagerDutyAccount
    action: str  # linked | relinked | token_replaced
    directory: DirectoryResult | None = None
    warnings: list[str] = field(default_factory=list)


def account_label(account: PagerDutyAccount) -> str:
    return f"{account.subdomain} ({REGION_LABELS[account.region.value]})"


def subdomain_of(html_url: object) -> str | None:
    """`https://acme.pagerduty.com/users/P1` or `https://acme.eu.pagerduty.com/…` → `acme` (API-NOTES §0)."""
    if not isinstance(html_url, str):
        return None
    host = urlsplit(clean_text(html_url)).hostname or ""
    label = host.split(".")[0]
    return label if label and len(label) <= oauth.SUBDOMAIN_LIMIT else None


def clean_token(raw: str | None) -> str:
    """The token without surrounding whitespace; LinkError for what cannot be a user API token."""
    token = (raw or "").strip().strip("\"'").strip()
    if not token:
        raise LinkError(EMPTY)
    if any(ch.isspace() for ch in token):
        raise LinkError(SPACES_INSIDE)
    if not (token.isascii() and token.isprintable()):
        # It would also be unsendable: HTTP headers carry no such characters.
        raise LinkError(ODD_CHARACTERS)
    if _INTEGRATION_KEY.fullmatch(token):
        raise LinkError(INTEGRATION_KEY)
    return token


def is_account_level(err: PagerDutyError) -> bool:
    # API-NOTES §2.1: GET /users/me with an account-level key is a 400 whose `error` is a sentence naming it.
    return err.status == 400 and "account-level" in err.message.lower()


def is_invalid(err: PagerDutyError) -> bool:
    # API-NOTES §3, §5.4: 401 means unknown, revoked or expired — or a token of the other region.
    return err.status == 401


def wrong_region(region: str) -> str:
    return WRONG_REGION.format(region=REGION_LABELS.get(region, region.upper()))


def explain(err: PagerDutyError, url: str) -> str:
    """One plain message for a failed `GET /users/me` with a candidate token."""
    if err.status is None:
        return UNREACHABLE.format(url=url)
    if is_account_level(err):
        return ACCOUNT_TOKEN
    if is_invalid(err):
        return INVALID
    if err.status == 429:
        return RATE_LIMITED
    if err.status >= 500 or err.status == 408:
        return SERVER_ERROR.format(status=err.status)
    if err.status == 402:
        return NO_API
    if err.status == 403:
        return FORBIDDEN.format(message=err.message)
    return OTHER.format(status=err.status, message=err.message)


def check_token(raw: str | None, region: str | None) -> CheckedToken:
    """`GET /users/me` with the token in `region`, or US then EU when `region` is None (API-NOTES §5.4)."""
    token = clean_token(raw)
    first = region or Region.US.value
    other = Region.EU.value if first == Region.US.value else Region.US.value
    try:
        return CheckedToken(token, first, _me(token, first))
    except PagerDutyError as err:
        if not is_invalid(err):
            raise LinkError(explain(err, api_url(first))) from None
    try:
        user = _me(token, other)
    except PagerDutyError as err:
        # A 401 in both regions is a bad token; an account-level key in the other region still says so.
        raise LinkError(ACCOUNT_TOKEN if is_account_level(err) else INVALID) from None
    if region is not None:
        raise LinkError(wrong_region(other))
    return CheckedToken(token, other, user)


def link_with_token(
    workspace: Workspace,
    raw: str | None,
    region: str | None,
    actor: User | None,
    replacing: PagerDutyAccount | None = None,
    via: str = "web",
) -> LinkResult:
    checked = check_token(raw, region)
    subdomain = subdomain_of(checked.user.get("html_url"))
    if subdomain is None:
        raise LinkError(NO_SUBDOMAIN)
    if replacing is not None and (replacing.region.value, replacing.subdomain) != (checked.region, subdomain):
        found = f"{subdomain} ({REGION_LABELS[checked.region]})"
        raise LinkError(OTHER_ACCOUNT.format(found=found, expected=account_label(replacing)))
    account, previous = _account_for(workspace, checked.region, subdomain)
    account.auth_kind = AuthKind.API_TOKEN
    account.access_token_enc = crypto.encrypt(checked.token)
    account.refresh_token_enc = None
    account.expires_at = None
    account.scopes = ""
    _set_token_user(account, checked.user)
    action = {None: "linked", AccountStatus.ACTIVE: "token_replaced"}.get(previous, "relinked")
    return _finish_link(account, action, actor, via, method="api_token")


def link_with_oauth(
    workspace: Workspace,
    grant: oauth.Grant,
    identity: oauth.Identity,
    actor: User | None,
    requested: list[str],
) -> LinkResult:
    account, previous = _account_for(workspace, identity.region, identity.subdomain)
    account.auth_kind = AuthKind.OAUTH
    store_grant(account, grant)
    account.scopes = grant.scopes
    account.remote_account_id = identity.account_id or account.remote_account_id
    account.token_user_remote_id = identity.user_id
    warnings: list[str] = []
    try:
        # The token is seconds old: no refresh callback needed (the account may not even have an id yet).
        client = PagerDutyClient(
            api_url(identity.region), grant.access_token, auth_kind="oauth", max_attempts=2, max_inline_wait=2
        )
        user = client.get_current_user()
    except PagerDutyError as err:
        log.info("could not read the OAuth user of PagerDuty account %s: %s", account.id, err)
        warnings.append(UNREAD_USER)
        user = {"id": identity.user_id}
    _set_token_user(account, user)
    not_granted = missing(requested, grant.scopes)
    if not_granted:
        warnings.append(
            "PagerDuty granted less than Vigil asked for — missing: " + ", ".join(not_granted) + ". "
            "See what that means below; re-link to ask again."
        )
    action = "linked" if previous is None else "relinked"
    result = _finish_link(account, action, actor, "web", method="oauth", scopes=grant.scopes)
    result.warnings[:0] = warnings
    return result


def refresh_services(account: PagerDutyAccount) -> tuple[DirectoryResult | None, str | None]:
    """Fetch services and teams; returns the counts, or a message saying what went wrong."""
    try:
        result = refresh_directory(account, client_for(account, max_attempts=2, max_inline_wait=5))
    except PagerDutyError as err:
        db.session.rollback()
        if record_auth_failure(account, err):
            db.session.commit()
            if err.status == 403:
                return None, SERVICES_FORBIDDEN.format(message=err.message)
            return None, account.status_reason
        if isinstance(err, TokenUnavailable):  # the account was already marked
            return None, err.message
        return None, SERVICES_FAILED.format(error=err.message if err.status else "no answer")
    except IntegrityError:
        db.session.rollback()
        return None, BUSY
    db.session.commit()
    return result, None


def select_services(
    account: PagerDutyAccount, services: list[PDService], selected: bool, via: str = "web"
) -> int:
    """Select or deselect the account's `services` (audited, committed); returns how many changed. Selecting
    clears `backfilled_at`, which is how the sync knows to fetch the service's history."""
    changed = [s for s in services if s.selected != selected]
    now = utcnow()
    for service in changed:
        service.selected = selected
        if selected:
            service.selected_at = now
            service.backfilled_at = None
    if changed:
        # The selected services are every metric's default population.
        changes.rows_changed(account.workspace_id)
        action = "pagerduty.services_selected" if selected else "pagerduty.services_deselected"
        names = [s.name for s in changed][:50]
        audit.record(account.workspace, action, account_label(account), services=names, via=via)
    db.session.commit()
    if changed and selected:
        # A short delay lets a run of toggles become one backfill (the job id is stable per account).
        nudge_sync(account, delay=timedelta(seconds=10))
    return len(changed)


def _me(token: str, region: str) -> dict[str, Any]:
    # API-NOTES §2.1: works only with a user-level key; a request thread must not wait long.
    client = PagerDutyClient(
        api_url(region), token, auth_kind="api_token", max_attempts=2, max_inline_wait=2, timeout=(5, 15)
    )
    return client.get_current_user()


def _account_for(
    workspace: Workspace, region: str, subdomain: str
) -> tuple[PagerDutyAccount, AccountStatus | None]:
    account = db.session.scalar(
        select(PagerDutyAccount).where(
            PagerDutyAccount.workspace_id == workspace.id,
            PagerDutyAccount.region == Region(region),
            PagerDutyAccount.subdomain == subdomain,
        )
    )
    if account is not None:
        return account, account.status
    account = PagerDutyAccount(workspace_id=workspace.id, region=Region(region), subdomain=subdomain)
    db.session.add(account)
    return account, None


def _set_token_user(account: PagerDutyAccount, user: dict[str, Any]) -> None:
    # Every write to PagerDuty is made `From` this address (API-NOTES §2.10). PagerDuty's text is kept whole
    # in TEXT columns, cleaned like the sync's (no NUL, no lone surrogate), so no user name fails a link.
    user = storable(user)
    account.token_user_email = _text_or_none(user.get("email"))
    account.token_user_name = _text_or_none(user.get("name"))
    account.token_user_role = _text_or_none(user.get("role"))
    account.token_user_remote_id = user.get("id") or account.token_user_remote_id


def _text_or_none(value: object) -> str | None:
    return str(value) if value else None


def _finish_link(
    account: PagerDutyAccount, action: str, actor: User | None, via: str, **details: Any
) -> LinkResult:
    account.status = AccountStatus.ACTIVE
    account.status_reason = None
    account.unlinked_at = None
    account.linked_by_id = actor.id if actor is not None else None
    account.linked_at = utcnow()
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise LinkError(BUSY) from None
    audit.record(
        account.workspace,
        f"pagerduty.{action}",
        account_label(account),
        region=account.region.value,
        token_user=account.token_user_email,
        via=via,
        **details,
    )
    db.session.commit()
    # Fetch the services and teams now, and resume syncing a re-linked account whose services are already
    # selected (a new account starts once services are picked).
    directory, problem = refresh_services(account)
    if selection_counts(account)[0]:
        nudge_sync(account)
    return LinkResult(account, action, directory, [problem] if problem else [])
