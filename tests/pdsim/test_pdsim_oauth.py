"""The OAuth identity server and OAuth tokens on the REST side (API-NOTES §5.2-5.4)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import KeySet

from pdsim.testing import RunningSim, run_pdsim

REDIRECT = "http://127.0.0.1:9/callback"
SCOPES = "users.read services.read incidents.read incidents.write teams.read bogus.scope"


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hidden: dict[str, str] = {}
        self.scopes: list[str] = []
        self.buttons: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "input" and a.get("type") == "hidden":
            self.hidden[a["name"]] = a.get("value", "")
        elif tag == "input" and a.get("type") == "checkbox" and a.get("name") == "scope":
            self.scopes.append(a["value"])
        elif tag == "button":
            self.buttons.append(a.get("value", ""))


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def _authorize(
    sim: RunningSim,
    client_id: str,
    scope: str = SCOPES,
    challenge: str | None = None,
    decision: str = "allow",
    keep: list[str] | None = None,
    state: str = "st-123",
    nonce: str | None = None,
) -> dict[str, list[str]]:
    params = {
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": scope,
        "state": state,
    }
    if challenge:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    if nonce:
        params["nonce"] = nonce
    page = requests.get(
        sim.identity_url + "/oauth/authorize", params=params, allow_redirects=False, timeout=10
    )
    if page.status_code == 302:
        return parse_qs(urlsplit(page.headers["Location"]).query)
    assert page.status_code == 200, page.text
    form = _Form()
    form.feed(page.text)
    assert form.buttons == ["allow", "deny"]
    data: dict[str, Any] = {
        **form.hidden,
        "scope": keep if keep is not None else form.scopes,
        "decision": decision,
    }
    resp = requests.post(sim.identity_url + "/oauth/authorize", data=data, allow_redirects=False, timeout=10)
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert location.startswith(REDIRECT)
    return parse_qs(urlsplit(location).query)


def _token(sim: RunningSim, **form: str) -> requests.Response:
    return requests.post(sim.identity_url + "/oauth/token", data=form, timeout=10)


def _exchange(sim: RunningSim, client: tuple[str, ...], code: str, verifier: str | None) -> requests.Response:
    form = {
        "grant_type": "authorization_code",
        "client_id": client[0],
        "client_secret": client[1],
        "code": code,
        "redirect_uri": REDIRECT,
    }
    if verifier:
        form["code_verifier"] = verifier
    return _token(sim, **form)


def _login(sim: RunningSim, client: tuple[str, ...], **kw: Any) -> dict[str, Any]:
    verifier, challenge = _pkce()
    query = _authorize(sim, client[0], challenge=challenge, **kw)
    resp = _exchange(sim, client, query["code"][0], verifier)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_it_shows_a_consent_page_with_the_scopes_that_exist(sim: RunningSim, creds: Any) -> None:
    _, challenge = _pkce()
    params = {
        "client_id": creds.scoped_client[0],
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": SCOPES,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page = requests.get(sim.identity_url + "/oauth/authorize", params=params, timeout=10)
    form = _Form()
    form.feed(page.text)
    assert sorted(form.scopes) == sorted(set(SCOPES.split()) - {"bogus.scope"})
    assert sim.admin_email in page.text


def test_it_redirects_with_access_denied_when_the_user_denies(sim: RunningSim, creds: Any) -> None:
    _, challenge = _pkce()
    query = _authorize(sim, creds.scoped_client[0], challenge=challenge, decision="deny")
    assert query["error"] == ["access_denied"] and query["state"] == ["st-123"] and "code" not in query


def test_it_issues_tokens_for_a_code_with_pkce(sim: RunningSim, creds: Any) -> None:
    body = _login(sim, creds.scoped_client)
    assert body["token_type"] == "bearer" and body["expires_in"] == 86400
    assert body["access_token"].startswith("pdus+_0X") and body["refresh_token"]
    assert body["scope"].split() == [
        "openid",
        "incidents.read",
        "incidents.write",
        "services.read",
        "teams.read",
        "users.read",
    ]
    me = sim.rest(bearer=body["access_token"]).get("/users/me")
    assert me.status_code == 200 and me.json()["user"]["email"] == sim.admin_email


def test_it_signs_an_id_token_naming_region_base_and_subdomain(sim: RunningSim, creds: Any) -> None:
    body = _login(sim, creds.scoped_client)
    jwks = requests.get(sim.identity_url + "/global/oauth/anonymous/jwks", timeout=10).json()
    token = jwt.decode(body["id_token"], KeySet.import_key_set(jwks))
    claims = token.claims
    assert token.header["alg"] == "RS256"
    assert claims["aud"] == [sim.base_url, creds.scoped_client[0]]
    assert claims["iss"] == sim.identity_url + "/global/oauth/anonymous"
    assert claims["subdomain"] == "acme" and claims["region"] == "UnitedStates"
    assert claims["user_id"] == claims["sub"] == sim.sim.directory.admin["id"]
    assert claims["account_id"] == sim.sim.directory.account_id and claims["exp"] > claims["iat"]
    discovery = requests.get(
        sim.identity_url + "/global/oauth/anonymous/.well-known/openid-configuration", timeout=10
    ).json()
    assert (
        discovery["jwks_uri"].endswith("/global/oauth/anonymous/jwks")
        and discovery["issuer"] == claims["iss"]
    )


def test_it_echoes_the_nonce_in_the_id_token(sim: RunningSim, creds: Any) -> None:
    body = _login(sim, creds.scoped_client, nonce="n-0S6_WzA2Mj")
    jwks = requests.get(sim.identity_url + "/global/oauth/anonymous/jwks", timeout=10).json()
    assert jwt.decode(body["id_token"], KeySet.import_key_set(jwks)).claims["nonce"] == "n-0S6_WzA2Mj"


def test_it_requires_pkce_for_scoped_clients(sim: RunningSim, creds: Any) -> None:
    query = _authorize(sim, creds.scoped_client[0], challenge=None)
    assert query["error"] == ["invalid_request"] and query["state"] == ["st-123"]


def test_it_refuses_a_wrong_code_verifier(sim: RunningSim, creds: Any) -> None:
    _, challenge = _pkce()
    query = _authorize(sim, creds.scoped_client[0], challenge=challenge)
    resp = _exchange(sim, creds.scoped_client, query["code"][0], "not-the-verifier")
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant"


def test_it_expires_codes_after_30_seconds(sim: RunningSim, creds: Any) -> None:
    verifier, challenge = _pkce()
    query = _authorize(sim, creds.scoped_client[0], challenge=challenge)
    sim.control.advance_clock(31)
    resp = _exchange(sim, creds.scoped_client, query["code"][0], verifier)
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant"


def test_it_accepts_a_code_only_once(sim: RunningSim, creds: Any) -> None:
    verifier, challenge = _pkce()
    code = _authorize(sim, creds.scoped_client[0], challenge=challenge)["code"][0]
    assert _exchange(sim, creds.scoped_client, code, verifier).status_code == 200
    assert _exchange(sim, creds.scoped_client, code, verifier).status_code == 400


def test_it_wants_the_client_secret_in_the_form_body(sim: RunningSim, creds: Any) -> None:
    verifier, challenge = _pkce()
    code = _authorize(sim, creds.scoped_client[0], challenge=challenge)["code"][0]
    resp = requests.post(
        sim.identity_url + "/oauth/token",
        auth=creds.scoped_client,
        timeout=10,
        data={
            "grant_type": "authorization_code",
            "client_id": creds.scoped_client[0],
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
    )
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_client"


def test_it_rotates_the_refresh_token(sim: RunningSim, creds: Any) -> None:
    first = _login(sim, creds.scoped_client)
    form = {
        "grant_type": "refresh_token",
        "client_id": creds.scoped_client[0],
        "client_secret": creds.scoped_client[1],
        "refresh_token": first["refresh_token"],
    }
    second = _token(sim, **form)
    assert second.status_code == 200
    body = second.json()
    assert body["refresh_token"] != first["refresh_token"] and body["scope"] == first["scope"]
    assert sim.rest(bearer=body["access_token"]).get("/users/me").status_code == 200
    reused = _token(sim, **form)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"


def test_it_expires_access_tokens(sim: RunningSim, creds: Any) -> None:
    sim.control.set_oauth_config(access_token_ttl=60)
    body = _login(sim, creds.scoped_client)
    assert body["expires_in"] == 60
    client = sim.rest(bearer=body["access_token"])
    assert client.get("/users/me").status_code == 200
    sim.control.advance_clock(61)
    resp = client.get("/users/me")
    assert resp.status_code == 401 and resp.json()["error"]["code"] == 2006


def test_it_enforces_granted_scopes_on_the_rest_side(sim: RunningSim, creds: Any) -> None:
    body = _login(sim, creds.scoped_client, keep=["users.read", "incidents.read"])
    assert body["scope"] == "openid incidents.read users.read"
    client = sim.rest(bearer=body["access_token"], from_email=sim.admin_email)
    assert client.get("/incidents").status_code == 200
    forbidden = client.get("/services")
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == 2010
    service = next(s["id"] for s in sim.store.services() if s["status"] == "active")
    create = {
        "incident": {
            "type": "incident",
            "title": "t",
            "service": {"id": service, "type": "service_reference"},
        }
    }
    assert client.post("/incidents", json=create).status_code == 403
    assert client.get("/change_events").status_code == 403


def test_it_grants_only_openid_for_scopes_that_do_not_exist(sim: RunningSim, creds: Any) -> None:
    body = _login(sim, creds.scoped_client, scope="made.up another.one")
    assert body["scope"] == "openid"
    assert sim.rest(bearer=body["access_token"]).get("/users").status_code == 403


def test_it_issues_app_tokens_for_client_credentials(sim: RunningSim, creds: Any) -> None:
    cid, secret = creds.scoped_client
    ok = _token(
        sim,
        grant_type="client_credentials",
        client_id=cid,
        client_secret=secret,
        scope="as_account-us.acme incidents.read services.read",
    )
    assert ok.status_code == 200
    body = ok.json()
    assert "refresh_token" not in body and "id_token" not in body
    assert body["scope"].split()[0] == "as_account-us.acme"
    client = sim.rest(bearer=body["access_token"])
    assert client.get("/incidents").status_code == 200
    assert isinstance(client.get("/users/me").json()["error"], str)
    for scope in (
        "incidents.read",
        "as_account-eu.acme incidents.read",
        "as_account-us.other incidents.read",
    ):
        bad = _token(sim, grant_type="client_credentials", client_id=cid, client_secret=secret, scope=scope)
        assert bad.status_code == 400 and bad.json()["error"] == "invalid_scope"


def test_it_gives_classic_clients_read_or_write(sim: RunningSim, creds: Any) -> None:
    reader = _login(sim, creds.classic_client, scope="read")
    assert reader["scope"] == "openid read" and reader["expires_in"] == 30 * 86400
    client = sim.rest(bearer=reader["access_token"], from_email=sim.admin_email)
    assert client.get("/services").status_code == 200
    service = next(s["id"] for s in sim.store.services() if s["status"] == "active")
    create = {
        "incident": {
            "type": "incident",
            "title": "t",
            "service": {"id": service, "type": "service_reference"},
        }
    }
    assert client.post("/incidents", json=create).status_code == 403
    writer = _login(sim, creds.classic_client, scope="write")
    assert (
        sim.rest(bearer=writer["access_token"], from_email=sim.admin_email)
        .post("/incidents", json=create)
        .status_code
        == 201
    )


def test_it_lets_the_user_pick_who_signs_in(sim: RunningSim, creds: Any) -> None:
    other = sim.store.users()[3]
    verifier, challenge = _pkce()
    params = {
        "client_id": creds.scoped_client[0],
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "users.read",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    page = requests.get(sim.identity_url + "/oauth/authorize", params=params, timeout=10)
    form = _Form()
    form.feed(page.text)
    data = {**form.hidden, "scope": form.scopes, "decision": "allow", "user_id": other["id"]}
    resp = requests.post(sim.identity_url + "/oauth/authorize", data=data, allow_redirects=False, timeout=10)
    code = parse_qs(urlsplit(resp.headers["Location"]).query)["code"][0]
    token = _exchange(sim, creds.scoped_client, code, verifier).json()["access_token"]
    assert sim.rest(bearer=token).get("/users/me").json()["user"]["id"] == other["id"]


def test_it_refuses_unknown_clients_without_redirecting(sim: RunningSim) -> None:
    resp = requests.get(
        sim.identity_url + "/oauth/authorize",
        timeout=10,
        allow_redirects=False,
        params={"client_id": "nobody", "redirect_uri": REDIRECT, "response_type": "code"},
    )
    assert resp.status_code == 400 and "Location" not in resp.headers


@pytest.fixture(scope="module")
def eu_sim(creds: Any) -> Iterator[RunningSim]:
    with run_pdsim(
        seed=5,
        incidents=200,
        days=60,
        region="eu",
        subdomain="euco",
        anchor=creds.anchor,
        now=creds.anchor,
        api_tokens=["eu-token"],
        oauth_clients=[creds.scoped_client],
    ) as s:
        yield s


def test_it_serves_an_eu_account_under_eu_and_refuses_the_us_base(eu_sim: RunningSim) -> None:
    assert eu_sim.base_url == eu_sim.us_url + "/eu"
    eu = eu_sim.rest("eu-token")
    me = eu.get("/users/me")
    assert me.status_code == 200
    assert me.json()["user"]["html_url"].startswith("https://euco.eu.pagerduty.com/users/")
    assert me.json()["user"]["self"].startswith(eu_sim.eu_url + "/users/")
    assert eu_sim.rest("eu-token", base_url=eu_sim.us_url).get("/users/me").status_code == 401


def test_it_names_the_eu_base_in_eu_id_tokens(eu_sim: RunningSim, creds: Any) -> None:
    body = _login(eu_sim, creds.scoped_client)
    jwks = requests.get(eu_sim.identity_url + "/global/oauth/anonymous/jwks", timeout=10).json()
    claims = jwt.decode(body["id_token"], KeySet.import_key_set(jwks)).claims
    assert (
        claims["aud"][0] == eu_sim.eu_url and claims["region"] == "Europe" and claims["subdomain"] == "euco"
    )
    assert eu_sim.rest(bearer=body["access_token"]).get("/users/me").status_code == 200
    assert (
        eu_sim.rest(bearer=body["access_token"], base_url=eu_sim.us_url).get("/users/me").status_code == 401
    )
    cc = _token(
        eu_sim,
        grant_type="client_credentials",
        client_id=creds.scoped_client[0],
        client_secret=creds.scoped_client[1],
        scope="as_account-eu.euco incidents.read",
    )
    assert cc.status_code == 200


def test_it_requires_pkce_from_public_classic_clients(sim: RunningSim) -> None:
    sim.control.add_oauth_client("public-classic", None, "classic", redirect_uris=[REDIRECT])
    assert _authorize(sim, "public-classic", scope="read")["error"] == ["invalid_request"]
    verifier, challenge = _pkce()
    code = _authorize(sim, "public-classic", scope="read", challenge=challenge)["code"][0]
    resp = _token(
        sim,
        grant_type="authorization_code",
        client_id="public-classic",
        code=code,
        redirect_uri=REDIRECT,
        code_verifier=verifier,
    )
    assert resp.status_code == 200 and resp.json()["scope"] == "openid read"


def test_it_refuses_redirect_uris_the_client_did_not_register(sim: RunningSim) -> None:
    sim.control.add_oauth_client(
        "strict-client", "s3cret", "scoped", redirect_uris=["https://vigil.example/cb"]
    )
    _, challenge = _pkce()
    resp = requests.get(
        sim.identity_url + "/oauth/authorize",
        allow_redirects=False,
        timeout=10,
        params={
            "client_id": "strict-client",
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "scope": "users.read",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    assert resp.status_code == 400 and "Location" not in resp.headers
