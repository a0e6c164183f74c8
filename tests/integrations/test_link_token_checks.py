"""Checking a pasted token at the client seam (`responses`): exact requests, and one message per failure."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests
import responses
from flask import Flask

from app.integrations.pagerduty import link
from app.integrations.pagerduty.errors import PagerDutyError
from app.integrations.pagerduty.link import LinkError, check_token, clean_token, explain, subdomain_of

US = "https://api.test"
EU = "https://api.eu.test"
TOKEN = "y_NbAkKc66ryYTWUXYEu"
ME = {
    "user": {
        "id": "PXPGF42",
        "email": "bot@acme.test",
        "role": "user",
        "html_url": "https://acme.pagerduty.com/users/PXPGF42",
    }
}
INVALID = {"error": {"message": "Authentication failed", "code": 2006}}
ACCOUNT_LEVEL = {
    "error": "Because this request was made using an account-level access token, we were unable to determine "
    "the user's identity. Please use a user-level token."
}


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"pagerduty_api_url": US, "pagerduty_eu_api_url": EU}


@pytest.fixture
def api(app: Flask) -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


def refused(raw: str, region: str | None = None) -> str:
    with pytest.raises(LinkError) as caught:
        check_token(raw, region)
    return str(caught.value)


def test_it_calls_users_me_with_the_exact_headers(api: responses.RequestsMock) -> None:
    api.get(f"{US}/users/me", json=ME)

    checked = check_token(f"  {TOKEN}\t\n", None)

    assert (checked.token, checked.region, checked.user["email"]) == (TOKEN, "us", "bot@acme.test")
    headers = api.calls[0].request.headers
    assert headers["Authorization"] == f"Token token={TOKEN}"
    assert headers["Accept"] == "application/vnd.pagerduty+json;version=2"
    assert "From" not in headers
    assert TOKEN not in repr(checked)


def test_it_tries_eu_after_a_us_401_when_detecting(api: responses.RequestsMock) -> None:
    api.get(f"{US}/users/me", json=INVALID, status=401)
    api.get(f"{EU}/users/me", json=ME)

    assert check_token(TOKEN, None).region == "eu"


def test_it_names_the_other_region_when_the_chosen_one_refuses(api: responses.RequestsMock) -> None:
    api.get(f"{US}/users/me", json=INVALID, status=401)
    api.get(f"{EU}/users/me", json=ME)

    assert refused(TOKEN, "us") == link.wrong_region("eu")
    assert "EU service region. Choose EU" in link.wrong_region("eu")


def test_it_calls_a_token_refused_in_both_regions_invalid(api: responses.RequestsMock) -> None:
    api.get(f"{EU}/users/me", json=INVALID, status=401)
    api.get(f"{US}/users/me", json=INVALID, status=401)

    assert refused(TOKEN, "eu") == link.INVALID


def test_it_recognises_an_account_level_token(api: responses.RequestsMock) -> None:
    api.get(f"{US}/users/me", json=ACCOUNT_LEVEL, status=400)

    assert refused(TOKEN) == link.ACCOUNT_TOKEN
    assert "My Profile → User Settings → Create API User Token" in link.ACCOUNT_TOKEN


def test_it_recognises_an_account_level_token_of_the_other_region(api: responses.RequestsMock) -> None:
    api.get(f"{US}/users/me", json=INVALID, status=401)
    api.get(f"{EU}/users/me", json=ACCOUNT_LEVEL, status=400)

    assert refused(TOKEN, "us") == link.ACCOUNT_TOKEN


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("0123456789abcdef0123456789ABCDEF", link.INTEGRATION_KEY),
        ("R0123456789abcdef0123456789abcdef", None),
        ("abc def", link.SPACES_INSIDE),
        ("abc\ndef", link.SPACES_INSIDE),
        ("tökén_123", link.ODD_CHARACTERS),
        ("abc\u200bdef", link.ODD_CHARACTERS),
        ("", link.EMPTY),
        (" \n", link.EMPTY),
    ],
)
def test_it_refuses_what_cannot_be_a_user_token_without_asking_pagerduty(
    raw: str, message: str | None
) -> None:
    if message is None:
        assert clean_token(raw) == raw
        return
    with pytest.raises(LinkError) as caught:
        clean_token(raw)
    assert str(caught.value) == message


def test_it_says_when_pagerduty_cannot_be_reached(api: responses.RequestsMock) -> None:
    api.get(f"{US}/users/me", body=requests.ConnectionError("refused"))
    api.get(f"{US}/users/me", body=requests.ConnectionError("refused"))

    assert refused(TOKEN, "us") == link.UNREACHABLE.format(url=US)


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (429, {"error": {"message": "Rate Limit Exceeded", "code": 2020}}, link.RATE_LIMITED),
        (503, {}, link.SERVER_ERROR.format(status=503)),
        (402, {"error": {"message": "Missing Account Ability", "code": 2014}}, link.NO_API),
        (
            403,
            {"error": {"message": "Access Denied", "code": 2010}},
            link.FORBIDDEN.format(message="Access Denied"),
        ),
        (
            404,
            {"error": {"message": "Not Found", "code": 2100}},
            "PagerDuty refused this token (HTTP 404: Not Found).",
        ),
    ],
)
def test_it_explains_other_answers(status: int, body: dict[str, object], expected: str) -> None:
    error = PagerDutyError.from_http(status, json.dumps(body))

    assert explain(error, US) == expected


@pytest.mark.parametrize(
    ("url", "subdomain"),
    [
        ("https://acme.pagerduty.com/users/P1", "acme"),
        ("https://acme-eu.eu.pagerduty.com/users/P1", "acme-eu"),
        (None, None),
        ("", None),
    ],
)
def test_it_reads_the_subdomain_from_html_url(url: str | None, subdomain: str | None) -> None:
    assert subdomain_of(url) == subdomain
