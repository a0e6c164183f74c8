"""API tokens (user- or account-level, read-only or full), revocation, OAuth clients and token lifetimes."""

from __future__ import annotations

from typing import Any

from pdsim.config import OAuthClientSpec
from pdsim.control.base import ControlError, body, control, sim, user_id_from


@control.get("/tokens")
def tokens() -> Any:
    rows = sim().store.rows(
        "SELECT token, kind, user_id, read_only, revoked, startup FROM api_tokens ORDER BY token"
    )
    oauth = sim().store.rows(
        "SELECT token, kind, client_id, user_id, scopes, expires_at, revoked FROM oauth_tokens "
        "ORDER BY created_at, token"
    )
    return {"api_tokens": rows, "oauth_tokens": oauth}


@control.post("/tokens")
def add_token() -> Any:
    """`{"token": "T", "kind": "user"|"account", "user_id"|"user_email": …, "read_only": false}`."""
    data = body()
    token = data.get("token")
    if not isinstance(token, str) or not token:
        raise ControlError("token is required")
    kind = data.get("kind", "user")
    try:
        sim().add_api_token(token, kind, user_id_from(data), bool(data.get("read_only", False)))
    except ValueError as exc:
        raise ControlError(str(exc)) from None
    return {"token": token, "kind": kind, "read_only": bool(data.get("read_only", False))}, 201


@control.post("/tokens/revoke")
def revoke_token() -> Any:
    """Revokes an API key or an OAuth access/refresh token: it answers 401 from now on."""
    token = body().get("token")
    if not isinstance(token, str) or not sim().revoke_token(token):
        raise ControlError("unknown token", 404)
    return {"revoked": token}


@control.post("/oauth/clients")
def add_oauth_client() -> Any:
    """`{"client_id", "client_secret" (null for a public classic client), "kind": "scoped"|"classic",
    "redirect_uris": [...] (empty: any), "name"}`."""
    data = body()
    client_id = data.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        raise ControlError("client_id is required")
    kind = data.get("kind", "scoped")
    if kind not in ("scoped", "classic"):
        raise ControlError("kind must be scoped or classic")
    secret = data.get("client_secret")
    if secret is None and kind == "scoped":
        raise ControlError("scoped clients are confidential: client_secret is required")
    spec = OAuthClientSpec(
        client_id, secret, kind, tuple(data.get("redirect_uris") or ()), data.get("name", "Vigil")
    )
    sim().add_oauth_client(spec)
    return {"client_id": client_id, "kind": kind, "redirect_uris": list(spec.redirect_uris)}, 201


@control.get("/oauth/config")
def oauth_config() -> Any:
    o = sim().oauth
    return {"access_token_ttl": o.access_ttl, "refresh_token_ttl": o.refresh_ttl}


@control.post("/oauth/config")
def set_oauth_config() -> Any:
    """`{"access_token_ttl": seconds|null, "refresh_token_ttl": seconds|null}`, for tokens issued from now."""
    data = body()
    o = sim().oauth
    for name, attr in (("access_token_ttl", "access_ttl"), ("refresh_token_ttl", "refresh_ttl")):
        if name in data:
            value = data[name]
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ControlError(f"{name} must be a positive integer or null")
            setattr(o, attr, value)
    return oauth_config()
