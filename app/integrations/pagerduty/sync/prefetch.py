"""Download the next pages while this one is written: an iterator advanced ahead of its caller on a thread.

Only the helper advances the source, one item at a time and never more than `ahead` items past what the
caller has taken, so there is still exactly one request in flight per token (PagerDuty asks for serial
requests, API-NOTES §4) and the same requests are made as without it. The caller's thread owns the database
session; work the helper needs done there (an OAuth refresh writes the account row and commits) is handed
over with `on_owner` and runs when the caller asks for its next item, i.e. between two pages.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_ITEM, _END, _ERROR, _CALL = "item", "end", "error", "call"


class Cancelled(Exception):
    """The caller stopped iterating while the helper was waiting on it."""


class Prefetch(Generic[T]):
    def __init__(self, source: Iterator[T], ahead: int = 1) -> None:
        if ahead < 1:
            raise ValueError("a prefetch holds at least one item ahead")
        self._source = source
        self._owner = threading.get_ident()
        self._inbox: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        # Released when the caller takes an item; the helper acquires it after each item it hands over, so
        # at most `ahead` items wait for the caller (and none is fetched past them).
        self._taken = threading.Semaphore(ahead - 1)
        self._stopping = threading.Event()
        self._finished = False
        self._thread = threading.Thread(target=self._run, name="sync-prefetch", daemon=True)

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        if self._finished:
            raise StopIteration
        while True:
            kind, payload = self._inbox.get()
            if kind == _CALL:
                payload()
                continue
            if kind == _ITEM:
                self._taken.release()  # the helper may fetch one more while the caller works on this one
                return payload  # type: ignore[no-any-return]
            self._finished = True
            if kind == _ERROR:
                raise payload
            raise StopIteration

    def on_owner(self, call: Callable[[], R]) -> R:
        """Run `call` on the caller's thread (at once when already on it) and return its result."""
        if threading.get_ident() == self._owner:
            return call()
        done = threading.Event()
        outcome: dict[str, Any] = {}

        def task() -> None:
            try:
                outcome["value"] = call()
            except BaseException as exc:  # handed back to the helper, which raises it as its own
                outcome["error"] = exc
            done.set()

        self._inbox.put((_CALL, task))
        while not done.wait(0.1):
            if self._stopping.is_set():
                raise Cancelled("the sync stopped before it could run this")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]  # type: ignore[no-any-return]

    def close(self) -> None:
        """Stop the helper and wait for its request in flight, so nothing runs on after the caller."""
        self._stopping.set()
        self._taken.release()
        self._thread.join()
        self._finished = True

    def __enter__(self) -> Prefetch[T]:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        try:
            for item in self._source:
                self._inbox.put((_ITEM, item))
                self._taken.acquire()
                if self._stopping.is_set():
                    return
            self._inbox.put((_END, None))
        except BaseException as exc:  # the caller raises it where it asks for the next page
            self._inbox.put((_ERROR, exc))
        finally:
            close = getattr(self._source, "close", None)
            if close is not None:
                close()
