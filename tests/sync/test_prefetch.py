"""The prefetching iterator: items ahead, errors where they belong, owner-thread calls between items."""

from __future__ import annotations

import threading
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
            threading.Event().wait(0.05)  # "writing" page n: the helper fetches n + 1 meanwhile, never n + 2
            assert f"fetch {n + 2}" not in log
            log.append(f"write {n}")
    assert [e for e in log if e.startswith("fetch")] == [f"fetch {n}" for n in range(4)]
    assert [e for e in log if e.startswith("write")] == [f"write {n}" for n in range(4)]
    assert log.index("fetch 1") < log.index("write 0")  # page 1 was downloaded while page 0 was written


def test_it_fetches_up_to_the_given_number_of_items_ahead_and_no_further() -> None:
    log: list[str] = []
    with Prefetch(_pages(log, 8), ahead=3) as pages:
        for n in pages:
            threading.Event().wait(0.05)  # a slow write: the helper runs on to n + 3, never to n + 4
            assert f"fetch {n + 4}" not in log
            log.append(f"write {n}")
    assert [e for e in log if e.startswith("fetch")] == [f"fetch {n}" for n in range(8)]
    assert log.index("fetch 3") < log.index("write 0")  # three pages in hand while page 0 was written


def test_it_refuses_to_hold_no_item_ahead() -> None:
    with pytest.raises(ValueError):
        Prefetch(_pages([], 1), ahead=0)


def test_it_raises_the_helpers_error_where_the_caller_asks_for_the_next_item() -> None:
    log: list[str] = []
    seen = []
    with pytest.raises(RuntimeError, match="page 2 failed"), Prefetch(_pages(log, 5, fail_at=2)) as pages:
        for n in pages:
            seen.append(n)
    assert seen == [0, 1]


def test_it_stops_the_helper_when_the_caller_gives_up() -> None:
    log: list[str] = []
    with pytest.raises(ValueError), Prefetch(_pages(log, 100)) as pages:
        for n in pages:
            if n == 3:
                raise ValueError("the write failed")
    assert len([e for e in log if e.startswith("fetch")]) <= 5


def test_it_runs_work_handed_over_by_the_helper_on_the_callers_thread() -> None:
    caller = threading.get_ident()
    ran_on: list[int] = []
    holder: dict[str, Prefetch[int]] = {}

    def source() -> Iterator[int]:
        yield 0
        yield holder["it"].on_owner(lambda: ran_on.append(threading.get_ident()) or 1)

    holder["it"] = Prefetch(source())
    with holder["it"] as pages:
        assert list(pages) == [0, 1]
    assert ran_on == [caller]
