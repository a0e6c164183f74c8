"""The headline numbers for one window: counts, MTTA, MTTR, rates, deployments, CFR and interruptions.

`incident_figures` is the one definition of the incident counts, MTTA and MTTR for any population and grouping
(a window, both windows of a comparison, trend buckets, services, teams, alert rules). `summary` is what the
dashboard, the JSON API (`Summary.to_dict()` is its exact shape), the CLI and reports read.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, case, false, select, true
from sqlalchemy.sql import FromClause

from app.analytics.deployments import WEEK_SECONDS, ChangeFailure, change_failure, change_failures, rate
from app.analytics.dora import DoraBand, change_failure_band, recovery_time_band
from app.analytics.filters import incident_conditions
from app.analytics.interruptions import Interruptions, interruptions
from app.analytics.percentiles import DurationStats, aggregate
from app.analytics.query import MetricQuery, WorkspaceSettings, workspace_settings
from app.analytics.sqlfuncs import bucket_index
from app.analytics.windows import is_local_midnight
from app.models import Incident


@dataclass(frozen=True)
class IncidentCounts:
    incident_count: int = 0
    unresolved_count: int = 0
    resolved_count: int = 0
    escalated_count: int = 0
    auto_resolved_count: int = 0
    # Excluded incidents that would otherwise be in the population: shown so an exclusion is never silent.
    excluded_count: int = 0

    @property
    def escalation_rate(self) -> float | None:
        """Share of the incidents escalated at least once."""
        return rate(self.escalated_count, self.incident_count)


@dataclass(frozen=True)
class IncidentFigures:
    """The incident metrics of one population: its counts, MTTA and MTTR (docs/metrics.md, "Incidents")."""

    counts: IncidentCounts = field(default_factory=IncidentCounts)
    mtta: DurationStats = field(default_factory=DurationStats)
    mttr: DurationStats = field(default_factory=DurationStats)

    @classmethod
    def pooled(cls, parts: Iterable[IncidentFigures]) -> IncidentFigures:
        """The figures of the union of disjoint populations: counts add up and means are pooled by their
        counts; percentiles cannot be pooled, so they are None (alert rules read means only)."""
        parts, names = list(parts), IncidentCounts.__dataclass_fields__
        counts = IncidentCounts(*(sum(getattr(part.counts, name) for part in parts) for name in names))
        return cls(counts, _pooled([part.mtta for part in parts]), _pooled([part.mttr for part in parts]))


def _pooled(stats: list[DurationStats]) -> DurationStats:
    count = sum(part.count for part in stats)
    total = sum(part.mean * part.count for part in stats if part.mean is not None)
    return DurationStats(count, total / count) if count else DurationStats()


def incident_figures(
    conditions: Sequence[ColumnElement[bool]],
    group_by: Sequence[ColumnElement[Any]] = (),
    from_: FromClause = Incident.__table__,
    percentiles: bool = True,
) -> dict[tuple[Any, ...], IncidentFigures]:
    """The one definition of the incident metrics: counts, MTTA and MTTR of the incidents `conditions` select
    (filters.incident_conditions), per value of the `group_by` expressions (`()` without grouping, present
    even when nothing matched). Excluded incidents the conditions let through only count as excluded. Without
    `percentiles`, MTTA and MTTR are means only (alert rules, over up to years of incidents)."""
    counted = Incident.excluded == false()
    resolved = Incident.status == "resolved"

    def flag(*conditions: Any) -> Any:
        return case((and_(counted, *conditions), 1), else_=0)

    rows = (
        select(
            *[column.label(f"g{index}") for index, column in enumerate(group_by)],
            flag().label("incident_count"),
            flag(~resolved).label("unresolved_count"),
            flag(resolved).label("resolved_count"),
            flag(Incident.escalation_count >= 1).label("escalated_count"),
            flag(resolved, Incident.auto_resolved == true()).label("auto_resolved_count"),
            case((counted, 0), else_=1).label("excluded_count"),
            case((counted, Incident.ack_seconds)).label("mtta"),
            case((and_(counted, resolved), Incident.resolve_seconds)).label("mttr"),
        )
        .select_from(from_)
        .where(*conditions)
        .subquery("incident_rows")
    )
    found = aggregate(
        rows,
        keys=[f"g{index}" for index in range(len(group_by))],
        sums=list(IncidentCounts.__dataclass_fields__),
        durations=("mtta", "mttr"),
        percentiles=percentiles,
    )
    return {
        key: IncidentFigures(IncidentCounts(**part.sums), part.stats["mtta"], part.stats["mttr"])
        for key, part in found.items()
    }


def figures_of(query: MetricQuery) -> IncidentFigures:
    """incident_figures of the query's population, excluded incidents counted as such."""
    return incident_figures(incident_conditions(query, include_excluded=True))[()]


