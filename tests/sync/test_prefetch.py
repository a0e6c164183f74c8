"""The prefetching iterator: items ahead from a thread, errors where they belong, the caller's work done on
the caller's thread, and no download left running after the caller stops."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from app.integrations.pagerduty.sync.prefetch import Prefetch


def _pages(log: list[str], count: int, fail_at: int | None = None) -> Iterator[int]:
    for n in range(count):
        if n == fail_at:
            raise RuntimeError(f"page {n} failed")
        log.append(f"fetch {n}")
        yield n


def test_it_fetches_exactly_one_item_ahead_of_the_caller() -> None:
    log: list[str] = []
    with Prefetch(_pages(log, 4)) as pages:
        for n in pages:
            time.sleep(0.1)  # "writing" page n: the thread fetches n + 1 meanwhile, never n + 2
            assert f"fetch {n + 2}" not in log
            log.append(f"write {n}")
    assert [e for e in log if e.startswith("fetch")] == [f"fetch {n}" for n in range(4)]
    assert [e for e in log if e.startswith("write")] == [f"write {n}" for n in range(4)]
    assert log.index("fetch 1") < log.index("write 0")  # page 1 was downloaded while page 0 was written


def test_it_fetches_up_to_the_given_number_of_items_ahead_and_no_further() -> None:
    log: list[str] = []
    with Prefetch(_pages(log, 8), ahead=3) as pages:
        for n in pages:
            time.sleep(0.1)  # a slow write: the thread runs on to n + 3, never to n + 4
            assert f"fetch {n + 4}" not in log
            log.append(f"write {n}")
    assert [e for e in log if e.startswith("fetch")] == [f"fetch {n}" for n in range(8)]
    assert log.index("fetch 3") < log.index("write 0")  # three pages in hand while page 0 was written


def test_it_refuses_to_hold_no_item_ahead() -> None:
    with pytest.raises(ValueError):
        Prefetch(_pages([], 1), ahead=0)


def test_it_raises_the_downloads_error_where_the_caller_asks_for_the_next_item() -> None:
    seen = []
    with pytest.raises(RuntimeError, match="page 2 failed"), Prefetch(_pages([], 5, fail_at=2)) as pages:
        for n in pages:
            seen.append(n)
    assert seen == [0, 1]


def test_it_stops_the_download_when_the_caller_gives_up() -> None:
    log: list[str] = []
    with pytest.raises(ValueError), Prefetch(_pages(log, 100)) as pages:
        for n in pages:
            if n == 3:
                raise ValueError("the write failed")
    fetched = len(log)
    time.sleep(0.3)
    assert fetched <= 5
    assert len(log) == fetched  # nothing fetched after close
    assert not [t for t in threading.enumerate() if t.name == "sync-prefetch"]


def test_it_runs_handed_over_work_on_the_callers_thread() -> None:
    caller = threading.get_ident()
    ran_on: list[int] = []

    def on_caller() -> str:
        ran_on.append(threading.get_ident())
        return "fresh-token"

    def source() -> Iterator[str]:
        yield f"thread {threading.get_ident()}"
        yield prefetch.on_owner(on_caller)

    prefetch = Prefetch(source())
    with prefetch as pages:
        items = list(pages)
    assert items[1] == "fresh-token"
    assert items[0] != f"thread {caller}"  # the source did run on another thread
    assert ran_on == [caller]


def test_it_raises_the_handed_over_works_own_error_in_the_caller() -> None:
    class Refused(Exception):
        pass

    def refuse() -> str:
        raise Refused("the refresh token was revoked")

    def source() -> Iterator[str]:
        yield "page"
        yield prefetch.on_owner(refuse)

    prefetch = Prefetch(source())
    with pytest.raises(Refused, match="revoked"), prefetch as pages:
        list(pages)


def test_a_caller_that_stops_releases_a_download_waiting_for_it() -> None:
    waiting = threading.Event()
    outcome: list[str] = []

    def source() -> Iterator[str]:
        yield "page"
        waiting.set()
        try:
            prefetch.on_owner(lambda: "never run")
        except Exception as exc:
            outcome.append(type(exc).__name__)
            raise

    prefetch = Prefetch(source())
    with prefetch as pages:
        next(pages)
        assert waiting.wait(5)
    assert outcome == ["Stopped"]
