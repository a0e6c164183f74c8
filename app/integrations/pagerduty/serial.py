"""One request at a time per PagerDuty token, across every worker and process.

PagerDuty asks for serial requests per token (API-NOTES §4). A sync, alert deliveries, the directory refresh
and the alert form's lookups can all act as the same account at once, each in its own worker, so the turn is a
Redis lock held around each request only: backoff sleeps and database work happen outside it, and a delivery
waits for at most one of a backfill's requests, never for the backfill.
"""

from __future__ import annotations

import logging
from typing import Any

import requests
from flask import current_app
from redis import Redis
from redis.exceptions import LockError, RedisError

from app.queue import redis_connection

log = logging.getLogger(__name__)

# A request holds the turn at most this long: what a worker killed mid-request can block. PagerDuty answers in
# well under a second; a request slower than this still finishes, it just no longer keeps others waiting.
HOLD_SECONDS = 10.0
# Longer than a hold, so a turn left by a dead worker runs out before anyone waiting gives up; past it, the
# request is treated as a network error (and retried as one).
TURN_WAIT_MARGIN = 5.0


def queue_connection() -> Redis | None:
    """The queue's Redis, where the turns are kept; None when no queue is configured."""
    return redis_connection() if current_app.config["VIGIL"].redis_url is not None else None


class SerialSession(requests.Session):
    """A requests Session whose every request first takes `account_id`'s turn.

    Without a queue (no Redis configured) there is no other worker to wait for, and requests go as they
    come. A forked process (the sync's download) may use a copy: redis-py opens its own connections there.
    """

    def __init__(
        self, account_id: int | None, connection: Redis | None, *, hold_seconds: float = HOLD_SECONDS
    ) -> None:
        super().__init__()
        self.key = f"vigil:pd-token:{account_id}"
        self.connection = connection
        self.hold_seconds = hold_seconds

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if self.connection is None:
            return super().request(method, url, *args, **kwargs)
        lock = self.connection.lock(
            self.key, timeout=self.hold_seconds, blocking_timeout=self.hold_seconds + TURN_WAIT_MARGIN
        )
        try:
            acquired = lock.acquire()
        except RedisError as exc:
            # The turn is a courtesy to PagerDuty; a page or a sync is worth more: go without it.
            log.warning("cannot take the turn on %s (%s): sending without it", self.key, exc)
            return super().request(method, url, *args, **kwargs)
        if not acquired:
            # Seen by the transport as a network error: retried with backoff like one.
            raise requests.ConnectionError("another worker held this PagerDuty token's turn too long")
        try:
            return super().request(method, url, *args, **kwargs)
        finally:
            try:
                lock.release()
            except LockError:  # held past its timeout: the next holder already has it, nothing to undo
                log.warning("the turn on %s expired during a request", self.key)
            except RedisError as exc:  # the lock's timeout frees the turn
                log.warning("cannot give back the turn on %s: %s", self.key, exc)
