"""The headline numbers for one window: counts, MTTA, MTTR, rates, deployments, CFR and interruptions.

`summary(query)` is what the dashboard, the JSON API (`Summary.to_dict()` is its exact shape), the CLI and
alert rules call; `compare(query)` adds the previous window of equal length. Each number is one aggregate
query over ix_incidents_ws_created (workspace_id, created_at), narrowed by the population filters.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import and_, case, false, func, select, true

from app.analytics.apart import run_apart
from app.analytics.deployments import ChangeFailure, change_failure, change_failure_beside, rate
from app.analytics.dora import DoraBand, change_failure_band, recovery_time_band
from app.analytics.filters import incident_conditions
from app.analytics.interruptions import Interruptions, interruptions
from app.analytics.percentiles import (
    DurationStats,
    is_postgresql,
    single_stats,
    stats_columns,
    stats_of,
)
from app.analytics.query import MetricQuery, WorkspaceSettings, workspace_settings
from app.analytics.windows import is_local_midnight
from app.extensions import db
from app.models import Incident

_WEEK_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class IncidentCounts:
    incident_count: int = 0
    unresolved_count: int = 0
    resolved_count: int = 0
    escalated_count: int = 0
    auto_resolved_count: int = 0
    # Excluded incidents that would otherwise be in the population: shown so an exclusion is never silent.
    excluded_count: int = 0


def _count_columns() -> list[Any]:
    counted = Incident.excluded == false()
    resolved = Incident.status == "resolved"

    def count_if(*conditions: Any) -> Any:
        return func.coalesce(func.sum(case((and_(counted, *conditions), 1), else_=0)), 0)

    return [
        count_if().label("incidents"),
        count_if(~resolved).label("unresolved"),
        count_if(resolved).label("resolved"),
        count_if(Incident.escalation_count >= 1).label("escalated"),
        count_if(resolved, Incident.auto_resolved == true()).label("auto_resolved"),
        func.coalesce(func.sum(case((Incident.excluded == true(), 1), else_=0)), 0).label("excluded"),
    ]


def incident_counts(query: MetricQuery) -> IncidentCounts:
    row = db.session.execute(
        select(*_count_columns()).where(*incident_conditions(query, include_excluded=True))
    ).one()
    return _counts_of(row)


def _counts_of(row: Any) -> IncidentCounts:
    return IncidentCounts(
        incident_count=int(row.incidents),
        unresolved_count=int(row.unresolved),
        resolved_count=int(row.resolved),
        escalated_count=int(row.escalated),
        auto_resolved_count=int(row.auto_resolved),
        excluded_count=int(row.excluded),
    )


def mtta(query: MetricQuery) -> DurationStats:
    """Over incidents created in the window that were acknowledged (first acknowledgement - created)."""
    return single_stats(
        select(Incident.ack_seconds.label("value")).where(*incident_conditions(query)).subquery()
    )


def mttr(query: MetricQuery) -> DurationStats:
    """Over incidents created in the window that are resolved now (final resolve - created)."""
    return single_stats(
        select(Incident.resolve_seconds.label("value"))
        .where(*incident_conditions(query), Incident.status == "resolved")
        .subquery()
    )


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
        return self.counts.incident_count * _WEEK_SECONDS / self.query.duration.total_seconds()

    @property
    def escalation_rate(self) -> float | None:
        """Share of the window's incidents escalated at least once."""
        return rate(self.counts.escalated_count, self.counts.incident_count)

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
            # Added after the fields above, which keep their meaning for existing callers.
            "failed_deployment_recovery_seconds": self.changes.recovery.to_dict(),
            "unrecovered_deployment_count": self.changes.unrecovered_count,
            "auto_resolve_rate": self.auto_resolve_rate,
            "dora": {
                "change_failure_rate": _band_value(self.change_failure_band),
                "recovery_time": _band_value(self.recovery_time_band),
            },
            "excluded_count": self.counts.excluded_count,
        }


def _band_value(band: DoraBand | None) -> str | None:
    return None if band is None else band.value


def window_dict(query: MetricQuery) -> dict[str, str]:
    """Local dates in the query's zone, end exclusive; a window that is not whole days shows local
    instants instead."""
    zone = query.zone

    def show(instant: Any) -> str:
        local = instant.astimezone(zone)
        return local.date().isoformat() if is_local_midnight(instant, zone) else local.isoformat()

    return {"start": show(query.start), "end": show(query.end), "timezone": query.tz}


