from collections.abc import Iterator

import pytest
import requests
import responses

from app.integrations.pagerduty.client import PagerDutyClient
from app.integrations.pagerduty.errors import (
    PagerDutyError,
    is_already_resolved_error,
    is_duplicate_key_error,
    parse_error_body,
)

BASE = "https://api.pagerduty.com"
ACCOUNT_TOKEN_ERROR = (
    "Because this request was made using an account-level access token, we were unable to determine the "
    "user's identity. Please use a user-level token."
)


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


def test_it_reads_the_error_envelope() -> None:
    body = '{"error": {"message": "Invalid Input Provided", "code": 2001, "errors": [" is invalid."]}}'

    err = PagerDutyError.from_http(400, body, request="GET /incidents")

    assert (err.status, err.code, err.message, err.errors) == (
        400,
        2001,
        "Invalid Input Provided",
        [" is invalid."],
    )
    assert err.retryable is False
    assert str(err) == "GET /incidents: HTTP 400, code 2001: Invalid Input Provided ( is invalid.)"


def test_it_reads_the_string_form_of_users_me_with_an_account_token(api: responses.RequestsMock) -> None:
    api.get(f"{BASE}/users/me", json={"error": ACCOUNT_TOKEN_ERROR}, status=400)
    client = PagerDutyClient(BASE, "acct", auth_kind="api_token")

    with pytest.raises(PagerDutyError) as caught:
        client.get_current_user()

    assert caught.value.status == 400
    assert caught.value.code is None
    assert caught.value.message == ACCOUNT_TOKEN_ERROR
    assert caught.value.errors == []
    assert caught.value.retryable is False
    assert len(api.calls) == 1


def test_it_keeps_a_short_non_json_body_as_the_message() -> None:
    err = PagerDutyError.from_http(502, "<html>\n  Bad gateway\n</html>")

    assert (err.message, err.code, err.retryable) == ("<html> Bad gateway </html>", None, True)


def test_it_truncates_a_long_non_json_body() -> None:
    message, _, _ = parse_error_body("x" * 1000)

    assert message == "x" * 200 + "…"


def test_it_falls_back_to_the_status_phrase_for_an_empty_body() -> None:
    err = PagerDutyError.from_http(429, "")

    assert err.message == "Too Many Requests"
    assert str(err) == "HTTP 429: Too Many Requests"


def test_it_tolerates_odd_envelopes() -> None:
    assert parse_error_body('{"error": {"code": "2100"}}') == ("", 2100, [])
    assert parse_error_body('{"error": {"message": "x", "errors": "not a list"}}') == ("x", None, [])
    assert parse_error_body("[1, 2]") == ("[1, 2]", None, [])


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_it_marks_transient_statuses_retryable(status: int) -> None:
    assert PagerDutyError.from_http(status, "").retryable is True


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 413])
def test_it_marks_permanent_statuses_not_retryable(status: int) -> None:
    assert PagerDutyError.from_http(status, "").retryable is False


@pytest.mark.parametrize(("status", "auth"), [(401, True), (403, True), (400, False), (404, False)])
def test_it_flags_auth_failures(status: int, auth: bool) -> None:
    assert PagerDutyError.from_http(status, "").is_auth_failure is auth


def test_it_flags_rate_limits() -> None:
    assert PagerDutyError.from_http(429, "", retry_after=20).is_rate_limited
    assert not PagerDutyError.from_http(503, "").is_rate_limited


def test_it_describes_a_network_error_without_status() -> None:
    err = PagerDutyError.from_network(requests.ConnectionError("refused"), request="GET /users/me")

    assert (err.status, err.retryable, err.is_auth_failure) == (None, True, False)
    assert str(err) == "GET /users/me: no response: ConnectionError: refused"


def test_it_recognises_a_duplicate_incident_key() -> None:
    body = (
        '{"error": {"message": "Arguments Caused Error", "code": 2002,'
        ' "errors": ["Open incident with matching dedup key already exists on this service"]}}'
    )

    assert is_duplicate_key_error(PagerDutyError.from_http(400, body))
    assert not is_duplicate_key_error(PagerDutyError.from_http(400, '{"error": {"code": 2001}}'))
    assert not is_duplicate_key_error(PagerDutyError.from_http(500, '{"error": {"code": 2002}}'))


def test_it_recognises_an_already_resolved_incident() -> None:
    body = '{"error": {"message": "Incident Already Resolved", "code": 1001}}'

    assert is_already_resolved_error(PagerDutyError.from_http(400, body))
    assert not is_already_resolved_error(PagerDutyError.from_http(400, '{"error": {"code": 1002}}'))
