"""Download the next pages while this one is written: an iterator advanced ahead of its caller by a thread.

Only the thread advances the source, one item at a time and never more than `ahead` items past what the
caller has taken, so there is still exactly one request in flight per token (PagerDuty asks for serial
requests, API-NOTES §4) and the same requests are made as without it. The thread never touches the database:
the caller's thread owns the session and writes every page. Work the download needs done there is handed over
with `on_owner` and runs when the caller asks for its next item, between two pages. An OAuth refresh is such
work: it locks the account row and commits, and the caller's open transaction holds a key-share lock on that
row through the rows it wrote, so the refresh could not run beside it.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_ITEM, _END, _ERROR, _CALL = "item", "end", "error", "call"


class Stopped(Exception):
    """The caller stopped taking items while the download waited for it to run something."""


class Prefetch(Generic[T]):
    def __init__(self, source: Iterator[T], ahead: int = 1) -> None:
        if ahead < 1:
            raise ValueError("a prefetch holds at least one item ahead")
        self._source = source
        self._owner = threading.get_ident()
        self._inbox: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        # One permit per item the thread may fetch beyond what the caller has taken; taking an item gives
        # its permit back.
        self._room = threading.Semaphore(ahead)
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
                self._room.release()
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
            except BaseException as exc:  # raised again in the download, which hands it to the caller
                outcome["error"] = exc
            done.set()

        self._inbox.put((_CALL, task))
        while not done.wait(0.1):
            if self._stopping.is_set():
                raise Stopped("the sync stopped before it could run this")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["value"]  # type: ignore[no-any-return]

    def close(self) -> None:
        """Stop the thread and wait for it: a request it has in flight finishes, and nothing runs after."""
        self._finished = True
        self._stopping.set()
        self._room.release()  # wakes a thread waiting for room
        if self._thread.ident is not None:
            self._thread.join()

    def __enter__(self) -> Prefetch[T]:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        try:
            while True:
                self._room.acquire()
                if self._stopping.is_set():
                    return
                try:
                    item = next(self._source)
                except StopIteration:
                    self._inbox.put((_END, None))
                    return
                self._inbox.put((_ITEM, item))
        except BaseException as exc:  # the caller raises it where it asks for the next item
            self._inbox.put((_ERROR, exc))
        finally:
            close = getattr(self._source, "close", None)
            if close is not None:
                close()  # a generator's own `finally` runs here, on the thread that ran it
