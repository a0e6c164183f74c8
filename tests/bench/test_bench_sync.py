"""The sync benchmark at a tiny size, so it cannot rot: it runs, and its invariants hold."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from config import PROJECT_ROOT

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
