"""Who is alive right now: worker heartbeats and the scheduler's last tick, kept in Redis for /healthz.

RQ's own worker records only expire minutes after a worker dies (their TTL covers a whole job, since a
SimpleWorker cannot beat while it runs one), so a SIGKILLed worker would still be counted. Each Vigil worker
therefore beats every few seconds from a thread, including while a long job runs, into one sorted set; a
worker is alive while its last beat is recent.
"""

from __future__ import annotations

import ctypes
import logging
import signal
import threading
import time

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

WORKERS_KEY = "vigil:live-workers"
TICK_KEY = "vigil:scheduler:last-tick"
BEAT_SECONDS = 5.0
# Three missed beats: a worker is dead, not merely slow to get its turn on a busy machine.
ALIVE_SECONDS = 3 * BEAT_SECONDS
# Entries of workers gone this long are dropped, so the set does not grow with every restart.
FORGET_SECONDS = 3600


def beat(conn: Redis, worker_name: str, now: float | None = None) -> None:
    at = time.time() if now is None else now
    with conn.pipeline() as pipe:
        pipe.zadd(WORKERS_KEY, {worker_name: at})
        pipe.zremrangebyscore(WORKERS_KEY, "-inf", at - FORGET_SECONDS)
        pipe.execute()


def live_workers(conn: Redis, now: float) -> set[str]:
    return {name.decode() for name in conn.zrangebyscore(WORKERS_KEY, now - ALIVE_SECONDS, "+inf")}


def is_alive(conn: Redis, worker_name: str) -> bool:
    score = conn.zscore(WORKERS_KEY, worker_name)
    return score is not None and score >= time.time() - ALIVE_SECONDS


def record_tick(conn: Redis, now: float | None = None) -> None:
    conn.set(TICK_KEY, repr(time.time() if now is None else now))


def last_tick(conn: Redis) -> float | None:
    raw = conn.get(TICK_KEY)
    return float(raw) if raw is not None else None


class Heartbeat:
    """A daemon thread beating for one worker name until stopped; a Redis outage only pauses the beats."""

    def __init__(self, conn: Redis, worker_name: str) -> None:
        self.conn = conn
        self.worker_name = worker_name
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"heartbeat-{worker_name}", daemon=True)

    def start(self) -> Heartbeat:
        # The first beat before any job is taken: a job this worker starts is never taken for a dead one's.
        beat(self.conn, self.worker_name)
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self.stopped.wait(BEAT_SECONDS):
            try:
                beat(self.conn, self.worker_name)
            except RedisError as exc:
                log.warning("worker %s: heartbeat not recorded (%s)", self.worker_name, exc)

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=BEAT_SECONDS)
        try:
            self.conn.zrem(WORKERS_KEY, self.worker_name)
        except RedisError as exc:
            # Its last beat ages out of the live set on its own within ALIVE_SECONDS.
            log.warning("worker %s: could not remove its heartbeat (%s)", self.worker_name, exc)


def die_with_parent() -> bool:
    """Linux: this process gets SIGTERM when its parent dies, even by SIGKILL, so no orphan keeps running.

    False where there is no prctl (macOS): a platform difference, not a failure. Nothing is logged, since
    this also runs between fork and exec (the launcher's children), where taking a logging lock can hang.
    """
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        return False
    return True
