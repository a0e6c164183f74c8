"""The delivery half of the alerting benchmark: rule episodes paged by two worker processes to a faulty pdsim.

Every rule fires once (one pass, one trigger each), the workers deliver; once every trigger is final the
rules recover (one pass, one resolve each) and the workers deliver those. Then pdsim's own record of the
incidents created through POST /incidents is counted per incident_key: exactly one per episode, resolved.
"""

from __future__ import annotations

import logging
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import func, select

from app.alerts import evaluate, outbox, points
from app.alerts.jobs import enqueue_deliveries
from app.extensions import db
from app.models import AlertRule, Delivery, DeliveryAction, DeliveryStatus, Workspace
from app.models.types import utcnow
from app.queue import DELIVER, get_queue
from config import PROJECT_ROOT

log = logging.getLogger(__name__)

METRIC = "bench.episode"
CLEAN_METRIC = "bench.episode_clean"
FAULTS = {"error_rate": 0.2, "rate_limit_rate": 0.1, "seed": 7}
WORKERS = 2


def baseline(base_url: str, token: str, email: str, services: Sequence[str], count: int) -> float:
    """Seconds for `count` plain serial POST /incidents (faults off): the same page, nothing kept."""
    session = requests.Session()
    session.headers.update(
        {
            "Authorization": f"Token token={token}",
            "Accept": "application/vnd.pagerduty+json;version=2",
            "Content-Type": "application/json",
            "From": email,
        }
    )
    started = time.perf_counter()
    for i in range(count):
        incident = {
            "type": "incident",
            "title": f"[error] baseline {i}: bench.episode is 1 (> 0)",
            "service": {"id": services[i % len(services)], "type": "service_reference"},
            "urgency": "high",
            "incident_key": f"bench-baseline/{i}",
            "body": {"type": "incident_body", "details": "Baseline page from bench/alerts.py"},
        }
        response = session.post(base_url + "/incidents", json={"incident": incident}, timeout=30)
        assert response.status_code == 201, response.text
    return time.perf_counter() - started


def episode_bodies(count: int, services: Sequence[str], account_id: int, metric: str) -> list[dict[str, Any]]:
    return [
        {
            "name": f"{metric} {i}",
            "signal": "pushed",
            "metric": metric,
            "aggregation": "last",
            "window_seconds": 300,
            "operator": ">",
            "threshold": 0,
            "severity": "error",
            "targets": [{"account": account_id, "service": services[i % len(services)]}],
        }
        for i in range(count)
    ]


