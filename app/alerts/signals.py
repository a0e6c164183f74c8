"""What a rule watches, and the batched read of every rule's current value.

Incident signals are the analytics engine's numbers over a rolling window ending now, from the functions
that define them (docs/metrics.md, "Where each metric is defined"): counts, MTTA, MTTR and escalation rate
from metrics.incident_figures, grouped by service and urgency once per workspace and window and pooled per
rule; CFR and interruptions one distinct question (workspace, metric, filters, window) at a time. Pushed
signals are aggregated from `metric_points` in one grouped query per pass (per series and minute), then
combined per rule in Python, so a pass over thousands of rules is a handful of queries, not one per rule.
"""

from __future__ import annotations

import functools
import json
import logging
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.exc import SQLAlchemyError

from app.analytics.deployments import change_failure
from app.analytics.filters import incident_conditions, service_condition
from app.analytics.interruptions import interruptions
from app.analytics.metrics import IncidentFigures, figures_of, incident_figures
from app.analytics.population import Population
from app.analytics.query import MetricQuery, WorkspaceSettings, workspace_settings
from app.extensions import db
from app.models import AlertRule, Incident, PDService
from app.models.alerts import MetricPoint

log = logging.getLogger(__name__)

INCIDENT = "incident"
PUSHED = "pushed"
SIGNALS = (INCIDENT, PUSHED)


@dataclass(frozen=True)
class IncidentMetric:
    key: str
    label: str
    unit: str
    uses_window: bool = True


INCIDENT_METRICS: dict[str, IncidentMetric] = {
    m.key: m
    for m in (
        IncidentMetric("incident_count", "Incidents created", "incidents"),
        IncidentMetric(
            "open_incidents", "Open incidents (triggered or acknowledged now)", "incidents", False
        ),
        IncidentMetric("mtta", "MTTA (mean time to acknowledge)", "minutes"),
        IncidentMetric("mttr", "MTTR (mean time to resolve)", "minutes"),
        IncidentMetric("cfr", "Change failure rate", "%"),
        IncidentMetric("escalation_rate", "Escalation rate", "%"),
        IncidentMetric("sleep_interruptions", "Sleep-hour interruptions", "interruptions"),
    )
}
AGGREGATIONS = ("avg", "min", "max", "sum", "count", "last")
# Open incidents are counted over this much history (they may be older than any rule's window).
OPEN_LOOKBACK = timedelta(days=3650)


@dataclass(frozen=True)
class Observation:
    value: float | None
    error: str | None = None


def unit_of(rule: AlertRule) -> str:
    if rule.signal == INCIDENT and rule.metric in INCIDENT_METRICS:
        return INCIDENT_METRICS[rule.metric].unit
    return ""


def describe(rule: AlertRule) -> str:
    """ "MTTR (mean time to resolve)" / "avg(queue.depth{env=prod})"."""
    if rule.signal == INCIDENT:
        metric = INCIDENT_METRICS.get(rule.metric)
        return metric.label if metric else rule.metric
    labels = ",".join(f"{k}={v}" for k, v in sorted((rule.labels or {}).items()))
    return f"{rule.aggregation}({rule.metric}{'{' + labels + '}' if labels else ''})"


def observe(rules: Sequence[AlertRule], now: datetime) -> dict[int, Observation]:
    """The current value of every rule's signal; a rule whose signal cannot be read gets an error."""
    result = observe_incident([r for r in rules if r.signal == INCIDENT], now)
    result.update(observe_pushed([r for r in rules if r.signal == PUSHED], now))
    return result


def observe_incident(rules: Sequence[AlertRule], now: datetime) -> dict[int, Observation]:
    result = observe_incident_batched([r for r in rules if _batchable(r)], now)
    result.update(observe_incident_each([r for r in rules if not _batchable(r)], now))
    return result


