"""The alerting benchmark at a tiny size, so it cannot rot: it runs, reports every figure, and every episode
ends with exactly one PagerDuty incident, resolved (timings are not asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from config import PROJECT_ROOT

pytestmark = pytest.mark.slow

TINY = ("--rules", "50", "--episodes", "10", "--incidents", "60", "--cycles", "3")
FIGURES = (
    "cycle_first_seconds",
    "cycle_p50_seconds",
    "cycle_max_seconds",
    "rules_per_second",
    "baseline_count_seconds",
    "observe_incident_seconds",
    "observe_pushed_seconds",
    "trigger_latency_p50",
    "trigger_latency_p95",
    "resolve_latency_p50",
    "baseline_posts_per_second",
    "episodes_paged_per_second",
    "episodes_completed_per_second",
    "throughput_vs_baseline",
)


def test_it_evaluates_every_rule_and_pages_each_episode_exactly_once() -> None:
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}  # its own embedded queue
    result = subprocess.run(
        [sys.executable, "-m", "bench.alerts", *TINY, "--json"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert {name: figures[name] is not None for name in FIGURES} == dict.fromkeys(FIGURES, True)
    assert figures["rules"] == 50
    assert figures["incidents"] == 60
    assert len(figures["cycles"]) == 3
    assert all(cycle["errors"] == 0 for cycle in figures["cycles"])
    assert figures["mix"]["incident"] == 10 and figures["mix"]["pushed"] == 40
    assert figures["deliveries"] == {"resolve sent": 10, "trigger sent": 10}
    assert figures["trigger_attempts"] >= 10 and figures["resolve_attempts"] >= 10
    assert figures["incidents_per_episode"] == {"1": 10}
    assert figures["episodes_left_open"] == 0
    assert figures["exactly_one_resolved"] is True
