"""The client reads proxies and a CA bundle from the environment once, for PagerDuty's host."""

from collections.abc import Iterator

import pytest
import responses

from app.integrations.pagerduty.client import PagerDutyClient

BASE = "https://api.pagerduty.com"


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        mock.get(f"{BASE}/abilities", json={"abilities": []})
        yield mock


def _client() -> PagerDutyClient:
    return PagerDutyClient(BASE, "u+token", auth_kind="api_token")


def test_it_sends_every_request_through_the_proxy_the_environment_named(
    api: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/corporate.pem")
    client = _client()
    monkeypatch.setenv("HTTPS_PROXY", "http://elsewhere.internal:3128")  # read once, when the client was made

    client.get("/abilities")
    client.get("/abilities")

    for call in api.calls:
        assert call.request.req_kwargs["proxies"] == {"https": "http://proxy.internal:3128"}  # type: ignore[attr-defined]
        assert call.request.req_kwargs["verify"] == "/etc/ssl/corporate.pem"  # type: ignore[attr-defined]


def test_it_goes_direct_when_no_proxy_names_pagerduty(
    api: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", ".pagerduty.com")

    _client().get("/abilities")

    assert "https" not in api.calls[0].request.req_kwargs["proxies"]  # type: ignore[attr-defined]
