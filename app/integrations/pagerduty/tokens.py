"""What a pasted API token is, and what to tell the person when PagerDuty refuses it (pure functions).

Every message says what to do next; the token itself never appears in one.
"""

from __future__ import annotations

import re

from .errors import PagerDutyError

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

# PagerDuty Events API v2 routing keys and service integration keys are 32 hex characters.
_INTEGRATION_KEY = re.compile(r"[0-9a-fA-F]{32}")
_ACCOUNT_LEVEL = "account-level"
REGION_LABELS = {"us": "US", "eu": "EU"}


class LinkError(Exception):
    """Linking failed for a reason the person can fix; `str()` is the message to show them."""


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
    return err.status == 400 and _ACCOUNT_LEVEL in err.message.lower()


def is_invalid(err: PagerDutyError) -> bool:
    # API-NOTES §3, §5.4: 401 means unknown, revoked or expired — or a token of the other region.
    return err.status == 401


def wrong_region(region: str) -> str:
    return WRONG_REGION.format(region=REGION_LABELS.get(region, region.upper()))


def explain(err: PagerDutyError, api_url: str) -> str:
    """One plain message for a failed `GET /users/me` with a candidate token."""
    if err.status is None:
        return UNREACHABLE.format(url=api_url)
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