def _span(rule: AlertRule) -> timedelta:
    """How far back the rule looks: its window, or the whole history of incidents still open."""
    metric = INCIDENT_METRICS.get(rule.metric)
    return timedelta(seconds=rule.window_seconds) if metric is None or metric.uses_window else OPEN_LOOKBACK


def _incident_key(rule: AlertRule) -> tuple[Any, ...]:
    return (rule.workspace_id, rule.metric, json.dumps(rule.filters or {}, sort_keys=True), _span(rule))


def observe_incident_each(rules: Sequence[AlertRule], now: datetime) -> dict[int, Observation]:
    """Each distinct question through the analytics engine (rules asking the same one share it)."""
    groups: dict[tuple[Any, ...], list[AlertRule]] = defaultdict(list)
    for rule in rules:
        groups[_incident_key(rule)].append(rule)
    settings_of = functools.cache(workspace_settings)
    result: dict[int, Observation] = {}
    for key, members in groups.items():
        first = members[0]
        try:
            with db.session.begin_nested():
                observation = Observation(incident_value(first, now, settings_of(first.workspace_id)))
        except (SQLAlchemyError, ValueError, KeyError) as exc:
            log.warning("alert rule %s: cannot read %s: %s", first.id, key[1], exc)
            observation = Observation(None, f"Cannot compute {first.metric}: {type(exc).__name__}: {exc}")
        for rule in members:
            result[rule.id] = observation
    return result


def rule_query(rule: AlertRule, now: datetime, settings: WorkspaceSettings) -> MetricQuery:
    filters = rule.filters or {}
    population = Population(
        services=tuple(int(s) for s in filters.get("services", [])),
        teams=tuple(int(t) for t in filters.get("teams", [])),
        urgencies=tuple(str(u) for u in filters.get("urgencies", [])),
    )
    return population.between(rule.workspace_id, now - _span(rule), now, settings.timezone)


def incident_value(rule: AlertRule, now: datetime, settings: WorkspaceSettings) -> float | None:
    query = rule_query(rule, now, settings)
    if rule.metric in _FROM_FIGURES:
        return _FROM_FIGURES[rule.metric](figures_of(query))
    if rule.metric == "cfr":
        return _percent(change_failure(query, settings).change_failure_rate)
    if rule.metric == "sleep_interruptions":
        return float(interruptions(query, settings).sleep)
    raise KeyError(rule.metric)


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60


def _percent(share: float | None) -> float | None:
    return None if share is None else share * 100


# The rule metrics read from metrics.IncidentFigures, in the rule's units.
_FROM_FIGURES: dict[str, Callable[[IncidentFigures], float | None]] = {
    "incident_count": lambda f: float(f.counts.incident_count),
    "open_incidents": lambda f: float(f.counts.unresolved_count),
    "mtta": lambda f: _minutes(f.mtta.mean),
    "mttr": lambda f: _minutes(f.mttr.mean),
    "escalation_rate": lambda f: _percent(f.counts.escalation_rate),
}
assert set(_FROM_FIGURES) | {"cfr", "sleep_interruptions"} == set(INCIDENT_METRICS)


def _batchable(rule: AlertRule) -> bool:
    """Figures over services and urgencies: one query grouped by service and urgency answers every rule of a
    workspace and window, whatever services and urgencies it filters on. Team filters go one at a time (an
    incident may have several teams)."""
    return rule.metric in _FROM_FIGURES and not (rule.filters or {}).get("teams")


