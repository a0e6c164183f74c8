import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import requests
import responses

from app.integrations.pagerduty.client import PagerDutyClient
from app.integrations.pagerduty.errors import PaginationLimitError
from app.integrations.pagerduty.pagination import TimeWindow, split_by_months

BASE = "https://api.pagerduty.com"


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def client() -> PagerDutyClient:
    return PagerDutyClient(BASE, "tok", auth_kind="api_token", sleep=lambda _: None)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def query(call: Any) -> str:
    return unquote(urlsplit(call.request.url).query)


def window_of(request: requests.PreparedRequest) -> tuple[str, str]:
    params = parse_qs(urlsplit(request.url).query)
    return params["since"][0], params["until"][0]


def envelope(ids: list[str], *, total: int | None, more: bool = False) -> dict[str, Any]:
    return {"incidents": [{"id": i} for i in ids], "limit": 100, "offset": 0, "more": more, "total": total}


def test_it_splits_13_months_into_windows_of_at_most_6_months(
    api: responses.RequestsMock, client: PagerDutyClient
) -> None:
    api.get(f"{BASE}/incidents", json=envelope(["PA"], total=1))

    pages = list(client.iter_incident_pages(utc(2024, 1, 1), utc(2025, 2, 1), {"statuses": ["resolved"]}))

    assert [query(call) for call in api.calls] == [
        "statuses[]=resolved&since=2024-01-01T00:00:00Z&until=2024-07-01T00:00:00Z&time_zone=UTC"
        "&limit=100&offset=0&total=true",
        "statuses[]=resolved&since=2024-07-01T00:00:00Z&until=2025-01-01T00:00:00Z&time_zone=UTC"
        "&limit=100&offset=0&total=true",
        "statuses[]=resolved&since=2025-01-01T00:00:00Z&until=2025-02-01T00:00:00Z&time_zone=UTC"
        "&limit=100&offset=0&total=true",
    ]
    assert [page.window for page in pages] == [
        TimeWindow(utc(2024, 1, 1), utc(2024, 7, 1)),
        TimeWindow(utc(2024, 7, 1), utc(2025, 1, 1)),
        TimeWindow(utc(2025, 1, 1), utc(2025, 2, 1)),
    ]
    assert all(page.last_in_window for page in pages)


def test_it_clamps_windows_to_the_end_of_short_months() -> None:
    windows = split_by_months(utc(2024, 8, 31, 6, 30), utc(2025, 9, 1))

    assert windows == [
        TimeWindow(utc(2024, 8, 31, 6, 30), utc(2025, 2, 28, 6, 30)),
        TimeWindow(utc(2025, 2, 28, 6, 30), utc(2025, 8, 28, 6, 30)),
        TimeWindow(utc(2025, 8, 28, 6, 30), utc(2025, 9, 1)),
    ]


def test_it_widens_sub_second_bounds_to_whole_seconds() -> None:
    windows = split_by_months(utc(2025, 1, 1, 0, 0, 0, 900), utc(2025, 1, 2, 0, 0, 0, 1))

    assert windows == [TimeWindow(utc(2025, 1, 1), utc(2025, 1, 2, 0, 0, 1))]


def test_it_rejects_since_after_until() -> None:
    with pytest.raises(ValueError, match="after"):
        split_by_months(utc(2025, 2, 1), utc(2025, 1, 1))