class Workers:
    """WORKERS processes of `python worker.py --queues deliver`, logging to files; stopped (SIGTERM) on exit."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env, self.folder = env, folder
        self.processes: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> Workers:
        queue = get_queue(DELIVER)
        before = set(queue.connection.smembers(f"rq:workers:{DELIVER}"))
        for n in range(WORKERS):
            out = (self.folder / f"worker-{n}.log").open("wb")
            self.processes.append(
                subprocess.Popen(
                    [sys.executable, str(PROJECT_ROOT / "worker.py"), "--queues", DELIVER],
                    env=self.env,
                    cwd=PROJECT_ROOT,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            )
        deadline = time.monotonic() + 120
        while len(set(queue.connection.smembers(f"rq:workers:{DELIVER}")) - before) < WORKERS:
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.processes):
                raise RuntimeError(f"the workers did not start; see {self.folder}/worker-*.log")
            time.sleep(0.2)
        return self

    def __exit__(self, *exc: object) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)

    def tail(self) -> str:
        return "\n".join(
            (self.folder / f"worker-{n}.log").read_text(errors="replace")[-6000:] for n in range(WORKERS)
        )


def _pass(workspace: Workspace, metric: str, value: float) -> tuple[evaluate.PassResult, float]:
    """Push `value`, evaluate every enabled rule, enqueue what the pass owes; (result, enqueue seconds)."""
    points.store_points(workspace, [points.PointIn(metric, value, utcnow(), {})])
    result = evaluate.evaluate_all(utcnow() + timedelta(milliseconds=1))
    started = time.perf_counter()
    enqueue_deliveries(result.deliveries)
    return result, time.perf_counter() - started


def _wait_final(ids: list[int], timeout: float, workers: Workers) -> None:
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()
        left = db.session.scalar(
            select(func.count(Delivery.id)).where(
                Delivery.id.in_(ids),
                Delivery.status.not_in([DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.SKIPPED]),
            )
        )
        if not left:
            return
        exited = [p.returncode for p in workers.processes if p.poll() is not None]
        if time.monotonic() > deadline or exited:
            raise RuntimeError(
                f"{left} deliveries still not final (workers exited: {exited})\n{workers.tail()}"
            )
        time.sleep(0.25)


def run(
    workspace: Workspace,
    rule_ids: list[int],
    metric: str,
    faults: dict[str, Any] | None,
    sim: Any,
    workers: Workers,
) -> dict[str, Any]:
    """Fire every rule watching `metric`, deliver, recover them, deliver; pdsim injects `faults` meanwhile."""
    sim.control.clear_faults()
    if faults:
        sim.control.set_faults(**faults)
    timeout = 600 + 2.0 * len(rule_ids)
    fired, fire_enqueue = _pass(workspace, metric, 1.0)
    _wait_final(fired.deliveries, timeout, workers)
    recovered, resolve_enqueue = _pass(workspace, metric, 0.0)
    _wait_final(recovered.deliveries, timeout, workers)
    counts = sim.control.faults()["counts"]
    sim.control.clear_faults()
    figures = {
        "fire_pass_seconds": fired.seconds,
        "fire_triggers": fired.triggers,
        "fire_enqueue_seconds": fire_enqueue,
        "recover_enqueue_seconds": resolve_enqueue,
        "recover_pass_seconds": recovered.seconds,
        "recover_resolves": recovered.resolves,
        "faults_5xx": counts["errors"],
        "faults_429": counts["rate_limited"],
        "faults_matched": counts["matched"],
    }
    figures.update(_outcome(rule_ids))
    figures.update(incidents_per_episode(rule_ids, sim.control.created()))
    return figures


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def _outcome(rule_ids: list[int]) -> dict[str, Any]:
    db.session.rollback()
    rows = db.session.scalars(select(Delivery).where(Delivery.rule_id.in_(rule_ids))).all()
    triggers = [d for d in rows if d.action is DeliveryAction.TRIGGER]
    resolves = [d for d in rows if d.action is DeliveryAction.RESOLVE]
    latency = [(d.sent_at - d.created_at).total_seconds() for d in triggers if d.sent_at]
    resolve_latency = [(d.sent_at - d.created_at).total_seconds() for d in resolves if d.sent_at]
    first_fired = min(d.created_at for d in triggers)
    last_paged = max((d.sent_at for d in triggers if d.sent_at), default=first_fired)
    last_resolved = max((d.sent_at for d in resolves if d.sent_at), default=last_paged)
    statuses = Counter(f"{d.action.value} {d.status.value}" for d in rows)
    return {
        "deliveries": dict(sorted(statuses.items())),
        "trigger_latency_p50": statistics.median(latency) if latency else None,
        "trigger_latency_p95": _percentile(latency, 0.95) if latency else None,
        "trigger_latency_max": max(latency, default=None),
        "resolve_latency_p50": statistics.median(resolve_latency) if resolve_latency else None,
        "resolve_latency_p95": _percentile(resolve_latency, 0.95) if resolve_latency else None,
        "trigger_seconds": (last_paged - first_fired).total_seconds(),
        "episode_seconds": (last_resolved - first_fired).total_seconds(),
        "trigger_attempts": sum(d.attempts for d in triggers),
        "resolve_attempts": sum(d.attempts for d in resolves),
        "triggers": len(triggers),
        "resolves": len(resolves),
        "adopted": sum(1 for d in triggers if d.note.startswith("adopted")),
        # Time inside the token lock, as the rows record it (each delivery's last run): the send, with the
        # transport's inline backoff sleeps between retries of a 5xx.
        "trigger_send_seconds": sum(d.duration_ms or 0 for d in triggers) / 1000,
        "trigger_send_seconds_retried": sum(d.duration_ms or 0 for d in triggers if d.attempts > 1) / 1000,
        "resolve_send_seconds": sum(d.duration_ms or 0 for d in resolves) / 1000,
    }


def incidents_per_episode(rule_ids: list[int], created: list[dict[str, Any]]) -> dict[str, Any]:
    """pdsim's incidents by incident_key, for every episode the rules had (each rule: episode 1)."""
    rules = db.session.scalars(select(AlertRule).where(AlertRule.id.in_(rule_ids))).all()
    owed = {outbox.incident_key(rule, episode) for rule in rules for episode in range(1, rule.episode + 1)}
    by_key = Counter(i["incident_key"] for i in created if i["incident_key"] in owed)
    open_keys = {
        i["incident_key"] for i in created if i["incident_key"] in owed and i["status"] != "resolved"
    }
    spread = Counter(by_key.get(key, 0) for key in owed)
    return {
        "episodes": len(owed),
        "incidents_per_episode": {str(k): v for k, v in sorted(spread.items())},
        "episodes_without_incident": spread.get(0, 0),
        "episodes_with_duplicates": sum(v for k, v in spread.items() if k >= 2),
        "episodes_left_open": len(open_keys),
        "exactly_one_resolved": bool(owed) and set(spread) == {1} and not open_keys,
    }
