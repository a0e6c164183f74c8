"""OAuth with PagerDuty's identity server, through Authlib (API-NOTES §5.2-5.4).

Authorization code + PKCE S256, client secret in the form body (`client_secret_post`), state checked by
Authlib. PagerDuty attaches `openid` itself and returns an RS256 `id_token` whose `aud` names the region's
API host and the client id; Authlib only verifies id_tokens it asked for with a nonce, so Vigil verifies it
here against the identity server's JWKS. Refresh tokens rotate: every refresh returns a new one.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import FlaskOAuth2App
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry
from werkzeug.wrappers import Response

from app.extensions import oauth as registry
from app.inputs import text_problem
from config import Settings

log = logging.getLogger(__name__)

# API-NOTES §5.3-5.4: paths on the identity host (one host for both regions).
AUTHORIZE_PATH = "/oauth/authorize"
TOKEN_PATH = "/oauth/token"
REVOKE_PATH = "/oauth/revoke"  # undocumented (§5.3 "Revocation"): used best-effort only
ISSUER_PATH = "/global/oauth/anonymous"
JWKS_PATH = ISSUER_PATH + "/jwks"
TIMEOUT = (5, 20)
ID_TOKEN_LEEWAY = 120

DECLINED = "You declined access in PagerDuty; nothing was linked."
STATE_MISMATCH = (
    "This PagerDuty sign-in does not match one Vigil started (it expired, was already used, or was "
    "started in another browser). Nothing was linked: start again from Integrations."
)
CODE_REFUSED = (
    "PagerDuty refused the authorization code ({detail}). Codes are valid for 30 seconds and work once: "
    "start again from Integrations."
)
CLIENT_REFUSED = (
    "PagerDuty rejected Vigil's OAuth client ({detail}). Check PAGERDUTY_CLIENT_ID and "
    "PAGERDUTY_CLIENT_SECRET against the app registered in PagerDuty."
)
PROVIDER_ERROR = "PagerDuty did not authorize Vigil ({detail}). Nothing was linked: start again."
UNREACHABLE = (
    "Vigil could not reach PagerDuty's identity server at {url}. Try again in a minute; if it keeps "
    "failing, check the server's network access and PAGERDUTY_IDENTITY_URL."
)
# An account's subdomain is a DNS label: 63 characters at most (pd_accounts.subdomain holds 100).
SUBDOMAIN_LIMIT = 63
BAD_ID_TOKEN = "PagerDuty's identity token could not be verified ({detail}). Nothing was linked."


class OAuthFailure(Exception):
    """The callback cannot link anything; `str()` is the message, `status` the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class Declined(OAuthFailure):
    """The person clicked "Deny" on PagerDuty's consent page (`error=access_denied`)."""


class RefreshRefused(Exception):
    """The identity server refused the refresh token (revoked, expired, or the client changed)."""


class IdentityUnavailable(Exception):
    """The identity server could not be reached or failed (transient)."""


@dataclass(frozen=True)
class Grant:
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: datetime | None
    scopes: str


@dataclass(frozen=True)
class Identity:
    region: str
    subdomain: str
    account_id: str | None
    user_id: str | None


def is_configured(settings: Settings) -> bool:
    # A classic app may be a public client (PKCE, no secret); a scoped app is always confidential (§5.2).
    has_secret = bool(settings.pagerduty_client_secret) or settings.pagerduty_oauth_kind == "classic"
    return bool(settings.pagerduty_client_id) and has_secret


def remote_app(settings: Settings) -> FlaskOAuth2App:
    """The Authlib client for these settings, registered on first use (never in create_app)."""
    identity_url, client_id, secret = (
        settings.pagerduty_identity_url,
        settings.pagerduty_client_id,
        settings.pagerduty_client_secret,
    )
    fingerprint = "|".join([identity_url, client_id or "", settings.pagerduty_oauth_kind, secret or ""])
    name = "pagerduty_" + hashlib.sha256(fingerprint.encode()).hexdigest()[:12]
    return registry.create_client(name) or registry.register(
        name,
        client_id=client_id,
        client_secret=secret,
        authorize_url=identity_url + AUTHORIZE_PATH,
        access_token_url=identity_url + TOKEN_PATH,
        client_kwargs=_session_options(settings),
    )


def start(settings: Settings, redirect_uri: str, scopes: Sequence[str]) -> tuple[Response, str]:
    """The redirect to PagerDuty's consent page, and the state Authlib stored for the callback."""
    app = remote_app(settings)
    found = app.create_authorization_url(redirect_uri, scope=" ".join(scopes))
    app.save_authorize_data(redirect_uri=redirect_uri, **found)
    return Response(status=302, headers={"Location": found["url"]}), str(found["state"])


def finish(settings: Settings) -> tuple[Grant, Identity]:
    """Complete the callback of the current request: check state, exchange the code, verify the id_token."""
    try:
        token = remote_app(settings).authorize_access_token()
    except MismatchingStateError:
        raise OAuthFailure(STATE_MISMATCH) from None
    except OAuthError as exc:
        if exc.error == "access_denied":
            raise Declined(DECLINED) from None
        raise OAuthFailure(_explain(exc)) from None
    except (requests.RequestException, ValueError):
        raise OAuthFailure(UNREACHABLE.format(url=settings.pagerduty_identity_url), 502) from None
    grant = grant_from(token, datetime.now(UTC))
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise OAuthFailure(BAD_ID_TOKEN.format(detail="the token response has no id_token"))
    identity = verify_id_token(id_token, fetch_jwks(settings), settings, datetime.now(UTC))
    return grant, identity


