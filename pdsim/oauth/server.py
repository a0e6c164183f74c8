"""Authorization codes, tokens, refresh rotation and client credentials (API-NOTES §5.2-5.4).

- Codes live 30 seconds and are single use; scoped clients must use PKCE S256, classic public clients too.
- Client secrets travel in the form body only (`client_secret_post`); HTTP Basic is not documented, so a
  client relying on it is refused here before it is refused in production.
- A refresh returns a new refresh token and invalidates the old one; the old access token lives on until it
  expires (rotation "implied" by the docs; the access-token side is not documented).
- client_credentials needs `as_account-{region}.{subdomain}`; there is no refresh for app tokens.
- Lifetimes follow the documented table and can be shortened through `/_sim/oauth/config` for tests.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from pdsim.clock import Clock
from pdsim.config import OAuthClientSpec
from pdsim.ids import oauth_access_token
from pdsim.oauth import scopes as sc
from pdsim.oauth.keys import SigningKey
from pdsim.store import Store

CODE_TTL = 30
ACCESS_TTL = {"scoped": 86400, "classic": 30 * 86400}
REFRESH_TTL = {"scoped": 30 * 86400, "classic": 210 * 86400}
REGION_CLAIM = {"us": "UnitedStates", "eu": "Europe"}


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error, self.description, self.status = error, description, status


@dataclass(frozen=True)
class Client:
    client_id: str
    secret: str | None
    kind: str
    name: str
    redirect_uris: tuple[str, ...]


@dataclass
class Code:
    client_id: str
    redirect_uri: str
    user_id: str
    scopes: list[str]
    challenge: str | None
    nonce: str | None
    expires_at: float
    used: bool = False


@dataclass(frozen=True)
class Account:
    account_id: str
    region: str
    subdomain: str


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class OAuthServer:
    def __init__(self, store: Store, clock: Clock, keys: SigningKey) -> None:
        self.store, self.clock, self.keys = store, clock, keys
        self.access_ttl: int | None = None  # overrides ACCESS_TTL for both flavours when set
        self.refresh_ttl: int | None = None
        self._codes: dict[str, Code] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._codes.clear()
        self.access_ttl = self.refresh_ttl = None

    # --- clients -----------------------------------------------------------------------------

    def register(self, spec: OAuthClientSpec, startup: bool = False) -> Client:
        with self.store.write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO oauth_clients VALUES (?, ?, ?, ?, ?, ?)",
                (
                    spec.client_id,
                    spec.secret,
                    spec.kind,
                    spec.name,
                    " ".join(spec.redirect_uris),
                    int(startup),
                ),
            )
        return Client(spec.client_id, spec.secret, spec.kind, spec.name, spec.redirect_uris)

    def client(self, client_id: str) -> Client | None:
        with self.store.read() as conn:
            row = conn.execute("SELECT * FROM oauth_clients WHERE client_id = ?", (client_id,)).fetchone()
        if row is None:
            return None
        return Client(
            row["client_id"], row["secret"], row["kind"], row["name"], tuple(row["redirect_uris"].split())
        )

    def _authenticate(self, form: dict[str, str], basic: bool) -> Client:
        client = self.client(form.get("client_id", ""))
        if client is None:
            raise OAuthError("invalid_client", "Unknown client", 401)
        if client.secret is not None:
            given = form.get("client_secret")
            if given is None:
                why = "client_secret must be sent in the form body" if basic else "client_secret is missing"
                raise OAuthError("invalid_client", why, 401)
            if not hmac.compare_digest(given, client.secret):
                raise OAuthError("invalid_client", "Client authentication failed", 401)
        return client

    # --- authorization -------------------------------------------------------------------------

    def check_authorize(self, client: Client, args: dict[str, str]) -> None:
        """Errors a client can be told about by redirect (the client and redirect_uri are known good)."""
        if args.get("response_type") != "code":
            raise OAuthError("unsupported_response_type", "response_type must be code")
        challenge, method = args.get("code_challenge"), args.get("code_challenge_method")
        pkce_required = client.kind == "scoped" or client.secret is None
        if pkce_required and not challenge:
            raise OAuthError("invalid_request", "PKCE (code_challenge with S256) is required for this client")
        if challenge and method != "S256":
            raise OAuthError("invalid_request", "code_challenge_method must be S256")

    def issue_code(
        self,
        client: Client,
        redirect_uri: str,
        user_id: str,
        scopes: list[str],
        challenge: str | None,
        nonce: str | None,
    ) -> str:
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = Code(
                client.client_id, redirect_uri, user_id, scopes, challenge, nonce, self.clock.now() + CODE_TTL
            )
        return code

    # --- token endpoint ------------------------------------------------------------------------

    def token(
        self, form: dict[str, str], basic: bool, account: Account, api_base: str, issuer: str
    ) -> dict[str, Any]:
        grant = form.get("grant_type")
        if grant == "authorization_code":
            return self._from_code(form, basic, account, api_base, issuer)
        if grant == "refresh_token":
            return self._refresh(form, basic)
        if grant == "client_credentials":
            return self._client_credentials(form, basic, account)
        raise OAuthError("unsupported_grant_type", f"grant_type {grant!r} is not supported")

    def _from_code(
        self, form: dict[str, str], basic: bool, account: Account, api_base: str, issuer: str
    ) -> dict[str, Any]:
        client = self._authenticate(form, basic)
        with self._lock:
            code = self._codes.get(form.get("code", ""))
            if code is None or code.used or code.client_id != client.client_id:
                raise OAuthError("invalid_grant", "The authorization code is invalid")
            code.used = True
        if code.expires_at <= self.clock.now():
            raise OAuthError("invalid_grant", "The authorization code has expired")
        if form.get("redirect_uri") != code.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request")
        if code.challenge is not None:
            verifier = form.get("code_verifier")
            if not verifier or not hmac.compare_digest(s256(verifier), code.challenge):
                raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
        body = self._issue(client, code.user_id, code.scopes, refresh=True)
        now = int(self.clock.now())
        claims = {
            "iss": issuer,
            "aud": [api_base, client.client_id],
            "sub": code.user_id,
            "user_id": code.user_id,
            "account_id": account.account_id,
            "subdomain": account.subdomain,
            "region": REGION_CLAIM[account.region],
            "delegation_id": secrets.token_hex(8).upper(),
            "iat": now,
            "exp": now + 3600,
        }
        if code.nonce:
            claims["nonce"] = code.nonce
        body["id_token"] = self.keys.sign(claims)
        return body

    def _refresh(self, form: dict[str, str], basic: bool) -> dict[str, Any]:
        client = self._authenticate(form, basic)
        old = form.get("refresh_token", "")
        with self.store.write() as conn:
            row = conn.execute(
                "SELECT * FROM oauth_tokens WHERE token = ? AND kind = 'refresh'", (old,)
            ).fetchone()
            if (
                row is None
                or row["revoked"]
                or row["client_id"] != client.client_id
                or (row["expires_at"] is not None and row["expires_at"] <= self.clock.now())
            ):
                raise OAuthError("invalid_grant", "The refresh token is invalid or expired")
            conn.execute("UPDATE oauth_tokens SET revoked = 1 WHERE token = ?", (old,))
            return self._issue(client, row["user_id"], row["scopes"].split(), refresh=True)

    def _client_credentials(self, form: dict[str, str], basic: bool, account: Account) -> dict[str, Any]:
        client = self._authenticate(form, basic)
        if client.kind != "scoped" or client.secret is None:
            raise OAuthError("unauthorized_client", "client_credentials needs a confidential scoped client")
        requested = form.get("scope", "").split()
        wanted = sc.as_account(account.region, account.subdomain)
        if wanted not in requested:
            raise OAuthError("invalid_scope", f"The scope must include {wanted}")
        granted = [wanted, *sorted({s for s in requested if s in sc.SCOPED})]
        return self._issue(client, None, granted, refresh=False)

    def _issue(self, client: Client, user_id: str | None, scopes: list[str], refresh: bool) -> dict[str, Any]:
        now = int(self.clock.now())
        ttl = self.access_ttl or ACCESS_TTL[client.kind]
        access = oauth_access_token()
        body: dict[str, Any] = {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": ttl,
            "scope": " ".join(scopes),
        }
        rows = [(access, "access", client.client_id, user_id, " ".join(scopes), now + ttl, 0, None, now)]
        if refresh and user_id is not None:
            token = "pdus+_1X" + secrets.token_urlsafe(32)
            rows.append(
                (
                    token,
                    "refresh",
                    client.client_id,
                    user_id,
                    " ".join(scopes),
                    now + (self.refresh_ttl or REFRESH_TTL[client.kind]),
                    0,
                    access,
                    now,
                )
            )
            body["refresh_token"] = token
        with self.store.write() as conn:
            conn.executemany("INSERT INTO oauth_tokens VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        return body
