"""The rules and pushed points of the alerting benchmark: a seeded, realistic mix (see MIX).

Rule bodies go through `parse_rule` like the form and the API, then are inserted with SQLAlchemy Core the
way `service.create_rule` writes them (it checks every target live with PagerDuty: 5,000 requests would
measure pdsim, not evaluation).
"""

from __future__ import annotations

import random
import secrets
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert

from app.alerts.rules import Choices, RuleSpec, parse_rule
from app.alerts.signals import INCIDENT_METRICS, epoch_minute, series_key
from app.extensions import db
from app.models import AlertRule, AlertState, MetricPoint, RuleTarget

PUSHED_SHARE = 0.8
RULES_PER_METRIC = 20  # 4,000 pushed rules watch 200 metric names
HOSTS = 5  # series per metric name: host=h0..h4, env=prod
POINT_EVERY = timedelta(seconds=30)
HISTORY = timedelta(minutes=60)  # the longest pushed window
HOT_SHARE = 0.05  # metric names whose last 10 minutes spike above every threshold
AGGREGATIONS = (("avg", 40), ("max", 20), ("last", 15), ("min", 10), ("count", 10), ("sum", 5))
PUSHED_WINDOWS = ((300, 50), (900, 30), (3600, 20))
INCIDENT_WINDOWS = ((3600, 30), (86400, 40), (7 * 86400, 30))
INCIDENT_THRESHOLDS = {
    "incident_count": 20,
    "open_incidents": 10,
    "mtta": 30,
    "mttr": 240,
    "cfr": 30,
    "escalation_rate": 50,
    "sleep_interruptions": 5,
}
MIX = (
    "80 % pushed-metric rules over 200 metric names × 5 series (one point per series every 30 s for the last "
    "hour; 5 % of the names spike above their rules' thresholds in the last 10 minutes): aggregations avg 40 "
    "%, max 20 %, last 15 %, min 10 %, count 10 % (heartbeats: count < 1, no data alerts), sum 5 %; windows 5 "
    "min 50 %, 15 min 30 %, 1 h 20 %; half over one series (host label), half over all five; `for` 1 min on 30 "
    "%. 20 % incident-metric rules over the synced incidents: the seven metrics alike, filtered by one service "
    "40 %, one team 20 %, none 40 %; windows 1 h 30 %, 1 d 40 %, 7 d 30 %. Every rule pages one service."
)


