"""The sync benchmark at a tiny size, so it cannot rot: it runs, and its invariants hold."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bench.sync import TOKEN, Baseline
from config import PROJECT_ROOT
from pdsim.process import run_pdsim_process

pytestmark = pytest.mark.slow


def test_it_backfills_the_same_pages_as_the_baseline_and_rewrites_nothing() -> None:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}  # its own embedded queue
    result = subprocess.run(
        [sys.executable, "-m", "bench.sync", "--incidents", "300", "--days", "45", "--json"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["incidents"] == 300
    # Two backfills, each into a fresh database, between three baselines; each judged against its neighbours.
    assert len(figures["backfill_seconds"]) == len(figures["round_ratios"]) == 2
    assert len(figures["baseline_seconds"]) == 3
    assert sorted(figures["round_ratios"])[0] <= figures["ratio"] <= sorted(figures["round_ratios"])[-1]
    assert figures["requests"] == figures["baseline_requests"]
    assert figures["empty_incremental_requests"] <= 5
    assert figures["second_backfill_rows_written"] == 0
    assert 0 < figures["worker_peak_rss_mb"] < 300


def test_its_baselines_read_the_same_change_events_while_the_oldest_expire(tmp_path: Path) -> None:
    """PagerDuty keeps change events 90 days back from its clock, which runs on between one baseline and the
    next: an event at that edge must count in every baseline or in none."""
    with run_pdsim_process(
        seed=42, incidents=300, days=90, api_tokens=[TOKEN], db_path=tmp_path / "pdsim.db"
    ) as sim:
        with sqlite3.connect(tmp_path / "pdsim.db") as db:
            oldest = db.execute("SELECT timestamp FROM change_events ORDER BY timestamp LIMIT 1 OFFSET 20")
            moment = datetime.fromtimestamp(oldest.fetchone()[0], UTC)
        end = moment + timedelta(days=90, minutes=-2)  # that event is two minutes from expiring at `end`
        sim.control.set_clock(now=end.strftime("%Y-%m-%dT%H:%M:%SZ"))
        first = Baseline(sim).run(end - timedelta(days=365), end)
        sim.control.advance_clock(300)  # the run goes on; the event has expired on pdsim's clock
        assert Baseline(sim).run(end - timedelta(days=365), end) == first
