"""One request at a time per PagerDuty token (API-NOTES §4), across every worker and process that acts as the
same account: a request first takes the token's *turn*, a Redis key holding the taker's id.

A delivery takes the turn for one request. A sync keeps it for a short slice of back-to-back requests
(`slice_seconds`), because two Redis round trips around each slowed a backfill measurably (BENCHMARKS.md);
anyone waiting flags so, and the sync steps aside at the slice's end. A page waits for at most a slice and one
request, never for a backfill.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

import requests
from flask import current_app
from redis import Redis
from redis.exceptions import RedisError

from app.queue import redis_connection

log = logging.getLogger(__name__)

# A turn lasts at most this long without being given back: what a worker killed mid-request can block.
# PagerDuty answers in well under a second; a slower request still finishes, it just stops keeping others out.
HOLD_SECONDS = 10.0
# Longer than a hold, so a turn left by a dead worker runs out before anyone waiting gives up; past it, the
# request is treated as a network error (and retried as one).
TURN_WAIT_MARGIN = 5.0
# How often someone waiting asks again, and how long a slice holder steps aside when someone waits.
POLL_SECONDS = 0.02
STEP_ASIDE_SECONDS = 0.05

# KEYS: turn, wanted. ARGV: taker id, hold ms, wanted ms. The taker's own turn counts as free: a forked copy
# of a session (the sync's download) carries on with its parent's turn.
_TAKE = """
local holder = redis.call('get', KEYS[1])
if not holder or holder == ARGV[1] then
  redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
redis.call('set', KEYS[2], '1', 'PX', ARGV[3])
return 0
"""
# KEYS: turn, wanted. ARGV: taker id. Returns whether someone is waiting.
_GIVE_BACK = """
if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('del', KEYS[1]) end
return redis.call('exists', KEYS[2])
"""


def queue_connection() -> Redis | None:
    """The queue's Redis, where the turns are kept; None when no queue is configured."""
    return redis_connection() if current_app.config["VIGIL"].redis_url is not None else None


class SerialSession(requests.Session):
    """A requests Session whose every request is made in `account_id`'s turn (without Redis, as they come).
    `close()` gives back a turn still held (the sync closes its client after each stream)."""

    def __init__(
        self,
        account_id: int | None,
        connection: Redis | None,
        *,
        hold_seconds: float = HOLD_SECONDS,
        slice_seconds: float = 0.0,
    ) -> None:
        super().__init__()
        self.key = f"vigil:pd-token:{account_id}"
        self.connection = connection
        self.hold_seconds = hold_seconds
        self.slice_seconds = slice_seconds
        self._taker = uuid.uuid4().hex
        self._since: float | None = None  # when this holder last took the turn
        self._take = connection.register_script(_TAKE) if connection is not None else None
        self._give = connection.register_script(_GIVE_BACK) if connection is not None else None

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if self.connection is None:
            return super().request(method, url, *args, **kwargs)
        try:
            self._take_turn()
        except RedisError as exc:
            # The turn is a courtesy to PagerDuty; a page or a sync is worth more: go without it.
            log.warning("cannot take the turn on %s (%s): sending without it", self.key, exc)
            return super().request(method, url, *args, **kwargs)
        try:
            return super().request(method, url, *args, **kwargs)
        finally:
            if self._since is not None and time.monotonic() - self._since >= self.slice_seconds:
                self._give_back(step_aside=self.slice_seconds > 0)

    def close(self) -> None:
        if self.connection is not None:
            self._give_back(step_aside=False)
        super().close()

    def _take_turn(self) -> None:
        assert self._take is not None
        now = time.monotonic()
        if self._since is not None and now - self._since < self.slice_seconds:
            return  # within this holder's slice (its turn lasts far longer than a slice)
        keys = [self.key, f"{self.key}:wanted"]
        args = [self._taker, int(self.hold_seconds * 1000), int((POLL_SECONDS * 5 + 1) * 1000)]
        deadline = now + self.hold_seconds + TURN_WAIT_MARGIN
        while not self._take(keys=keys, args=args):
            if time.monotonic() > deadline:
                # Seen by the transport as a network error: retried with backoff like one.
                raise requests.ConnectionError("another worker held this PagerDuty token's turn too long")
            time.sleep(POLL_SECONDS)
        self._since = time.monotonic()

    def _give_back(self, *, step_aside: bool) -> None:
        assert self._give is not None
        self._since = None
        try:
            waiting = self._give(keys=[self.key, f"{self.key}:wanted"], args=[self._taker])
        except RedisError as exc:  # the turn's own expiry frees it
            log.warning("cannot give back the turn on %s: %s", self.key, exc)
            return
        if waiting and step_aside:
            time.sleep(STEP_ASIDE_SECONDS)  # long enough for a waiter's next ask to find the turn free
