from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import responses

from app.integrations.pagerduty.client import PagerDutyClient
from app.integrations.pagerduty.errors import PagerDutyError, PaginationLimitError
from app.integrations.pagerduty.pagination import encode_params

BASE = "https://api.pagerduty.com"


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def client() -> PagerDutyClient:
    return PagerDutyClient(BASE, "tok", auth_kind="api_token", sleep=lambda _: None)


def query(call: Any) -> str:
    return unquote(urlsplit(call.request.url).query)


def page(collection: str, ids: list[str], *, offset: int, more: bool | None) -> dict[str, Any]:
    envelope: dict[str, Any] = {collection: [{"id": i} for i in ids], "limit": 100, "offset": offset}
    if more is not None:
        envelope["more"] = more
    return envelope


def test_it_follows_pages_until_more_is_false(api: responses.RequestsMock, client: PagerDutyClient) -> None:
    api.get(f"{BASE}/users", json=page("users", ["PA", "PB"], offset=0, more=True))
    api.get(f"{BASE}/users", json=page("users", ["PC"], offset=100, more=True))
    api.get(f"{BASE}/users", json=page("users", ["PD"], offset=200, more=False))

    users = client.list_users()

    assert [user["id"] for user in users] == ["PA", "PB", "PC", "PD"]
    assert [query(call) for call in api.calls] == [
        "limit=100&offset=0",
        "limit=100&offset=100",
        "limit=100&offset=200",
    ]


def test_it_yields_one_list_per_page(api: responses.RequestsMock, client: PagerDutyClient) -> None:
    api.get(f"{BASE}/priorities", json=page("priorities", ["P1"], offset=0, more=True))
    api.get(f"{BASE}/priorities", json=page("priorities", ["P2"], offset=100, more=False))

    pages = list(client.iter_pages("/priorities", "priorities"))

    assert pages == [[{"id": "P1"}], [{"id": "P2"}]]


def test_it_stops_when_more_is_missing(api: responses.RequestsMock, client: PagerDutyClient) -> None:
    api.get(f"{BASE}/teams", json=page("teams", ["PT"], offset=0, more=None))

    assert client.list_teams() == [{"id": "PT"}]
    assert len(api.calls) == 1


def test_it_stops_on_change_events_null_paging_fields(
    api: responses.RequestsMock, client: PagerDutyClient
) -> None:
    body = {
        "change_events": [{"id": "01BBYA6PEVW6A852BUO6QYUE7O"}],
        "limit": None,
        "offset": None,
        "total": None,
        "more": False,
    }
    api.get(f"{BASE}/change_events", json=body)
    since = datetime(2025, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=2)))

    events = list(client.list_change_events(since, datetime(2025, 3, 2, tzinfo=UTC)))

    assert events == [{"id": "01BBYA6PEVW6A852BUO6QYUE7O"}]
    assert query(api.calls[0]) == "since=2025-03-01T08:00:00Z&until=2025-03-02T00:00:00Z&limit=100&offset=0"


def test_it_refuses_to_page_past_offset_plus_limit_10000(
    api: responses.RequestsMock, client: PagerDutyClient
) -> None:
    api.get(f"{BASE}/users", json=page("users", ["PX"] * 100, offset=0, more=True))
    seen = 0

    with pytest.raises(PaginationLimitError, match="narrow") as caught:
        for items in client.iter_pages("/users", "users"):
            seen += len(items)

    assert seen == 10_000
    assert len(api.calls) == 100
    assert query(api.calls[-1]) == "limit=100&offset=9900"
    assert isinstance(caught.value, PagerDutyError)
    assert caught.value.retryable is False