def observe_incident_batched(rules: Sequence[AlertRule], now: datetime) -> dict[int, Observation]:
    groups: dict[tuple[int, timedelta], list[AlertRule]] = defaultdict(list)
    for rule in rules:
        groups[(rule.workspace_id, _span(rule))].append(rule)
    result: dict[int, Observation] = {}
    settings_of = functools.cache(workspace_settings)
    populations: dict[tuple[int, tuple[int, ...]], set[int]] = {}
    for (workspace_id, span), members in groups.items():
        try:
            with db.session.begin_nested():
                settings = settings_of(workspace_id)
                queries = {rule.id: rule_query(rule, now, settings) for rule in members}
                for query in queries.values():
                    if (workspace_id, query.services) not in populations:
                        populations[(workspace_id, query.services)] = set(
                            db.session.scalars(
                                select(PDService.id).where(service_condition(query, PDService.id))
                            )
                        )
                # Every service some rule of the group counts, in the group's window: the rows to pool.
                wanted = set().union(*(populations[(workspace_id, q.services)] for q in queries.values()))
                window = MetricQuery(workspace_id, now - span, now, services=tuple(sorted(wanted)))
                parts = incident_figures(
                    incident_conditions(window),
                    group_by=[Incident.service_id, Incident.urgency],
                    percentiles=False,
                )
        except SQLAlchemyError as exc:
            log.warning("alert evaluation: cannot read incidents of workspace %s: %s", workspace_id, exc)
            failed = Observation(None, f"Cannot compute incident metrics: {type(exc).__name__}")
            result.update({rule.id: failed for rule in members})
            continue
        for rule in members:
            query = queries[rule.id]
            services = populations[(workspace_id, query.services)]
            figures = IncidentFigures.pooled(
                part
                for (service, urgency), part in parts.items()
                if service in services and (not query.urgencies or urgency in query.urgencies)
            )
            result[rule.id] = Observation(_FROM_FIGURES[rule.metric](figures))
    return result


