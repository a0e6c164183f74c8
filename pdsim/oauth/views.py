"""Identity endpoints: `/oauth/authorize` (consent page), `/oauth/token`, JWKS and OpenID discovery.

Served at the root only: PagerDuty has one identity host for both regions (API-NOTES §5.4). The consent
page signs in as the account's first admin by default (a picker offers the other users) and lets the user
untick scopes; it redirects with `code` (or `error=access_denied`) and echoes `state`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request

from pdsim.oauth import scopes as sc
from pdsim.oauth.server import Client, OAuthError
from pdsim.sim import Simulator

oauth = Blueprint("oauth", __name__)
ISSUER_PATH = "/global/oauth/anonymous"
FORWARDED = (
    "client_id",
    "redirect_uri",
    "response_type",
    "state",
    "code_challenge",
    "code_challenge_method",
    "nonce",
)


def _sim() -> Simulator:
    return current_app.extensions["pdsim"]


def _root() -> str:
    return request.host_url.rstrip("/")


def _redirect(uri: str, **query: str | None) -> Response:
    parts = urlsplit(uri)
    extra = urlencode({k: v for k, v in query.items() if v is not None})
    joined = f"{parts.query}&{extra}" if parts.query else extra
    return redirect(urlunsplit(parts._replace(query=joined)), code=302)


def _page_error(message: str) -> tuple[str, int]:
    return render_template("oauth_error.html", message=message), 400


def _client_and_redirect(args: dict[str, str]) -> tuple[Client, str] | tuple[None, str]:
    client = _sim().oauth.client(args.get("client_id", ""))
    if client is None:
        return None, "Unknown client_id"
    uri = args.get("redirect_uri", "")
    if not uri.startswith(("http://", "https://")):
        return None, "redirect_uri is missing or invalid"
    if client.redirect_uris and uri not in client.redirect_uris:
        return None, "redirect_uri is not registered for this client"
    return client, uri


@oauth.route("/oauth/authorize", methods=["GET", "POST"])
def authorize() -> Any:
    args = {k: v for k, v in (request.form if request.method == "POST" else request.args).items()}
    client, uri = _client_and_redirect(args)
    if client is None:
        return _page_error(uri)
    state = args.get("state")
    try:
        _sim().oauth.check_authorize(client, args)
    except OAuthError as exc:
        return _redirect(uri, error=exc.error, error_description=exc.description, state=state)
    s = _sim()
    if request.method == "GET":
        requested = args.get("scope", "").split()
        shown = [x for x in sc.grant(requested, client.kind) if x != sc.OPENID]
        users = sorted(
            s.directory.users.values(), key=lambda u: (u["id"] != s.directory.admin["id"], u["ord"])
        )
        hidden = {k: args[k] for k in FORWARDED if args.get(k)}
        hidden["requested_scope"] = " ".join(requested)
        return render_template(
            "consent.html",
            client=client,
            scopes=shown,
            users=users,
            hidden=hidden,
            default_user=s.directory.admin["id"],
            subdomain=s.params.subdomain,
            region_label="EU service region" if s.params.region == "eu" else "US service region",
        )
    if request.form.get("decision") != "allow":
        return _redirect(
            uri, error="access_denied", error_description="The user denied the request", state=state
        )
    user_id = request.form.get("user_id", "")
    if user_id not in s.directory.users:
        user_id = str(s.directory.admin["id"])
    requested = set(request.form.get("requested_scope", "").split())
    ticked = [x for x in request.form.getlist("scope") if x in requested]
    granted = sc.grant(ticked, client.kind)
    code = s.oauth.issue_code(client, uri, user_id, granted, args.get("code_challenge"), args.get("nonce"))
    return _redirect(uri, code=code, state=state)


@oauth.post("/oauth/token")
def token() -> Any:
    s = _sim()
    form = {k: v for k, v in request.form.items()}
    basic = request.headers.get("Authorization", "").startswith("Basic ")
    region_base = _root() + ("/eu" if s.params.region == "eu" else "")
    try:
        body = s.oauth.token(form, basic, s.account, region_base, _root() + ISSUER_PATH)
    except OAuthError as exc:
        resp = jsonify({"error": exc.error, "error_description": exc.description})
        resp.status_code = exc.status
        return resp
    resp = jsonify(body)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@oauth.get(f"{ISSUER_PATH}/jwks")
def jwks() -> Any:
    return jsonify(_sim().oauth.keys.jwks())


@oauth.get(f"{ISSUER_PATH}/.well-known/openid-configuration")
def openid_configuration() -> Any:
    root = _root()
    return jsonify(
        {
            "issuer": root + ISSUER_PATH,
            "authorization_endpoint": root + "/oauth/authorize",
            "token_endpoint": root + "/oauth/token",
            "jwks_uri": root + ISSUER_PATH + "/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
            "scopes_supported": ["openid", *sorted(sc.CLASSIC), *sorted(sc.SCOPED)],
        }
    )
