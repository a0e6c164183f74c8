"""One sync per account at a time, with a lock that frees itself if its worker dies.

A Redis key with a TTL, refreshed at every commit of a run (about once a second while pages flow): a worker
killed mid-run holds it at most `ttl` seconds more, then the next run takes over from the last checkpoint.
"""

from __future__ import annotations

import secrets

from redis import Redis

_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
_REFRESH = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) end return 0"
)


class LockLost(RuntimeError):
    """Another run took the account over (this one stalled past the lock's TTL): stop writing."""


class SyncLock:
    def __init__(self, connection: Redis, account_id: int, ttl: int) -> None:
        self.connection = connection
        self.key = f"vigil:sync-lock:{account_id}"
        self.ttl = ttl
        self.token = secrets.token_hex(16)

    def acquire(self) -> bool:
        return bool(self.connection.set(self.key, self.token, nx=True, ex=self.ttl))

    def refresh(self) -> None:
        if not self.connection.eval(_REFRESH, 1, self.key, self.token, self.ttl):
            raise LockLost(f"sync lock {self.key} was lost")

    def release(self) -> None:
        self.connection.eval(_RELEASE, 1, self.key, self.token)

    def held_by_anyone(self) -> bool:
        return bool(self.connection.exists(self.key))