def series_key(labels: dict[str, str]) -> str:
    """Labels in one canonical string, so points of the same series group together in SQL."""
    return json.dumps(labels, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def epoch_minute(at: datetime) -> int:
    return math.floor(at.timestamp() / 60)


@dataclass
class _Bucket:
    count: int
    total: float
    low: float
    high: float


@dataclass
class _Series:
    labels: dict[str, str]
    windows: dict[int, _Bucket]  # by first epoch minute of a window some rule asks about
    last_at: datetime | None = None
    last_value: float | None = None


# Windows answered per query: each adds four aggregate columns.
_WINDOWS_PER_QUERY = 12


def observe_pushed(rules: Sequence[AlertRule], now: datetime) -> dict[int, Observation]:
    if not rules:
        return {}
    earliest = min(now - timedelta(seconds=r.window_seconds) for r in rules)
    workspaces = sorted({r.workspace_id for r in rules})
    names = sorted({r.metric for r in rules})
    try:
        with db.session.begin_nested():
            firsts = sorted({epoch_minute(now - timedelta(seconds=r.window_seconds)) for r in rules})
            series: _SeriesMap = defaultdict(dict)
            for at in range(0, len(firsts), _WINDOWS_PER_QUERY):
                _load_windows(series, workspaces, names, firsts[at : at + _WINDOWS_PER_QUERY], now)
            if any(r.aggregation == "last" for r in rules):
                _load_last(series, workspaces, names, earliest, now)
    except SQLAlchemyError as exc:
        log.warning("alert evaluation: cannot read pushed metrics: %s", exc)
        failed = Observation(None, f"Cannot read pushed metrics: {type(exc).__name__}")
        return {rule.id: failed for rule in rules}
    return {rule.id: Observation(_aggregate(rule, series, now)) for rule in rules}


_SeriesMap = dict[tuple[int, str], dict[str, _Series]]


def _point_filter(workspaces: Iterable[int], names: Iterable[str]) -> list[Any]:
    return [MetricPoint.workspace_id.in_(list(workspaces)), MetricPoint.name.in_(list(names))]


def _load_windows(
    out: _SeriesMap, workspaces: list[int], names: list[str], firsts: list[int], now: datetime
) -> None:
    """Count, sum, min and max per series for each window (given by its first minute), in one grouped query:
    a row per series however many minutes and windows, so nothing is re-aggregated in Python."""
    columns: list[Any] = []
    for first in firsts:
        inside = MetricPoint.minute >= first
        columns += [
            func.count(case((inside, 1))),
            func.sum(case((inside, MetricPoint.value))),
            func.min(case((inside, MetricPoint.value))),
            func.max(case((inside, MetricPoint.value))),
        ]
    rows = db.session.execute(
        select(MetricPoint.workspace_id, MetricPoint.name, MetricPoint.series, *columns)
        .where(*_point_filter(workspaces, names), MetricPoint.minute >= firsts[0], MetricPoint.at <= now)
        .group_by(MetricPoint.workspace_id, MetricPoint.name, MetricPoint.series)
    )
    for ws, name, key, *values in rows:
        found = out[(ws, name)].setdefault(key, _Series(json.loads(key) if key else {}, {}))
        for index, first in enumerate(firsts):
            count, total, low, high = values[4 * index : 4 * index + 4]
            if count:
                found.windows[first] = _Bucket(int(count), float(total), float(low), float(high))


def _load_last(
    series: _SeriesMap, workspaces: list[int], names: list[str], earliest: datetime, now: datetime
) -> None:
    latest = (
        select(
            MetricPoint.workspace_id.label("ws"),
            MetricPoint.name.label("name"),
            MetricPoint.series.label("series"),
            func.max(MetricPoint.at).label("at"),
        )
        .where(*_point_filter(workspaces, names), MetricPoint.at >= earliest, MetricPoint.at <= now)
        .group_by(MetricPoint.workspace_id, MetricPoint.name, MetricPoint.series)
        .subquery()
    )
    rows = db.session.execute(
        select(
            MetricPoint.workspace_id, MetricPoint.name, MetricPoint.series, MetricPoint.at, MetricPoint.value
        )
        .join(
            latest,
            and_(
                MetricPoint.workspace_id == latest.c.ws,
                MetricPoint.name == latest.c.name,
                MetricPoint.series == latest.c.series,
                MetricPoint.at == latest.c.at,
            ),
        )
        .order_by(MetricPoint.id)
    )
    for ws, name, key, at, value in rows:
        found = series[(ws, name)].get(key)
        if found is not None:  # the later of two points at the same instant (by id) wins
            found.last_at, found.last_value = at, float(value)


def _matches(rule_labels: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in rule_labels.items())


def _aggregate(rule: AlertRule, series: _SeriesMap, now: datetime) -> float | None:
    """The rule's aggregation over the series whose labels include the rule's, in whole minutes: a
    5-minute window at 12:03:30 counts the points from 11:58:00 on."""
    start = now - timedelta(seconds=rule.window_seconds)
    first_minute = epoch_minute(start)
    wanted = rule.labels or {}
    count, total = 0, 0.0
    low: float | None = None
    high: float | None = None
    last: tuple[datetime, float] | None = None
    for candidate in series.get((rule.workspace_id, rule.metric), {}).values():
        if not _matches(wanted, candidate.labels):
            continue
        bucket = candidate.windows.get(first_minute)
        if bucket is not None:
            count += bucket.count
            total += bucket.total
            low = bucket.low if low is None else min(low, bucket.low)
            high = bucket.high if high is None else max(high, bucket.high)
        latest, latest_value = candidate.last_at, candidate.last_value
        in_window = latest is not None and latest >= start and latest_value is not None
        if in_window and (last is None or latest > last[0]):  # type: ignore[operator]
            last = (latest, latest_value)  # type: ignore[assignment]
    if count == 0:
        # No points is "no data" for every aggregation, count included: the rule's no-data policy decides,
        # which is what makes a heartbeat rule ("no data for 10 minutes" = no_data "alert").
        return None
    values = {
        "count": float(count),
        "avg": total / count,
        "sum": total,
        "min": low,
        "max": high,
        "last": last[1] if last else None,
    }
    if rule.aggregation not in values:
        raise ValueError(f"unknown aggregation {rule.aggregation!r}")
    return values[rule.aggregation]
