from collections.abc import Iterator

import pytest
import responses

from app.integrations.pagerduty.client import PagerDutyClient
from app.integrations.pagerduty.errors import PagerDutyError

BASE = "https://api.pagerduty.com"
URL = f"{BASE}/users/me"
EXPIRED = {"error": {"message": "Authentication failed", "code": 2006}}
ME = {"user": {"id": "PXPGF42", "email": "ana@example.com"}}


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


class TokenSource:
    def __init__(self, *tokens: str) -> None:
        self.tokens = list(tokens)
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        return self.tokens.pop(0)


def test_it_refreshes_once_on_401_and_retries_with_the_new_bearer(api: responses.RequestsMock) -> None:
    api.get(URL, json=EXPIRED, status=401)
    api.get(URL, json=ME)
    refresh = TokenSource("pdus+_new")
    client = PagerDutyClient(BASE, "pdus+_old", auth_kind="oauth", refresh_token=refresh)

    assert client.get_current_user() == ME["user"]

    assert refresh.calls == 1
    assert [call.request.headers["Authorization"] for call in api.calls] == [
        "Bearer pdus+_old",
        "Bearer pdus+_new",
    ]
    assert (client.stats.requests, client.stats.retries) == (2, 1)


def test_it_keeps_using_the_refreshed_token(api: responses.RequestsMock) -> None:
    api.get(URL, json=EXPIRED, status=401)
    api.get(URL, json=ME)
    client = PagerDutyClient(BASE, "pdus+_old", auth_kind="oauth", refresh_token=TokenSource("pdus+_new"))

    client.get_current_user()
    client.get_current_user()

    assert api.calls[2].request.headers["Authorization"] == "Bearer pdus+_new"


def test_it_fails_when_the_refreshed_token_is_refused_too(api: responses.RequestsMock) -> None:
    api.get(URL, json=EXPIRED, status=401)
    refresh = TokenSource("pdus+_new", "pdus+_newer")
    client = PagerDutyClient(BASE, "pdus+_old", auth_kind="oauth", refresh_token=refresh)

    with pytest.raises(PagerDutyError) as caught:
        client.get_current_user()

    assert caught.value.status == 401
    assert caught.value.is_auth_failure
    assert caught.value.retryable is False
    assert refresh.calls == 1
    assert len(api.calls) == 2


def test_it_does_not_refresh_on_403(api: responses.RequestsMock) -> None:
    api.get(URL, json={"error": {"message": "Access Denied", "code": 2010}}, status=403)
    refresh = TokenSource("pdus+_new")
    client = PagerDutyClient(BASE, "pdus+_old", auth_kind="oauth", refresh_token=refresh)

    with pytest.raises(PagerDutyError) as caught:
        client.get_current_user()

    assert caught.value.status == 403
    assert refresh.calls == 0


def test_it_fails_on_401_without_a_refresh_callback(api: responses.RequestsMock) -> None:
    api.get(URL, json=EXPIRED, status=401)
    client = PagerDutyClient(BASE, "pdus+_old", auth_kind="oauth")

    with pytest.raises(PagerDutyError) as caught:
        client.get_current_user()

    assert (caught.value.status, caught.value.code) == (401, 2006)
    assert len(api.calls) == 1


def test_it_never_refreshes_an_api_token(api: responses.RequestsMock) -> None:
    api.get(URL, json=EXPIRED, status=401)
    refresh = TokenSource("unused")
    client = PagerDutyClient(BASE, "u+key", auth_kind="api_token", refresh_token=refresh)

    with pytest.raises(PagerDutyError):
        client.get_current_user()

    assert refresh.calls == 0
    assert len(api.calls) == 1