@dataclass(frozen=True)
class Summary:
    query: MetricQuery
    counts: IncidentCounts
    mtta: DurationStats
    mttr: DurationStats
    changes: ChangeFailure
    interruptions: Interruptions

    @property
    def incident_count(self) -> int:
        return self.counts.incident_count

    @property
    def unresolved_count(self) -> int:
        return self.counts.unresolved_count

    @property
    def incidents_per_week(self) -> float:
        return self.counts.incident_count * WEEK_SECONDS / self.query.duration.total_seconds()

    @property
    def escalation_rate(self) -> float | None:
        return self.counts.escalation_rate

    @property
    def auto_resolve_rate(self) -> float | None:
        """Share of the window's *resolved* incidents resolved by a timeout or an integration."""
        return rate(self.counts.auto_resolved_count, self.counts.resolved_count)

    @property
    def change_failure_band(self) -> DoraBand | None:
        return change_failure_band(self.changes.change_failure_rate)

    @property
    def recovery_time_band(self) -> DoraBand | None:
        return recovery_time_band(self.changes.recovery.p50)

    def to_dict(self) -> dict[str, Any]:
        """The JSON API's shape: null where a metric has no data, counts are 0 when there is nothing."""
        return {
            "window": window_dict(self.query),
            "incident_count": self.counts.incident_count,
            "unresolved_count": self.counts.unresolved_count,
            "mtta_seconds": self.mtta.to_dict(),
            "mttr_seconds": self.mttr.to_dict(),
            "deployment_count": self.changes.deployment_count,
            "failed_deployment_count": self.changes.failed_deployment_count,
            "change_failure_rate": self.changes.change_failure_rate,
            "escalation_rate": self.escalation_rate,
            "interruptions": self.interruptions.to_dict(),
            "failed_deployment_recovery_seconds": self.changes.recovery.to_dict(),
            "unrecovered_deployment_count": self.changes.unrecovered_count,
            "auto_resolve_rate": self.auto_resolve_rate,
            # DoraBand is a StrEnum: JSON shows its value.
            "dora": {
                "change_failure_rate": self.change_failure_band,
                "recovery_time": self.recovery_time_band,
            },
            "excluded_count": self.counts.excluded_count,
        }


def window_dict(query: MetricQuery) -> dict[str, str]:
    """Local dates in the query's zone, end exclusive; a window that is not whole days shows local
    instants instead."""
    zone = query.zone

    def show(instant: Any) -> str:
        local = instant.astimezone(zone)
        return local.date().isoformat() if is_local_midnight(instant, zone) else local.isoformat()

    return {"start": show(query.start), "end": show(query.end), "timezone": query.tz}


def summary(
    query: MetricQuery,
    settings: WorkspaceSettings | None = None,
    figures: IncidentFigures | None = None,
    changes: ChangeFailure | None = None,
    interrupted: Interruptions | None = None,
) -> Summary:
    """`figures`, `changes` and `interrupted` are the window's incident figures, change_failure and
    interruptions when the caller has them already."""
    settings = settings or workspace_settings(query.workspace_id)
    figures = figures or figures_of(query)
    changes = changes or change_failure(query, settings)
    interrupted = interrupted if interrupted is not None else interruptions(query, settings)
    return Summary(query, figures.counts, figures.mtta, figures.mttr, changes, interrupted)


@dataclass(frozen=True)
class Comparison:
    current: Summary
    previous: Summary

    def delta(self, metric: str) -> float | None:
        """current - previous for a numeric property of Summary (e.g. "incident_count", "escalation_rate");
        None when either side has no data."""
        now, before = getattr(self.current, metric), getattr(self.previous, metric)
        return None if now is None or before is None else now - before


def compare(query: MetricQuery, settings: WorkspaceSettings | None = None) -> Comparison:
    """The window's Summary beside the previous window's, each figure one statement grouped by window."""
    settings = settings or workspace_settings(query.workspace_id)
    previous = query.previous()  # ends where the window starts (windows.previous_window)
    both = query.with_window(previous.start, query.end)
    figures = incident_figures(
        incident_conditions(both, include_excluded=True),
        group_by=[bucket_index(Incident.created_at, [previous.end, query.end])],
    )
    changes_before, changes_now = change_failures(both, [previous, query], settings)
    return Comparison(
        summary(query, settings, figures.get((1,), IncidentFigures()), changes_now),
        summary(previous, settings, figures.get((0,), IncidentFigures()), changes_before),
    )
