"""Computed analytics, kept until the workspace's data changes.

Each open dashboard refreshes each panel every minute, colleagues open the same view, scripts poll the API,
and each answer is an exact computation over the synced rows (BENCHMARKS.md). So an answer is kept, keyed on
the question (what is computed, the window, the filters, the settings), on a digest of this package's code
(answers pickled by another release are never read) and on the workspace's *data version*: a random token that
every write the metrics read replaces in its own transaction (`data_changed`, called only by changes.py). A
new token makes older answers unreachable, so an answer is never older than the data committed when it was
asked for. Entries expire after `VIGIL_ANALYTICS_CACHE_SECONDS` (0 turns the cache off) whatever happens.

The store is Redis when REDIS_URL is set (values pickled, as RQ pickles its jobs in the same Redis), else this
process's memory. A store that fails is logged and bypassed. Two askers that miss at once both compute
(cheaper than making a request wait); after a sync the warm-up job (jobs.py) computes the presets first.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import pickle
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TypeVar, cast

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import select, update

from app.extensions import db
from app.models import Workspace
from app.queue import redis_connection

log = logging.getLogger(__name__)

T = TypeVar("T")
_PREFIX = "vigil:analytics:"
_MEMORY_ENTRIES = 512


def data_changed(workspace_id: int) -> None:
    """Call in the transaction of any write that can change a metric of the workspace; its commit then
    retires every kept answer."""
    db.session.execute(
        update(Workspace).where(Workspace.id == workspace_id).values(data_version=uuid.uuid4().hex)
    )


def data_version(workspace_id: int) -> str | None:
    return db.session.scalar(select(Workspace.data_version).where(Workspace.id == workspace_id))


def remember(workspace_id: int, question: Hashable, compute: Callable[[], T]) -> T:
    """`compute()`'s answer to `question` for the workspace's current data, computed once per data version
    (per process without Redis). `question` must name everything the answer depends on besides the data: a
    tuple of plain values, frozen dataclasses included (their repr is the key)."""
    key = _key(workspace_id, question)
    if key is None:
        return compute()
    store = _store()
    kept = _load(store.get(key))
    if kept is not None:
        return cast(T, kept)
    answer = compute()
    store.set(key, pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL), _seconds())
    return answer


def peek(workspace_id: int, question: Hashable) -> object | None:
    """The kept answer to `question` for the current data, or None: never computes."""
    key = _key(workspace_id, question)
    return None if key is None else _load(_store().get(key))


def _load(kept: bytes | None) -> object | None:
    """The kept value, or None: nothing kept (an answer of None is computed again), or bytes that no longer
    load (logged; computed anew)."""
    if kept is None:
        return None
    try:
        return pickle.loads(kept)  # our own values, in our own Redis (as RQ's jobs are)
    except Exception as exc:  # a damaged entry is a miss, never a failed page
        log.warning("analytics cache entry unreadable, computing instead: %s", exc)
        return None


def _seconds() -> int:
    return int(current_app.config["VIGIL"].analytics_cache_seconds)


def _key(workspace_id: int, question: Hashable) -> str | None:
    version = data_version(workspace_id) if _seconds() > 0 else None
    if version is None:
        return None
    asked = hashlib.sha256(f"{_code_version()}:{question!r}".encode()).hexdigest()[:40]
    return f"{_PREFIX}{workspace_id}:{version}:{asked}"


@functools.cache
def _code_version() -> str:
    """A digest of the analytics code: answers pickled by another release (an upgrade, a rolling deploy)."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


class _RedisStore:
    def get(self, key: str) -> bytes | None:
        try:
            value = redis_connection().get(key)
        except RedisError as exc:
            log.warning("analytics cache unavailable, computing instead: %s", exc)
            return None
        return value if isinstance(value, bytes) else None

    def set(self, key: str, value: bytes, seconds: int) -> None:
        try:
            redis_connection().set(key, value, ex=seconds)
        except RedisError as exc:
            log.warning("analytics cache unavailable, answer not kept: %s", exc)


class _MemoryStore:
    """Least recently used entries go first; expired ones are dropped when met."""

    def __init__(self, entries: int = _MEMORY_ENTRIES) -> None:
        self._entries = entries
        self._kept: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            kept = self._kept.get(key)
            if kept is None:
                return None
            if kept[0] <= time.monotonic():
                del self._kept[key]
                return None
            self._kept.move_to_end(key)
            return kept[1]

    def set(self, key: str, value: bytes, seconds: int) -> None:
        with self._lock:
            self._kept[key] = (time.monotonic() + seconds, value)
            self._kept.move_to_end(key)
            while len(self._kept) > self._entries:
                self._kept.popitem(last=False)


def _store() -> _RedisStore | _MemoryStore:
    if current_app.config["VIGIL"].redis_url is not None:
        return _RedisStore()
    return current_app.extensions.setdefault("vigil_analytics_cache", _MemoryStore())