def _pick(rng: random.Random, weighted: tuple[tuple[Any, int], ...]) -> Any:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def metric_names(rules: int) -> list[str]:
    pushed = round(rules * PUSHED_SHARE)
    return [f"bench.metric_{n:03d}" for n in range(max(2, pushed // RULES_PER_METRIC))]


def hot(names: list[str]) -> set[str]:
    return set(names[: max(1, round(len(names) * HOT_SHARE))])


def rule_bodies(
    rules: int, services: list[str], teams: list[str], account_id: int, seed: int = 7
) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    names = metric_names(rules)
    for i in range(rules):
        target = {"account": account_id, "service": services[i % len(services)]}
        if i < round(rules * PUSHED_SHARE):
            yield _pushed(i, rng, names, target)
        else:
            yield _incident(i, rng, services, teams, target)


def _pushed(i: int, rng: random.Random, names: list[str], target: dict[str, Any]) -> dict[str, Any]:
    aggregation = _pick(rng, AGGREGATIONS)
    window = _pick(rng, PUSHED_WINDOWS)
    labels = {"host": f"h{rng.randrange(HOSTS)}"} if rng.random() < 0.5 else {}
    body: dict[str, Any] = {
        "name": f"pushed {i}",
        "signal": "pushed",
        "metric": names[i % len(names)],
        "aggregation": aggregation,
        "labels": labels,
        "window_seconds": window,
        "operator": ">",
        "threshold": 100,
        "for_seconds": 60 if rng.random() < 0.3 else 0,
        "severity": rng.choice(("critical", "error", "warning")),
        "targets": [target],
    }
    if aggregation == "count":
        body.update(operator="<", threshold=1, no_data="alert")
    elif aggregation == "sum":  # the sum of a window of points averaging 100
        body["threshold"] = 100 * window / POINT_EVERY.total_seconds() * (1 if labels else HOSTS)
    return body


def _incident(
    i: int, rng: random.Random, services: list[str], teams: list[str], target: dict[str, Any]
) -> dict[str, Any]:
    metric = rng.choice(sorted(INCIDENT_METRICS))
    roll = rng.random()
    filters: dict[str, list[str]] = {}
    if roll < 0.4:
        filters["services"] = [rng.choice(services)]
    elif roll < 0.6 and teams:
        filters["teams"] = [rng.choice(teams)]
    return {
        "name": f"incidents {i}",
        "signal": "incident",
        "metric": metric,
        "filters": filters,
        "window_seconds": _pick(rng, INCIDENT_WINDOWS),
        "operator": ">",
        "threshold": INCIDENT_THRESHOLDS[metric],
        "severity": rng.choice(("critical", "error", "warning")),
        "targets": [target],
    }


def insert_rules(
    workspace_id: int, bodies: list[dict[str, Any]], choices: Choices, now: datetime
) -> list[int]:
    """Validated by parse_rule, written as create_rule writes them; returns the new rules' ids."""
    if not bodies:
        return []  # an INSERT given no rows would insert one empty row
    specs = [parse_rule(body, choices) for body in bodies]
    rows = [_rule_row(workspace_id, spec, now) for spec in specs]
    ids = list(
        db.session.scalars(insert(AlertRule).returning(AlertRule.id, sort_by_parameter_order=True), rows)
    )
    targets = [
        {
            "rule_id": rule_id,
            "account_id": t.account_id,
            "service_remote_id": t.service_remote_id,
            "service_name": t.service_remote_id,
            "urgency": t.urgency,
            "escalation_policy_remote_id": t.escalation_policy_remote_id,
            "created_at": now,
        }
        for rule_id, spec in zip(ids, specs, strict=True)
        for t in spec.targets
    ]
    db.session.execute(insert(RuleTarget), targets)
    db.session.commit()
    return ids


def _rule_row(workspace_id: int, spec: RuleSpec, now: datetime) -> dict[str, Any]:
    fields = (
        "name", "description", "signal", "metric", "aggregation", "labels", "filters", "window_seconds",
        "operator", "threshold", "for_seconds", "severity", "no_data", "enabled", "muted", "notify_on_resolve",
        "title_template",
    )  # fmt: skip
    return {
        **{name: getattr(spec, name) for name in fields},
        "workspace_id": workspace_id,
        "uid": secrets.token_hex(12),
        "state": AlertState.OK,
        "state_since": now,
        "episode": 0,
        "created_at": now,
        "updated_at": now,
    }


def describe_mix(bodies: list[dict[str, Any]]) -> dict[str, int]:
    seen = Counter(b["signal"] for b in bodies)
    seen.update(f"pushed {b['aggregation']}" for b in bodies if b["signal"] == "pushed")
    return dict(sorted(seen.items()))


def insert_points(workspace_id: int, names: list[str], start: datetime, end: datetime, seed: int = 7) -> int:
    """One point per series every POINT_EVERY from `start` to `end`; hot names spike in their last 10
    minutes before `start + HISTORY` and stay up after it."""
    rng = random.Random(seed)
    spiking = hot(names)
    spike_from = start + HISTORY - timedelta(minutes=10)
    levels = {name: rng.uniform(10, 80) for name in names}
    written, batch = 0, []
    at = start
    while at <= end:
        for name in names:
            for host in range(HOSTS):
                labels = {"env": "prod", "host": f"h{host}"}
                level = 150.0 if name in spiking and at >= spike_from else levels[name] + host
                batch.append(
                    {
                        "workspace_id": workspace_id,
                        "name": name,
                        "labels": labels,
                        "series": series_key(labels),
                        "at": at,
                        "minute": epoch_minute(at),
                        "value": round(level + rng.uniform(-3, 3), 3),
                    }
                )
        if len(batch) >= 10_000:
            db.session.execute(insert(MetricPoint), batch)
            written, batch = written + len(batch), []
        at += POINT_EVERY
    if batch:
        db.session.execute(insert(MetricPoint), batch)
        written += len(batch)
    db.session.commit()
    return written
