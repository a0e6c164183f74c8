from collections.abc import Iterator
from typing import Any

import pytest
import responses

from app.integrations.pagerduty.client import PagerDutyClient

BASE = "https://api.pagerduty.com"
TOKEN = "u+Ab_3x-9ZQ"
ACCEPT = "application/vnd.pagerduty+json;version=2"


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


def make_client(**options: Any) -> PagerDutyClient:
    settings: dict[str, Any] = {"auth_kind": "api_token", "from_email": "oncall@example.com"}
    return PagerDutyClient(BASE, TOKEN, **{**settings, **options})


def test_it_sends_the_token_form_and_v2_accept_on_reads(api: responses.RequestsMock) -> None:
    api.get(f"{BASE}/abilities", json={"abilities": ["teams"]})

    assert make_client().get("/abilities") == {"abilities": ["teams"]}

    headers = api.calls[0].request.headers
    assert headers["Authorization"] == f"Token token={TOKEN}"
    assert headers["Accept"] == ACCEPT
    assert headers["User-Agent"] == "Vigil/0.1"
    assert "From" not in headers
    assert "Content-Type" not in headers


def test_it_sends_a_bearer_token_for_oauth(api: responses.RequestsMock) -> None:
    api.get(f"{BASE}/abilities", json={"abilities": []})

    make_client(auth_kind="oauth", user_agent="Vigil/test").get("/abilities")

    headers = api.calls[0].request.headers
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["Accept"] == ACCEPT
    assert headers["User-Agent"] == "Vigil/test"


@pytest.mark.parametrize("auth_kind", ["api_token", "oauth"])
def test_it_sends_from_and_content_type_on_writes(api: responses.RequestsMock, auth_kind: str) -> None:
    api.put(f"{BASE}/incidents/PT4KHLK", json={"incident": {"id": "PT4KHLK", "status": "resolved"}})

    make_client(auth_kind=auth_kind).resolve_incident("PT4KHLK")

    headers = api.calls[0].request.headers
    assert headers["From"] == "oncall@example.com"
    assert headers["Content-Type"] == "application/json"
    assert headers["Accept"] == ACCEPT


def test_it_sends_from_without_content_type_on_a_bodyless_delete(api: responses.RequestsMock) -> None:
    api.delete(f"{BASE}/webhook_subscriptions/PY1OXA4", status=204)

    make_client().delete_webhook_subscription("PY1OXA4")

    headers = api.calls[0].request.headers
    assert headers["From"] == "oncall@example.com"
    assert "Content-Type" not in headers


def test_it_refuses_a_write_without_from_email(api: responses.RequestsMock) -> None:
    client = make_client(from_email=None)

    with pytest.raises(ValueError, match="from_email"):
        client.resolve_incident("PT4KHLK")

    assert len(api.calls) == 0


def test_it_sets_explicit_timeouts_on_every_call(api: responses.RequestsMock) -> None:
    api.get(f"{BASE}/abilities", json={"abilities": []})

    make_client(timeout=(2.5, 12)).get("/abilities")

    assert api.calls[0].request.req_kwargs["timeout"] == (2.5, 12)


def test_it_strips_a_trailing_slash_from_the_base_url(api: responses.RequestsMock) -> None:
    api.get("https://api.eu.pagerduty.com/abilities", json={"abilities": []})

    PagerDutyClient("https://api.eu.pagerduty.com/", TOKEN, auth_kind="api_token").get("/abilities")

    assert api.calls[0].request.url == "https://api.eu.pagerduty.com/abilities"


def test_it_keeps_the_token_out_of_repr() -> None:
    assert TOKEN not in repr(make_client())


def test_it_rejects_an_unknown_auth_kind() -> None:
    with pytest.raises(ValueError, match="auth_kind"):
        make_client(auth_kind="basic")