def grant_from(token: Mapping[str, Any], now: datetime) -> Grant:
    """A token endpoint response as a Grant; `expires_in` is trusted over documented lifetimes (§5.3)."""
    expires_at = None
    if token.get("expires_in") is not None:
        expires_at = now + timedelta(seconds=int(token["expires_in"]))
    elif token.get("expires_at") is not None:
        expires_at = datetime.fromtimestamp(int(token["expires_at"]), UTC)
    return Grant(
        access_token=str(token["access_token"]),
        refresh_token=token.get("refresh_token"),
        expires_at=expires_at,
        scopes=str(token.get("scope") or ""),
    )


def fetch_jwks(settings: Settings) -> dict[str, Any]:
    # API-NOTES §5.4: keys may rotate, so fetch the set for each link rather than pin it.
    url = settings.pagerduty_identity_url + JWKS_PATH
    try:
        response = requests.get(url, timeout=TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError):
        raise OAuthFailure(UNREACHABLE.format(url=settings.pagerduty_identity_url), 502) from None
    if not isinstance(document, dict):
        raise OAuthFailure(BAD_ID_TOKEN.format(detail="the JWKS is not a key set"))
    return document


def verify_id_token(id_token: str, jwks: Mapping[str, Any], settings: Settings, now: datetime) -> Identity:
    """Signature, issuer, expiry and audience; region from the API host in `aud`, subdomain from claims."""
    try:
        claims = jwt.decode(id_token, KeySet.import_key_set(dict(jwks)), algorithms=["RS256"]).claims  # type: ignore[arg-type]
        issuer = settings.pagerduty_identity_url + ISSUER_PATH
        JWTClaimsRegistry(
            now=int(now.timestamp()), leeway=ID_TOKEN_LEEWAY, iss={"essential": True, "value": issuer}
        ).validate(claims)
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        detail = getattr(exc, "description", "") or getattr(exc, "error", "") or "malformed"
        raise OAuthFailure(BAD_ID_TOKEN.format(detail=detail)) from None
    audience = claims.get("aud")
    audiences = {str(a).rstrip("/") for a in (audience if isinstance(audience, list) else [audience])}
    if settings.pagerduty_client_id not in audiences:
        raise OAuthFailure(BAD_ID_TOKEN.format(detail="it was issued to another client"))
    regions = {settings.pagerduty_api_url: "us", settings.pagerduty_eu_api_url: "eu"}
    region = next((r for url, r in regions.items() if url.rstrip("/") in audiences), None)
    if region is None:
        detail = "its audience names neither PAGERDUTY_API_URL nor PAGERDUTY_EU_API_URL"
        raise OAuthFailure(BAD_ID_TOKEN.format(detail=detail))
    subdomain = claims.get("subdomain")
    if not isinstance(subdomain, str) or not subdomain:
        raise OAuthFailure(BAD_ID_TOKEN.format(detail="it names no account subdomain"))
    if len(subdomain) > SUBDOMAIN_LIMIT or text_problem(subdomain):
        raise OAuthFailure(BAD_ID_TOKEN.format(detail="its account subdomain is not a host name"))
    return Identity(region, subdomain, _optional(claims.get("account_id")), _optional(claims.get("user_id")))


def refresh(refresh_token: str, settings: Settings) -> Grant:
    """Exchange a refresh token; the response carries a new refresh token (rotation, §5.3)."""
    with OAuth2Session(
        settings.pagerduty_client_id, settings.pagerduty_client_secret, **_session_options(settings)
    ) as session:
        try:
            token = session.refresh_token(
                settings.pagerduty_identity_url + TOKEN_PATH, refresh_token=refresh_token
            )
        except OAuthError as exc:
            raise RefreshRefused(f"{exc.error}: {exc.description or 'refused'}") from None
        except (requests.RequestException, ValueError):
            raise IdentityUnavailable(UNREACHABLE.format(url=settings.pagerduty_identity_url)) from None
    return grant_from(token, datetime.now(UTC))


def revoke(token: str, settings: Settings, hint: str = "refresh_token") -> bool:
    """Best effort: PagerDuty documents no revocation endpoint (§5.3), so a refusal is logged, not raised."""
    with OAuth2Session(
        settings.pagerduty_client_id, settings.pagerduty_client_secret, **_session_options(settings)
    ) as session:
        try:
            response = session.revoke_token(
                settings.pagerduty_identity_url + REVOKE_PATH, token=token, token_type_hint=hint
            )
        except (requests.RequestException, OAuthError, ValueError) as exc:
            log.info("PagerDuty token revocation failed: %s", type(exc).__name__)
            return False
    if not response.ok:
        log.info("PagerDuty did not confirm token revocation (HTTP %s)", response.status_code)
    return bool(response.ok)


def _session_options(settings: Settings) -> dict[str, Any]:
    method = "client_secret_post" if settings.pagerduty_client_secret else "none"
    return {
        "code_challenge_method": "S256",
        "token_endpoint_auth_method": method,
        "revocation_endpoint_auth_method": method,
        "default_timeout": TIMEOUT,
    }


def _explain(exc: OAuthError) -> str:
    detail = exc.description or exc.error
    if exc.error == "invalid_grant":
        return CODE_REFUSED.format(detail=detail)
    if exc.error in {"invalid_client", "unauthorized_client"}:
        return CLIENT_REFUSED.format(detail=detail)
    return PROVIDER_ERROR.format(detail=detail)


def _optional(value: object) -> str | None:
    return str(value) if value else None
