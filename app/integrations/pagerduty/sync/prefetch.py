"""Download the next pages while this one is written: an iterator advanced ahead of its caller by a child.

A forked child rather than a thread, because a thread misses the backfill target (at most 1.3x a plain
download of the same pages): the download, a backfill's critical path, waits on the GIL whenever the writing
thread maps a page. Measured 2026-12-07 on a quiet 2-core machine, PostgreSQL, `python -m bench.sync
--incidents 30000 --days 90`: a thread (branch h-sync, ffe0faf, reverted) backfilled in 58.5 and 59.1 s
against baselines of 37.8, 35.3 and 38.7 s, 1.60x; this fork, run right after, in 47.1 s against 34.6 and 41.5
s, 1.24x (BENCHMARKS.md's changelog has the rest). The child starts with the source iterator and its client as
they are and never touches the database or the lock: the caller writes every page and commits every
checkpoint.

Only the child advances the source, never more than `ahead` items past what the caller has taken, so exactly
one request is in flight per token (API-NOTES §4) and the requests are those made without it. With every item
the child sends `report()` (the client's request counts) for the caller's `adopt`. Work the child needs done
by the caller (an OAuth refresh writes the account row) is registered with `routed` before the child starts,
and runs between two pages, when the caller asks for its next item.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import signal
import threading
from collections.abc import Callable, Iterator
from multiprocessing.reduction import ForkingPickler
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_ITEM, _END, _ERROR, _CALL, _VALUE = "item", "end", "error", "call", "value"
# How often a child waiting for the caller to take an item checks that the caller is still alive: a worker
# killed with SIGKILL gets no chance to stop it, and its child must not download on for nobody.
_ORPHAN_CHECK_SECONDS = 1.0
_FORK = multiprocessing.get_context("fork")


class Prefetch(Generic[T]):
    def __init__(
        self,
        source: Iterator[T],
        ahead: int = 1,
        report: Callable[[], Any] = lambda: None,
        adopt: Callable[[Any], None] = lambda _: None,
    ) -> None:
        if ahead < 1:
            raise ValueError("a prefetch holds at least one item ahead")
        self._source = source
        self._report, self._adopt = report, adopt
        self._owner_pid = os.getpid()
        self._routes: list[Callable[[], Any]] = []
        self._owner_error: BaseException | None = None
        # Released when the caller takes an item; the child acquires it after each item it sends, so at most
        # `ahead` items wait for the caller (and none is fetched past them).
        self._taken = _FORK.Semaphore(ahead - 1)
        self._from_child, self._to_owner = _FORK.Pipe(duplex=False)
        self._from_owner, self._to_child = _FORK.Pipe(duplex=False)
        self._process = _FORK.Process(target=self._run, name="sync-prefetch", daemon=True)
        self._finished = False

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        if self._finished:
            raise StopIteration
        while True:
            try:
                kind, payload, report = self._from_child.recv()
            except EOFError:
                self._finished = True
                self._process.join(timeout=5)
                code = self._process.exitcode
                raise RuntimeError(f"the download process ended unexpectedly (exit code {code})") from None
            if report is not None:
                self._adopt(report)
            if kind == _CALL:
                self._answer(payload)
                continue
            if kind == _ITEM:
                self._taken.release()  # the child may fetch one more while the caller works on this one
                return payload  # type: ignore[no-any-return]
            self._finished = True
            if kind == _ERROR:
                raise self._owner_error or payload
            raise StopIteration

    def routed(self, call: Callable[[], R]) -> Callable[[], R]:
        """A stand-in for `call` that, run in the child, has the caller run it; register before `with` (the
        child finds `call` by its place in a list both processes hold)."""
        if self._process.pid is not None:
            raise RuntimeError("route calls before the download process starts")
        index = len(self._routes)
        self._routes.append(call)
        return lambda: self._on_owner(index)  # type: ignore[no-any-return]

    def close(self) -> None:
        """Stop the child and wait for it; a request in flight is abandoned (a GET, on a connection that dies
        with the child)."""
        self._finished = True
        if self._process.pid is not None:
            if self._process.is_alive():
                self._process.kill()
            self._process.join()
        for end in (self._from_child, self._to_child):
            end.close()

    def __enter__(self) -> Prefetch[T]:
        self._process.start()
        # The child's ends are closed here, so the caller sees EOF if the child dies, and the child a broken
        # pipe if the caller does.
        self._to_owner.close()
        self._from_owner.close()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        self._from_child.close()
        self._to_child.close()
        # Ctrl-C reaches the whole process group; the caller decides what happens and then stops this child.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        # A page (~100 kB pickled) does not fit in a pipe's 64 kB buffer: written from here, each send would
        # wait for the caller to read, i.e. for the page before it to be written, and the download would be
        # back in step with the writing. A thread of the child's own sends them, so the download runs on.
        self._outbox: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._owner_gone = threading.Event()
        sender = threading.Thread(target=self._forward, name="sync-prefetch-send", daemon=True)
        sender.start()
        try:
            for item in self._source:
                self._send(_ITEM, item)
                while not self._taken.acquire(timeout=_ORPHAN_CHECK_SECONDS):
                    if self._owner_gone.is_set() or os.getppid() != self._owner_pid:
                        return
            self._send(_END, None)
        except EOFError:
            return  # the caller died while the child waited for it to run a routed call
        except BaseException as exc:  # the caller raises it where it asks for the next page
            try:
                pickle.loads(pickle.dumps(exc))
            except Exception:  # an error that cannot cross processes reaches the caller by its description
                exc = RuntimeError(f"{type(exc).__name__}: {exc}")
            self._send(_ERROR, exc)
        finally:
            self._outbox.put(None)
            sender.join()

    def _forward(self) -> None:
        while (message := self._outbox.get()) is not None:
            try:
                self._to_owner.send_bytes(message)
            except OSError:  # a broken pipe: the caller is gone
                self._owner_gone.set()
                return

    def _send(self, kind: str, payload: Any) -> None:
        # Pickled here, not on the sending thread: the report is then a snapshot taken with the item.
        self._outbox.put(bytes(ForkingPickler.dumps((kind, payload, self._report()))))

    def _on_owner(self, index: int) -> Any:
        if os.getpid() == self._owner_pid:
            return self._routes[index]()
        self._send(_CALL, index)
        kind, value = self._from_owner.recv()
        if kind == _ERROR:
            # The caller raises its original error when this one reaches it.
            raise RuntimeError("the caller could not do what the download needed")
        return value

    def _answer(self, index: int) -> None:
        try:
            value = self._routes[index]()
        except BaseException as exc:  # kept here, raised as it is when the child reports its failure
            self._owner_error = exc
            self._to_child.send((_ERROR, None))
            return
        self._to_child.send((_VALUE, value))
