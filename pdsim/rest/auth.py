"""Who is calling: API keys (`Token token=`) and OAuth tokens (`Bearer`), and what they may do.

API-NOTES §5.1 and §8.2: a key in the wrong scheme, a revoked or expired token, or a request to the
region the account does not live in is a 401 with code 2006 (PagerDuty answers a wrong-region key exactly
like an unknown one, §5.4). A missing OAuth scope or a read-only key writing is a 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from pdsim.rest.errors import forbidden, unauthorized
from pdsim.store import Store

TOKEN_PREFIX = "Token token="
BEARER_PREFIX = "Bearer "


@dataclass(frozen=True)
class Principal:
    token: str
    kind: str  # "user_key" | "account_key" | "oauth_user" | "oauth_app"
    user_id: str | None
    read_only: bool = False
    scopes: frozenset[str] | None = None  # None: an API key, not scope-limited
    flavour: str | None = None  # OAuth: "scoped" | "classic"
    client_id: str | None = None

    @property
    def rate_key(self) -> str:
        """API-NOTES §4: user keys share one budget per user; apps get their own per user or account."""
        if self.kind == "user_key":
            return f"user:{self.user_id}"
        if self.kind == "account_key":
            return f"key:{self.token}"
        if self.kind == "oauth_user":
            return f"app:{self.client_id}:user:{self.user_id}"
        return f"app:{self.client_id}:account"

    @property
    def label(self) -> str:
        return self.token

    def allows(self, scope: str) -> bool:
        write = scope.endswith(".write")
        if self.scopes is None:
            return not (write and self.read_only)
        if self.flavour == "classic":
            return "write" in self.scopes or (not write and "read" in self.scopes)
        return scope in self.scopes

    def require(self, scope: str | None) -> None:
        if scope is None:
            return
        if not self.allows(scope):
            if self.scopes is None:
                raise forbidden("This API key is read-only and cannot perform this action.")
            raise forbidden(f"The access token does not have the required scope: {scope}")


def authenticate(store: Store, header: str | None, now: float) -> Principal:
    header = header or ""
    if header.startswith(TOKEN_PREFIX):
        key = header[len(TOKEN_PREFIX) :]
        with store.read() as conn:
            row = conn.execute("SELECT * FROM api_tokens WHERE token = ?", (key,)).fetchone()
        if row is None or row["revoked"]:
            raise unauthorized()
        kind = "user_key" if row["kind"] == "user" else "account_key"
        return Principal(key, kind, row["user_id"], bool(row["read_only"]))
    if header.startswith(BEARER_PREFIX):
        token = header[len(BEARER_PREFIX) :]
        with store.read() as conn:
            row = conn.execute(
                "SELECT t.*, c.kind AS flavour FROM oauth_tokens t "
                "JOIN oauth_clients c ON c.client_id = t.client_id "
                "WHERE t.token = ? AND t.kind = 'access'",
                (token,),
            ).fetchone()
        if row is None or row["revoked"] or (row["expires_at"] is not None and row["expires_at"] <= now):
            raise unauthorized()
        kind = "oauth_user" if row["user_id"] else "oauth_app"
        return Principal(
            token,
            kind,
            row["user_id"],
            False,
            frozenset(row["scopes"].split()),
            row["flavour"],
            row["client_id"],
        )
    raise unauthorized()
