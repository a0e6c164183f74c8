"""The one error type for anything that goes wrong talking to PagerDuty (§: shared/pagerduty/API-NOTES.md)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

# API-NOTES §3: 408 "retry", 429 rate limited, 5xx transient. 400/401/402/403/404/413 will not get better.
_RETRYABLE_STATUSES = frozenset({408, 429})
_AUTH_FAILURE_STATUSES = frozenset({401, 403})
_MAX_BODY_IN_MESSAGE = 200

# API-NOTES §3 error codes that callers act on.
CODE_INCIDENT_ALREADY_RESOLVED = 1001
CODE_ARGUMENTS_CAUSED_ERROR = 2002


class PagerDutyError(Exception):
    """A failed PagerDuty call. `status` is None when no HTTP response came back (network error, timeout)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: int | None = None,
        errors: Sequence[str] = (),
        retryable: bool = False,
        retry_after: float | None = None,
        request: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.errors = list(errors)
        self.retryable = retryable
        self.retry_after = retry_after
        self.request = request

    @classmethod
    def from_http(
        cls, status: int, body: str, *, retry_after: float | None = None, request: str | None = None
    ) -> PagerDutyError:
        message, code, errors = parse_error_body(body)
        return cls(
            message or _status_phrase(status),
            status=status,
            code=code,
            errors=errors,
            retryable=status in _RETRYABLE_STATUSES or status >= 500,
            retry_after=retry_after,
            request=request,
        )

    @classmethod
    def from_network(cls, exc: Exception, *, request: str | None = None) -> PagerDutyError:
        return cls(f"{type(exc).__name__}: {exc}", retryable=True, request=request)

    @property
    def is_auth_failure(self) -> bool:
        return self.status in _AUTH_FAILURE_STATUSES

    @property
    def is_rate_limited(self) -> bool:
        return self.status == 429

    def __str__(self) -> str:
        where = f"{self.request}: " if self.request else ""
        status = f"HTTP {self.status}" if self.status is not None else "no response"
        code = f", code {self.code}" if self.code is not None else ""
        details = f" ({'; '.join(self.errors)})" if self.errors else ""
        return f"{where}{status}{code}: {self.message}{details}"


class PaginationLimitError(PagerDutyError):
    """Paging would pass offset+limit 10,000 (API-NOTES §1.1): narrow the filter or the time window."""


def is_duplicate_key_error(err: PagerDutyError) -> bool:
    """POST /incidents refused because an open incident on the service has the same incident_key.

    API-NOTES §2.10: 400 with code 2002. 2002 is PagerDuty's generic "Arguments Caused Error", so a caller
    that adopts the open incident must still cope with the lookup finding none.
    """
    return err.status == 400 and err.code == CODE_ARGUMENTS_CAUSED_ERROR


def is_already_resolved_error(err: PagerDutyError) -> bool:
    # API-NOTES §2.11: the outcome of re-resolving is undocumented; code 1001 means exactly this.
    return err.code == CODE_INCIDENT_ALREADY_RESOLVED


def parse_error_body(body: str) -> tuple[str, int | None, list[str]]:
    """Return (message, code, errors) from an error body; message is "" when the body says nothing useful."""
    try:
        document: Any = json.loads(body) if body else None
    except ValueError:
        return _snippet(body), None, []
    error = document.get("error") if isinstance(document, dict) else None
    # API-NOTES §2.1: GET /users/me with an account-level token answers {"error": "<sentence>"}.
    if isinstance(error, str):
        return error, None, []
    if isinstance(error, dict):
        errors = error.get("errors")
        strings = [str(item) for item in errors] if isinstance(errors, list) else []
        return str(error.get("message") or ""), _as_int(error.get("code")), strings
    return _snippet(body), None, []


def _as_int(value: object) -> int | None:
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _snippet(body: str) -> str:
    text = " ".join(body.split())
    return text if len(text) <= _MAX_BODY_IN_MESSAGE else text[:_MAX_BODY_IN_MESSAGE] + "…"


def _status_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unexpected response"