def incident_figures(query: MetricQuery) -> tuple[IncidentCounts, DurationStats, DurationStats]:
    """incident_counts, mtta and mttr; on PostgreSQL in one pass over the window (CASE picks each figure's
    rows, exactly as the three separate queries' conditions do)."""
    if not is_postgresql():
        return incident_counts(query), mtta(query), mttr(query)
    counted = Incident.excluded == false()
    resolved = and_(counted, Incident.status == "resolved")
    row = db.session.execute(
        select(
            *_count_columns(),
            *stats_columns(case((counted, Incident.ack_seconds)), "mtta"),
            *stats_columns(case((resolved, Incident.resolve_seconds)), "mttr"),
        ).where(*incident_conditions(query, include_excluded=True))
    ).one()
    return _counts_of(row), stats_of(row, "mtta"), stats_of(row, "mttr")


IncidentFigures = tuple[IncidentCounts, DurationStats, DurationStats]


def incident_figures_beside(
    query: MetricQuery, previous: MetricQuery
) -> tuple[IncidentFigures, IncidentFigures]:
    """incident_figures of a window and of the window just before it; on PostgreSQL in one pass over both,
    grouped by which window an incident was created in (the dashboard compares every tile)."""
    if (
        not is_postgresql()
        or previous.end != query.start
        or replace(previous, start=query.start, end=query.end) != query
    ):
        return incident_figures(query), incident_figures(previous)
    counted = Incident.excluded == false()
    resolved = and_(counted, Incident.status == "resolved")
    current = (Incident.created_at >= query.start).label("current")
    rows = db.session.execute(
        select(
            current,
            *_count_columns(),
            *stats_columns(case((counted, Incident.ack_seconds)), "mtta"),
            *stats_columns(case((resolved, Incident.resolve_seconds)), "mttr"),
        )
        .where(*incident_conditions(query, start=previous.start, include_excluded=True))
        .group_by(current)
    ).all()
    by_window: dict[bool, IncidentFigures] = {
        bool(row.current): (_counts_of(row), stats_of(row, "mtta"), stats_of(row, "mttr")) for row in rows
    }
    nothing = (IncidentCounts(), DurationStats(), DurationStats())
    return by_window.get(True, nothing), by_window.get(False, nothing)


def summary(
    query: MetricQuery,
    settings: WorkspaceSettings | None = None,
    figures: IncidentFigures | None = None,
    changes: ChangeFailure | None = None,
    interrupted: Interruptions | None = None,
) -> Summary:
    """`figures`, `changes` and `interrupted` are the window's incident_figures, change_failure and
    interruptions when the caller has them already."""
    settings = settings or workspace_settings(query.workspace_id)
    counts, ack, resolve = figures or incident_figures(query)
    return Summary(
        query=query,
        counts=counts,
        mtta=ack,
        mttr=resolve,
        changes=changes or change_failure(query, settings),
        interruptions=interrupted if interrupted is not None else interruptions(query, settings),
    )


@dataclass(frozen=True)
class Comparison:
    current: Summary
    previous: Summary

    def delta(self, metric: str) -> float | None:
        """current - previous for a numeric property of Summary (e.g. "incident_count", "escalation_rate");
        None when either side has no data."""
        now, before = getattr(self.current, metric), getattr(self.previous, metric)
        if now is None or before is None:
            return None
        return now - before


def compare(query: MetricQuery, settings: WorkspaceSettings | None = None, apart: bool = False) -> Comparison:
    """The window's Summary beside the previous window's. With `apart` (a view or job, which read committed
    rows) on PostgreSQL, the incident figures of both windows are computed on a connection of their own while
    CFR and the interruptions are on another: on a million incidents, two 30-day windows took ~130 ms instead
    of ~200 in turn, two 90-day ones ~460 instead of ~600 (the figures are about half of it; more connections
    measured slower on 2 cores)."""
    settings = settings or workspace_settings(query.workspace_id)
    previous = query.previous()

    def the_rest() -> tuple[tuple[ChangeFailure, ChangeFailure], Interruptions, Interruptions]:
        return (
            change_failure_beside(query, previous, settings),
            interruptions(query, settings),
            interruptions(previous, settings),
        )

    if apart and is_postgresql():
        figures, rest = (
            f.result() for f in run_apart([lambda: incident_figures_beside(query, previous), the_rest])
        )
    else:
        figures, rest = incident_figures_beside(query, previous), the_rest()
    (now, before), ((changes_now, changes_before), interrupted_now, interrupted_before) = figures, rest
    return Comparison(
        summary(query, settings, now, changes_now, interrupted_now),
        summary(previous, settings, before, changes_before, interrupted_before),
    )
