"""The PagerDuty client's base: headers, timeouts, retries, rate limits, OAuth refresh (§: API-NOTES.md)."""

from __future__ import annotations

import json
import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

import orjson
import requests

from .errors import PagerDutyError
from .pagination import QueryPairs

logger = logging.getLogger(__name__)

AuthKind = Literal["api_token", "oauth"]

# §0: without this header the API version would be taken from the token.
ACCEPT = "application/vnd.pagerduty+json;version=2"
_BACKOFF_BASE_SECONDS = 1.0
_BACKOFF_CAP_SECONDS = 60.0
_NETWORK_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
FULL_JITTER = partial(random.uniform, 0)  # cap -> a backoff in [0, cap]


@dataclass
class ClientStats:
    """What a sync run reports: requests made, 429s seen, retries and time spent waiting."""

    requests: int = 0
    rate_limited: int = 0
    retries: int = 0
    waited_seconds: float = 0.0


class Transport:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        auth_kind: AuthKind,
        from_email: str | None = None,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (5, 30),
        max_attempts: int = 4,
        max_inline_wait: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[float], float] = FULL_JITTER,
        refresh_token: Callable[[], str] | None = None,
        user_agent: str = "Vigil/0.1",
    ) -> None:
        """`jitter(cap)` picks a backoff in [0, cap]; `refresh_token()` returns a fresh OAuth access token."""
        if auth_kind not in ("api_token", "oauth"):
            raise ValueError(f"auth_kind must be 'api_token' or 'oauth', not {auth_kind!r}")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.base_url = base_url.rstrip("/")
        self.auth_kind = auth_kind
        self._token = token
        self._from_email = from_email
        # requests reads the environment (proxies, no_proxy, a CA bundle, ~/.netrc) again for every request
        # of a session that trusts it, on the download that is a backfill's critical path. Every request goes
        # to one host, so the environment is read once, for that host, and the answer passed with each
        # request. (A ~/.netrc entry is not read: it would replace the token's Authorization header.)
        self._environment: dict[str, Any] = {}
        session = session or requests.Session()
        if session.trust_env:
            found = session.merge_environment_settings(self.base_url, {}, None, None, None)
            self._environment = {"proxies": found["proxies"], "verify": found["verify"]}
            session.trust_env = False
        self._session = session
        self._timeout = timeout
        self._max_attempts = max_attempts
        # A longer wait is not slept: the error goes up with retry_after so an RQ job re-enqueues itself (§4).
        self._max_inline_wait = max_inline_wait
        self._sleep = sleep
        self._jitter = jitter
        # Public so a caller fetching on a helper thread can route the refresh back to its own thread.
        self.refresh_token = refresh_token
        self._user_agent = user_agent
        self.stats = ClientStats()

    def __repr__(self) -> str:
        # The token stays out of reprs, which end up in tracebacks and logs.
        return f"{type(self).__name__}({self.base_url!r}, auth_kind={self.auth_kind!r})"

    def get_json(self, path: str, query: QueryPairs) -> dict[str, Any]:
        document = _json_body(self.request("GET", path, query, None))
        if document is None:
            raise PagerDutyError("empty response to a GET", status=204, request=f"GET {path}")
        return document

    def write(self, method: str, path: str, body: dict[str, Any] | None) -> dict[str, Any] | None:
        return _json_body(self.request(method, path, [], body))

    def request(
        self, method: str, path: str, query: QueryPairs, body: dict[str, Any] | None
    ) -> requests.Response:
        if method != "GET" and not self._from_email:
            # §2.10, §2.11: writes need `From` (an account-level token has no user of its own).
            raise ValueError(f"{method} {path} needs from_email: PagerDuty requires a From header on writes")
        attempt, refreshed = 1, False
        while True:
            outcome = self._attempt(method, path, query, body, attempt)
            if isinstance(outcome, requests.Response):
                return outcome
            # §5.3: an expired OAuth access token answers 401.
            expired = outcome.status == 401 and self.auth_kind == "oauth"
            if self.refresh_token is not None and expired and not refreshed:
                logger.info("PagerDuty answered 401; refreshing the OAuth access token once")
                refreshed = True
                self._token = self.refresh_token()
                self.stats.retries += 1
                continue
            self._wait_or_raise(outcome, attempt)
            attempt += 1

    def _attempt(
        self, method: str, path: str, query: QueryPairs, body: dict[str, Any] | None, attempt: int
    ) -> requests.Response | PagerDutyError:
        self.stats.requests += 1
        # §0, §5.1, §5.3: API tokens use `Token token=`, OAuth access tokens `Bearer`.
        scheme = "Bearer " if self.auth_kind == "oauth" else "Token token="
        headers = {"Accept": ACCEPT, "Authorization": scheme + self._token, "User-Agent": self._user_agent}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if method != "GET" and self._from_email:
            headers["From"] = self._from_email
        try:
            response = self._session.request(
                method,
                self.base_url + path,
                params=query,
                data=None if body is None else json.dumps(body).encode("utf-8"),
                headers=headers,
                timeout=self._timeout,
                **self._environment,
            )
        except _NETWORK_ERRORS as exc:
            logger.debug("PagerDuty %s %s failed without a response (attempt %d)", method, path, attempt)
            return PagerDutyError.from_network(exc, request=f"{method} {path}")
        logger.debug("PagerDuty %s %s -> %d (attempt %d)", method, path, response.status_code, attempt)
        if response.ok:
            return response
        if response.status_code == 429:
            self.stats.rate_limited += 1
        return PagerDutyError.from_http(
            response.status_code,
            response.text,
            retry_after=_ratelimit_reset(response),
            request=f"{method} {path}",
        )

    def use_token(self, token: str) -> None:
        self._token = token

    def drop_connections(self) -> None:
        """Close pooled connections: a download process shared them and may have left one mid-response."""
        self._session.close()  # a closed Session opens new connections when used again

    def _wait_or_raise(self, error: PagerDutyError, attempt: int) -> None:
        if not error.retryable or attempt >= self._max_attempts:
            raise error
        # §4: on 429 wait `ratelimit-reset` seconds; a 429 may come without it, then back off like a 5xx.
        if error.is_rate_limited and error.retry_after is not None:
            delay = error.retry_after
        else:
            delay = self._jitter(min(_BACKOFF_CAP_SECONDS, _BACKOFF_BASE_SECONDS * 2 ** (attempt - 1)))
        if delay > self._max_inline_wait:
            error.retry_after = delay
            raise error
        logger.warning(
            "PagerDuty %s; retrying in %.1fs (attempt %d of %d)",
            error,
            delay,
            attempt + 1,
            self._max_attempts,
        )
        self.stats.retries += 1
        self.stats.waited_seconds += delay
        self._sleep(delay)


def _ratelimit_reset(response: requests.Response) -> float | None:
    # §4: `ratelimit-reset` is seconds until the window resets, not an epoch.
    try:
        seconds = float(response.headers["ratelimit-reset"])
    except (KeyError, ValueError):
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _json_body(response: requests.Response) -> dict[str, Any] | None:
    if response.status_code == 204 or not response.content:
        return None
    request = f"{response.request.method} {response.request.path_url}"
    try:
        # orjson rather than response.json(): about twice as fast, on the download that is a backfill's
        # critical path. PagerDuty sends UTF-8 JSON (RFC 8259), which is all orjson reads; its
        # JSONDecodeError is a ValueError.
        document = orjson.loads(response.content)
    except ValueError:
        raise PagerDutyError("response is not JSON", status=response.status_code, request=request) from None
    if not isinstance(document, dict):
        raise PagerDutyError("response is not a JSON object", status=response.status_code, request=request)
    return document