def test_it_bisects_a_window_with_more_than_10000_results(
    api: responses.RequestsMock, client: PagerDutyClient
) -> None:
    totals = {
        ("2025-01-01T00:00:00Z", "2025-01-03T00:00:00Z"): 15_000,
        ("2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z"): 10_001,
        ("2025-01-01T00:00:00Z", "2025-01-01T12:00:00Z"): 6_000,
        ("2025-01-01T12:00:00Z", "2025-01-02T00:00:00Z"): 4_001,
        ("2025-01-02T00:00:00Z", "2025-01-03T00:00:00Z"): 5_000,
    }

    def reply(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        window = window_of(request)
        return 200, {}, json.dumps(envelope([window[0]], total=totals[window]))

    api.add_callback(responses.GET, f"{BASE}/incidents", callback=reply)

    pages = list(client.iter_incident_pages(utc(2025, 1, 1), utc(2025, 1, 3)))

    assert [window_of(call.request) for call in api.calls] == list(totals)
    assert [str(page.window) for page in pages] == [
        "[2025-01-01T00:00:00Z, 2025-01-01T12:00:00Z)",
        "[2025-01-01T12:00:00Z, 2025-01-02T00:00:00Z)",
        "[2025-01-02T00:00:00Z, 2025-01-03T00:00:00Z)",
    ]
    assert [page.items for page in pages] == [
        [{"id": "2025-01-01T00:00:00Z"}],
        [{"id": "2025-01-01T12:00:00Z"}],
        [{"id": "2025-01-02T00:00:00Z"}],
    ]


def test_it_keeps_a_window_of_exactly_10000_whole(
    api: responses.RequestsMock, client: PagerDutyClient
) -> None:
    api.get(f"{BASE}/incidents", json=envelope(["PA"], total=10_000))

    pages = list(client.iter_incident_pages(utc(2025, 1, 1), utc(2025, 1, 2)))

    assert len(api.calls) == 1
    assert pages[0].window == TimeWindow(utc(2025, 1, 1), utc(2025, 1, 2))


def test_it_asks_total_only_on_the_first_page_of_a_window(
    api: responses.RequestsMock, client: PagerDutyClient
) -> None:
    api.get(f"{BASE}/incidents", json=envelope(["PA"], total=150, more=True))
    api.get(f"{BASE}/incidents", json=envelope(["PB"], total=None, more=False))

    pages = list(client.iter_incident_pages(utc(2025, 1, 1), utc(2025, 1, 2)))

    assert [query(call) for call in api.calls] == [
        "since=2025-01-01T00:00:00Z&until=2025-01-02T00:00:00Z&time_zone=UTC&limit=100&offset=0&total=true",
        "since=2025-01-01T00:00:00Z&until=2025-01-02T00:00:00Z&time_zone=UTC&limit=100&offset=100",
    ]
    assert [(page.items, page.last_in_window) for page in pages] == [
        ([{"id": "PA"}], False),
        ([{"id": "PB"}], True),
    ]


def test_it_yields_an_empty_window_so_it_can_be_checkpointed(
    api: responses.RequestsMock, client: PagerDutyClient
) -> None:
    api.get(f"{BASE}/incidents", json=envelope([], total=0))

    pages = list(client.iter_incident_pages(utc(2025, 1, 1), utc(2025, 1, 2)))

    assert [(page.items, page.last_in_window) for page in pages] == [([], True)]


def test_it_raises_when_a_window_cannot_be_split_further(
    api: responses.RequestsMock, client: PagerDutyClient
) -> None:
    api.get(f"{BASE}/incidents", json=envelope([], total=20_000))

    with pytest.raises(PaginationLimitError, match="cannot be split"):
        list(client.iter_incident_pages(utc(2025, 1, 1), utc(2025, 1, 1, 0, 0, 1)))


def test_it_flattens_windowed_incidents(api: responses.RequestsMock, client: PagerDutyClient) -> None:
    api.get(f"{BASE}/incidents", json=envelope(["PA", "PB"], total=2))

    incidents = list(
        client.list_incidents(since=utc(2025, 1, 1), until=utc(2025, 1, 2), include=["services"])
    )

    assert incidents == [{"id": "PA"}, {"id": "PB"}]
    assert query(api.calls[0]) == (
        "include[]=services&since=2025-01-01T00:00:00Z&until=2025-01-02T00:00:00Z&time_zone=UTC"
        "&limit=100&offset=0&total=true"
    )


def test_it_requires_a_window_or_all_dates_for_incidents(client: PagerDutyClient) -> None:
    with pytest.raises(ValueError, match="all_dates"):
        client.list_incidents(statuses=["triggered"])


def test_it_walks_account_wide_log_entries_in_windows(
    api: responses.RequestsMock, client: PagerDutyClient
) -> None:
    body = {"log_entries": [{"id": "Q02JTSNZWHSEKV"}], "limit": 100, "offset": 0, "more": False, "total": 1}
    api.get(f"{BASE}/log_entries", json=body)

    pages = client.iter_log_entry_pages(utc(2025, 1, 1), utc(2025, 1, 2), ["incidents"])
    entries = [entry for page in pages for entry in page.items]

    assert entries == [{"id": "Q02JTSNZWHSEKV"}]
    assert query(api.calls[0]) == (
        "include[]=incidents&since=2025-01-01T00:00:00Z&until=2025-01-02T00:00:00Z&time_zone=UTC"
        "&limit=100&offset=0&total=true"
    )
