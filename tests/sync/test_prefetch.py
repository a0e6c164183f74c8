"""The prefetching iterator: items ahead from a child process, errors where they belong, the caller's work
done on the caller's side, and no child left behind."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.integrations.pagerduty.sync.prefetch import Prefetch


class Log:
    """A log both processes append to: the source runs in the child, so a list would stay there."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.touch()

    def add(self, line: str) -> None:
        with self.path.open("a") as out:
            out.write(line + "\n")

    def lines(self) -> list[str]:
        return self.path.read_text().splitlines()


@pytest.fixture
def log(tmp_path: Path) -> Log:
    return Log(tmp_path / "log")


def _pages(log: Log, count: int, fail_at: int | None = None) -> Iterator[int]:
    for n in range(count):
        if n == fail_at:
            raise RuntimeError(f"page {n} failed")
        log.add(f"fetch {n}")
        yield n


def test_it_fetches_exactly_one_item_ahead_of_the_caller(log: Log) -> None:
    with Prefetch(_pages(log, 4)) as pages:
        for n in pages:
            time.sleep(0.1)  # "writing" page n: the child fetches n + 1 meanwhile, never n + 2
            assert f"fetch {n + 2}" not in log.lines()
            log.add(f"write {n}")
    lines = log.lines()
    assert [e for e in lines if e.startswith("fetch")] == [f"fetch {n}" for n in range(4)]
    assert [e for e in lines if e.startswith("write")] == [f"write {n}" for n in range(4)]
    assert lines.index("fetch 1") < lines.index("write 0")  # page 1 was downloaded while page 0 was written


def test_it_fetches_up_to_the_given_number_of_items_ahead_and_no_further(log: Log) -> None:
    with Prefetch(_pages(log, 8), ahead=3) as pages:
        for n in pages:
            time.sleep(0.1)  # a slow write: the child runs on to n + 3, never to n + 4
            assert f"fetch {n + 4}" not in log.lines()
            log.add(f"write {n}")
    lines = log.lines()
    assert [e for e in lines if e.startswith("fetch")] == [f"fetch {n}" for n in range(8)]
    assert lines.index("fetch 3") < lines.index("write 0")  # three pages in hand while page 0 was written


def test_it_refuses_to_hold_no_item_ahead(log: Log) -> None:
    with pytest.raises(ValueError):
        Prefetch(_pages(log, 1), ahead=0)


def test_it_raises_the_childs_error_where_the_caller_asks_for_the_next_item(log: Log) -> None:
    seen = []
    with pytest.raises(RuntimeError, match="page 2 failed"), Prefetch(_pages(log, 5, fail_at=2)) as pages:
        for n in pages:
            seen.append(n)
    assert seen == [0, 1]


def test_it_describes_an_error_that_cannot_cross_processes() -> None:
    class Local(Exception):  # a local class does not pickle
        pass

    def source() -> Iterator[int]:
        yield 0
        raise Local("the window could not be read")

    expected = pytest.raises(RuntimeError, match="Local: the window could not be read")
    with expected, Prefetch(source()) as pages:
        list(pages)


def test_it_stops_the_child_when_the_caller_gives_up(log: Log) -> None:
    prefetch = Prefetch(_pages(log, 100))
    with pytest.raises(ValueError), prefetch as pages:
        for n in pages:
            if n == 3:
                raise ValueError("the write failed")
    fetched = len([e for e in log.lines() if e.startswith("fetch")])
    time.sleep(0.3)
    assert fetched <= 5
    assert len([e for e in log.lines() if e.startswith("fetch")]) == fetched  # nothing fetched after close


def test_it_says_so_when_the_child_dies(log: Log) -> None:
    def source() -> Iterator[int]:
        yield 0
        os._exit(3)  # as an out-of-memory kill would end it

    with pytest.raises(RuntimeError, match="exit code 3"), Prefetch(source()) as pages:
        list(pages)


def test_it_hands_the_childs_report_to_the_caller_with_every_item() -> None:
    fetched = {"count": 0}

    def source() -> Iterator[int]:
        for n in range(3):
            fetched["count"] += 1  # in the child's copy of `fetched`
            yield n

    adopted: list[int] = []
    taken: list[tuple[int, int]] = []
    with Prefetch(source(), report=lambda: fetched["count"], adopt=adopted.append) as pages:
        for n in pages:
            taken.append((n, adopted[-1]))
    assert taken == [(0, 1), (1, 2), (2, 3)]  # each item came with the count as the child had it then
    assert adopted[-1] == 3
    assert fetched["count"] == 0  # the caller's copy never moved


def test_it_runs_routed_work_in_the_callers_process_and_thread() -> None:
    caller = (os.getpid(), threading.get_ident())
    ran_on: list[tuple[int, int]] = []

    def on_caller() -> str:
        ran_on.append((os.getpid(), threading.get_ident()))
        return "fresh-token"

    def source() -> Iterator[str]:
        yield f"child {os.getpid()}"
        yield stand_in()

    prefetch = Prefetch(source())
    stand_in = prefetch.routed(on_caller)
    with prefetch as pages:
        items = list(pages)
    assert items[1] == "fresh-token"
    assert items[0] != f"child {os.getpid()}"  # the source did run in another process
    assert ran_on == [caller]


def test_it_raises_the_routed_works_own_error_in_the_caller() -> None:
    class Refused(Exception):  # a local class: it could not cross back from the child, and need not
        pass

    def refuse() -> str:
        raise Refused("the refresh token was revoked")

    def source() -> Iterator[str]:
        yield "page"
        yield stand_in()

    prefetch = Prefetch(source())
    stand_in = prefetch.routed(refuse)
    with pytest.raises(Refused, match="revoked"), prefetch as pages:
        list(pages)


def test_it_refuses_a_route_once_the_child_runs(log: Log) -> None:
    with Prefetch(_pages(log, 1)) as pages, pytest.raises(RuntimeError):
        pages.routed(lambda: None)


def test_it_leaves_no_child_downloading_when_the_caller_is_killed(tmp_path: Path) -> None:
    # The caller takes one item and is SIGKILLed with the child waiting for it to take another: the child
    # notices within about a second that nobody is there and exits.
    script = f"""
import os, signal, sys, time
sys.path.insert(0, {str(Path(__file__).parents[2])!r})
from app.integrations.pagerduty.sync.prefetch import Prefetch

def pages():
    n = 0
    while True:
        yield n
        n += 1

prefetch = Prefetch(pages())
prefetch.__enter__()
next(prefetch)
print(prefetch._process.pid, flush=True)
time.sleep(0.2)
os.kill(os.getpid(), signal.SIGKILL)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    child = int(done.stdout.split()[0])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _alive(child):
        time.sleep(0.1)
    assert not _alive(child)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
