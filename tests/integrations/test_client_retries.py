from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses

from app.integrations.pagerduty.client import PagerDutyClient
from app.integrations.pagerduty.errors import PagerDutyError

BASE = "https://api.pagerduty.com"
URL = f"{BASE}/abilities"
OK = {"abilities": ["teams"]}
RATE_LIMITED = {"error": {"message": "Rate Limit Exceeded", "code": 2020}}


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def sleeps() -> list[float]:
    return []


def make_client(sleeps: list[float], **options: Any) -> PagerDutyClient:
    # jitter returns its cap, so backoff is deterministic: 1, 2, 4 … seconds.
    settings: dict[str, Any] = {"auth_kind": "api_token", "sleep": sleeps.append, "jitter": lambda cap: cap}
    return PagerDutyClient(BASE, "tok", **{**settings, **options})


@pytest.mark.parametrize("status", [500, 502, 503, 408])
def test_it_retries_transient_statuses_then_succeeds(
    api: responses.RequestsMock, sleeps: list[float], status: int
) -> None:
    api.get(URL, json={"error": {"message": "Internal error", "code": 2000}}, status=status)
    api.get(URL, json={"error": {"message": "Internal error", "code": 2000}}, status=status)
    api.get(URL, json=OK)
    client = make_client(sleeps)

    assert client.get("/abilities") == OK

    assert len(api.calls) == 3
    assert sleeps == [1.0, 2.0]


def test_it_gives_up_after_max_attempts_with_a_retryable_error(
    api: responses.RequestsMock, sleeps: list[float]
) -> None:
    api.get(URL, body="upstream connect error", status=503)
    client = make_client(sleeps)

    with pytest.raises(PagerDutyError) as caught:
        client.get("/abilities")

    assert caught.value.status == 503
    assert caught.value.retryable is True
    assert caught.value.retry_after is None
    assert len(api.calls) == 4
    assert sleeps == [1.0, 2.0, 4.0]


def test_it_draws_backoff_with_full_jitter(api: responses.RequestsMock, sleeps: list[float]) -> None:
    api.get(URL, status=500)
    api.get(URL, status=500)
    api.get(URL, json=OK)
    caps: list[float] = []

    def half_of(cap: float) -> float:
        caps.append(cap)
        return cap / 2

    make_client(sleeps, jitter=half_of).get("/abilities")

    assert caps == [1.0, 2.0]
    assert sleeps == [0.5, 1.0]


def test_it_waits_ratelimit_reset_seconds_on_429(api: responses.RequestsMock, sleeps: list[float]) -> None:
    headers = {"ratelimit-limit": "960", "ratelimit-remaining": "0", "ratelimit-reset": "2"}
    api.get(URL, json=RATE_LIMITED, status=429, headers=headers)
    api.get(URL, json=OK)
    client = make_client(sleeps)

    assert client.get("/abilities") == OK

    assert sleeps == [2.0]
    assert (client.stats.requests, client.stats.rate_limited, client.stats.retries) == (2, 1, 1)
    assert client.stats.waited_seconds == 2.0


def test_it_backs_off_on_429_without_headers_or_body(
    api: responses.RequestsMock, sleeps: list[float]
) -> None:
    api.get(URL, status=429)
    api.get(URL, status=429)
    api.get(URL, json=OK)

    assert make_client(sleeps).get("/abilities") == OK

    assert sleeps == [1.0, 2.0]


def test_it_raises_instead_of_sleeping_past_max_inline_wait(
    api: responses.RequestsMock, sleeps: list[float]
) -> None:
    api.get(URL, json=RATE_LIMITED, status=429, headers={"ratelimit-reset": "60"})
    client = make_client(sleeps, max_inline_wait=10.0)

    with pytest.raises(PagerDutyError) as caught:
        client.get("/abilities")

    assert caught.value.is_rate_limited
    assert caught.value.retryable is True
    assert caught.value.retry_after == 60.0
    assert caught.value.code == 2020
    assert sleeps == []
    assert len(api.calls) == 1


def test_it_keeps_ratelimit_reset_when_429_attempts_run_out(
    api: responses.RequestsMock, sleeps: list[float]
) -> None:
    api.get(URL, json=RATE_LIMITED, status=429, headers={"ratelimit-reset": "3"})
    client = make_client(sleeps, max_attempts=2)

    with pytest.raises(PagerDutyError) as caught:
        client.get("/abilities")

    assert (caught.value.retryable, caught.value.retry_after) == (True, 3.0)
    assert sleeps == [3.0]
    assert client.stats.rate_limited == 2


def test_it_ignores_a_malformed_ratelimit_reset(api: responses.RequestsMock, sleeps: list[float]) -> None:
    api.get(URL, status=429, headers={"ratelimit-reset": "soon"})
    api.get(URL, json=OK)

    make_client(sleeps).get("/abilities")

    assert sleeps == [1.0]


@pytest.mark.parametrize(
    "failure",
    [
        requests.ConnectionError("Connection refused"),
        requests.ConnectTimeout("connect timed out"),
        requests.ReadTimeout("read timed out"),
    ],
)
def test_it_retries_network_errors_and_timeouts(
    api: responses.RequestsMock, sleeps: list[float], failure: Exception
) -> None:
    api.get(URL, body=failure)
    api.get(URL, json=OK)
    client = make_client(sleeps)

    assert client.get("/abilities") == OK

    assert sleeps == [1.0]
    assert (client.stats.requests, client.stats.retries) == (2, 1)


def test_it_raises_a_network_error_without_status_when_attempts_run_out(
    api: responses.RequestsMock, sleeps: list[float]
) -> None:
    api.get(URL, body=requests.ReadTimeout("read timed out"))

    with pytest.raises(PagerDutyError) as caught:
        make_client(sleeps, max_attempts=2).get("/abilities")

    assert caught.value.status is None
    assert caught.value.retryable is True
    assert "ReadTimeout" in str(caught.value)
    assert sleeps == [1.0]


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 413])
def test_it_does_not_retry_permanent_errors(
    api: responses.RequestsMock, sleeps: list[float], status: int
) -> None:
    api.get(URL, json={"error": {"message": "No", "code": 2001}}, status=status)
    client = make_client(sleeps)

    with pytest.raises(PagerDutyError) as caught:
        client.get("/abilities")

    assert caught.value.status == status
    assert caught.value.retryable is False
    assert len(api.calls) == 1
    assert sleeps == []


def test_it_raises_a_backoff_longer_than_max_inline_wait(
    api: responses.RequestsMock, sleeps: list[float]
) -> None:
    api.get(URL, status=500)
    api.get(URL, status=500)

    with pytest.raises(PagerDutyError) as caught:
        make_client(sleeps, max_inline_wait=1.5).get("/abilities")

    assert (caught.value.status, caught.value.retry_after) == (500, 2.0)
    assert sleeps == [1.0]


def test_it_counts_requests_429s_retries_and_waits(api: responses.RequestsMock, sleeps: list[float]) -> None:
    api.get(URL, status=502)
    api.get(URL, status=429, headers={"ratelimit-reset": "5"})
    api.get(URL, json=OK)
    api.get(URL, json=OK)
    client = make_client(sleeps)

    client.get("/abilities")
    client.get("/abilities")

    assert client.stats.requests == 4
    assert client.stats.rate_limited == 1
    assert client.stats.retries == 2
    assert client.stats.waited_seconds == 6.0
