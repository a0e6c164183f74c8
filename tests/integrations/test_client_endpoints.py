import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import responses

from app.integrations.pagerduty.client import PagerDutyClient

BASE = "https://api.pagerduty.com"


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def client() -> PagerDutyClient:
    return PagerDutyClient(BASE, "tok", auth_kind="api_token", from_email="admin@example.com")


def listing(collection: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {collection: items, "limit": 100, "offset": 0, "more": False, "total": None}


def query(call: Any) -> str:
    return unquote(urlsplit(call.request.url).query)


def test_it_gets_the_current_user(api: responses.RequestsMock, client: PagerDutyClient) -> None:
    api.get(f"{BASE}/users/me", json={"user": {"id": "PXPGF42", "email": "ana@example.com"}})

    assert client.get_current_user(include=["teams"]) == {"id": "PXPGF42", "email": "ana@example.com"}
    assert query(api.calls[0]) == "include[]=teams"


@pytest.mark.parametrize(
    ("method", "path", "collection"),
    [
        ("list_users", "/users", "users"),
        ("list_services", "/services", "services"),
        ("list_teams", "/teams", "teams"),
        ("list_priorities", "/priorities", "priorities"),
        ("list_escalation_policies", "/escalation_policies", "escalation_policies"),
    ],
)
def test_it_lists_account_collections(
    api: responses.RequestsMock, client: PagerDutyClient, method: str, path: str, collection: str
) -> None:
    api.get(f"{BASE}{path}", json=listing(collection, [{"id": "P1"}]))

    assert getattr(client, method)() == [{"id": "P1"}]
    assert query(api.calls[0]) == "limit=100&offset=0"


def test_it_gets_a_service(api: responses.RequestsMock, client: PagerDutyClient) -> None:
    api.get(f"{BASE}/services/PIJ90N7", json={"service": {"id": "PIJ90N7", "name": "checkout"}})

    assert client.get_service("PIJ90N7") == {"id": "PIJ90N7", "name": "checkout"}


def test_it_creates_a_webhook_subscription_and_returns_its_secret(
    api: responses.RequestsMock, client: PagerDutyClient
) -> None:
    created = {
        "id": "PY1OXA4",
        "delivery_method": {
            "type": "http_delivery_method",
            "url": "https://vigil.example/hooks/pd",
            "secret": "s3",
        },
    }
    api.post(f"{BASE}/webhook_subscriptions", json={"webhook_subscription": created})

    subscription = client.create_webhook_subscription(
        "https://vigil.example/hooks/pd",
        ["incident.triggered", "incident.resolved"],
        {"type": "account_reference"},
        "Vigil",
    )

    assert subscription["delivery_method"]["secret"] == "s3"
    assert json.loads(api.calls[0].request.body) == {
        "webhook_subscription": {
            "type": "webhook_subscription",
            "delivery_method": {"type": "http_delivery_method", "url": "https://vigil.example/hooks/pd"},
            "events": ["incident.triggered", "incident.resolved"],
            "filter": {"type": "account_reference"},
            "description": "Vigil",
            "active": True,
        }
    }


def test_it_deletes_a_webhook_subscription(api: responses.RequestsMock, client: PagerDutyClient) -> None:
    api.delete(f"{BASE}/webhook_subscriptions/PY1OXA4", status=204)

    assert client.delete_webhook_subscription("PY1OXA4") is None
    assert api.calls[0].request.method == "DELETE"


def test_it_offers_a_generic_get_for_other_endpoints(
    api: responses.RequestsMock, client: PagerDutyClient
) -> None:
    api.get(f"{BASE}/oncalls", json={"oncalls": []})

    assert client.get("/oncalls", {"escalation_policy_ids": ["PEP1"]}) == {"oncalls": []}
    assert query(api.calls[0]) == "escalation_policy_ids[]=PEP1"
