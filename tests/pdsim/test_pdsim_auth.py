"""Authentication and authorisation (API-NOTES §5.1, §8.2)."""

from __future__ import annotations

from typing import Any

from pdsim.testing import RestSession, RunningSim


def test_it_accepts_an_api_token_in_the_token_scheme(api: RestSession) -> None:
    resp = api.get("/users/me")
    assert resp.status_code == 200
    assert resp.json()["user"]["role"] == "admin"


def test_it_answers_401_with_code_2006_without_credentials(sim: RunningSim) -> None:
    resp = sim.rest().get("/incidents")
    assert resp.status_code == 401
    assert resp.json() == {"error": {"message": "Authentication failed", "code": 2006}}


def test_it_answers_401_for_an_unknown_token(sim: RunningSim) -> None:
    assert sim.rest("nope").get("/users").status_code == 401


def test_it_refuses_an_api_token_sent_as_bearer(sim: RunningSim, creds: Any) -> None:
    assert sim.rest(bearer=creds.user_token).get("/users").status_code == 401


def test_it_refuses_a_loosely_formatted_token_header(sim: RunningSim, creds: Any) -> None:
    for header in (
        f"Token {creds.user_token}",
        f'Token token="{creds.user_token}"',
        f"token token={creds.user_token}",
    ):
        assert sim.rest().get("/users", headers={"Authorization": header}).status_code == 401


def test_it_answers_users_me_with_a_string_error_for_an_account_token(account_api: RestSession) -> None:
    resp = account_api.get("/users/me")
    assert resp.status_code == 400
    error = resp.json()["error"]
    assert isinstance(error, str) and "account-level access token" in error


def test_it_lets_an_account_token_read_everything_else(account_api: RestSession) -> None:
    assert account_api.get("/users").status_code == 200
    assert account_api.get("/incidents").status_code == 200


def test_it_answers_401_once_a_token_is_revoked(sim: RunningSim) -> None:
    sim.control.add_token("short-lived", "user")
    client = sim.rest("short-lived")
    assert client.get("/users/me").status_code == 200
    sim.control.revoke_token("short-lived")
    assert client.get("/users/me").status_code == 401


def test_it_forbids_writes_with_a_read_only_key(sim: RunningSim) -> None:
    sim.control.add_token("ro-key", "account", read_only=True)
    client = sim.rest("ro-key", from_email=sim.admin_email)
    assert client.get("/incidents").status_code == 200
    service = client.get("/services").json()["services"][0]["id"]
    resp = client.post(
        "/incidents",
        json={
            "incident": {
                "type": "incident",
                "title": "x",
                "service": {"id": service, "type": "service_reference"},
            }
        },
    )
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == 2010


def test_it_acts_as_the_user_a_user_token_belongs_to(sim: RunningSim) -> None:
    other = sim.store.users()[5]
    sim.control.add_token("other-user", "user", user_id=other["id"])
    assert sim.rest("other-user").get("/users/me").json()["user"]["email"] == other["email"]


def test_it_answers_401_on_the_region_the_account_does_not_live_in(sim: RunningSim, creds: Any) -> None:
    resp = sim.rest(creds.user_token, base_url=sim.eu_url).get("/users/me")
    assert resp.status_code == 401
    assert resp.json()["error"]["code"] == 2006
    assert sim.rest(creds.account_token, base_url=sim.eu_url).get("/services").status_code == 401