def test_it_repeats_list_params_with_brackets(api: responses.RequestsMock, client: PagerDutyClient) -> None:
    api.get(f"{BASE}/incidents", json=page("incidents", [], offset=0, more=False))

    list(
        client.list_incidents(
            all_dates=True,
            statuses=["triggered", "acknowledged"],
            service_ids=["PIJ90N7", "PQ7XZ12"],
            include=["services", "first_trigger_log_entries"],
        )
    )

    assert query(api.calls[0]) == (
        "statuses[]=triggered&statuses[]=acknowledged&service_ids[]=PIJ90N7&service_ids[]=PQ7XZ12"
        "&include[]=services&include[]=first_trigger_log_entries&date_range=all&limit=100&offset=0"
    )


def test_it_sends_include_on_list_endpoints(api: responses.RequestsMock, client: PagerDutyClient) -> None:
    api.get(f"{BASE}/services", json=page("services", ["PS"], offset=0, more=False))

    client.list_services(include=["teams", "escalation_policies"])

    assert query(api.calls[0]) == "include[]=teams&include[]=escalation_policies&limit=100&offset=0"


def test_it_encodes_params_in_the_api_forms() -> None:
    pairs = encode_params(
        {
            "team_ids[]": ["PT1"],
            "is_overview": True,
            "total": False,
            "since": datetime(2025, 1, 2, 3, 4, 5, 600, tzinfo=UTC),
            "query": "db",
            "skipped": None,
            "empty": [],
        }
    )

    assert pairs == [
        ("team_ids[]", "PT1"),
        ("is_overview", "true"),
        ("total", "false"),
        ("since", "2025-01-02T03:04:05Z"),
        ("query", "db"),
    ]


def test_it_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        encode_params({"since": datetime(2025, 1, 1)})


def test_it_reports_a_page_that_is_not_json(api: responses.RequestsMock, client: PagerDutyClient) -> None:
    api.get(f"{BASE}/teams", body="<html>proxy</html>", status=200)

    with pytest.raises(PagerDutyError, match="not JSON") as caught:
        client.list_teams()

    assert caught.value.status == 200


def test_it_does_not_swallow_a_failed_page(api: responses.RequestsMock, client: PagerDutyClient) -> None:
    api.get(f"{BASE}/teams", json=page("teams", ["PT"], offset=0, more=True))
    api.get(f"{BASE}/teams", json={"error": {"message": "Missing Account Ability", "code": 2014}}, status=402)

    with pytest.raises(PagerDutyError) as caught:
        client.list_teams()

    assert (caught.value.status, caught.value.code) == (402, 2014)
    assert caught.value.retryable is False


def test_it_keeps_paging_change_events_while_pages_are_full_despite_more_false(
    api: responses.RequestsMock, client: PagerDutyClient
) -> None:
    # API-NOTES §1.3: `more` is always false on change events; a full page may still have a successor.
    def events(n: int, first: int) -> dict[str, object]:
        return {
            "change_events": [{"id": f"CE{first + i}"} for i in range(n)],
            "limit": None,
            "offset": None,
            "total": None,
            "more": False,
        }

    api.get(f"{BASE}/change_events", json=events(100, 0))
    api.get(f"{BASE}/change_events", json=events(37, 100))
    since = datetime(2025, 3, 1, tzinfo=UTC)

    found = list(client.list_change_events(since, since + timedelta(days=2)))

    assert [e["id"] for e in found] == [f"CE{i}" for i in range(137)]
    assert [query(call).rsplit("&", 2)[-1] for call in api.calls] == ["offset=0", "offset=100"]


def test_it_asks_for_change_events_a_week_at_a_time(
    api: responses.RequestsMock, client: PagerDutyClient
) -> None:
    api.get(f"{BASE}/change_events", json={"change_events": [], "more": False})
    since = datetime(2025, 3, 1, tzinfo=UTC)

    assert list(client.list_change_events(since, since + timedelta(days=20))) == []

    assert [query(call).split("&limit")[0] for call in api.calls] == [
        "since=2025-03-01T00:00:00Z&until=2025-03-08T00:00:00Z",
        "since=2025-03-08T00:00:00Z&until=2025-03-15T00:00:00Z",
        "since=2025-03-15T00:00:00Z&until=2025-03-21T00:00:00Z",
    ]
