import logging
from collections.abc import Iterator

import pytest
import requests
import responses

from app.integrations.pagerduty.client import PagerDutyClient
from app.integrations.pagerduty.errors import PagerDutyError

BASE = "https://api.pagerduty.com"
OLD_TOKEN = "pdus+_0XBPWQQ_old-secret"
NEW_TOKEN = "pdus+_0XBPWQQ_new-secret"


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


def test_it_never_logs_the_token(api: responses.RequestsMock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    api.get(
        f"{BASE}/users/me", json={"error": {"message": "Authentication failed", "code": 2006}}, status=401
    )
    api.get(f"{BASE}/users/me", status=503)
    api.get(f"{BASE}/users/me", status=429, headers={"ratelimit-reset": "1"})
    api.get(f"{BASE}/users/me", body=requests.ConnectionError("Connection reset by peer"))
    api.get(
        f"{BASE}/users/me", json={"error": {"message": "Authentication failed", "code": 2006}}, status=401
    )
    client = PagerDutyClient(
        BASE,
        OLD_TOKEN,
        auth_kind="oauth",
        refresh_token=lambda: NEW_TOKEN,
        sleep=lambda _: None,
        jitter=lambda cap: cap,
        max_attempts=5,
    )

    with pytest.raises(PagerDutyError) as caught:
        client.get_current_user()

    assert len(api.calls) == 5
    assert caplog.records, "the retries should have been logged"
    for record in caplog.records:
        for token in (OLD_TOKEN, NEW_TOKEN):
            assert token not in record.getMessage()
            assert token not in repr(record.args)
    assert OLD_TOKEN not in str(caught.value) and NEW_TOKEN not in str(caught.value)
    assert OLD_TOKEN not in repr(client)
