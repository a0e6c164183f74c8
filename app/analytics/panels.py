"""Dashboard panels: each turns a MetricQuery into the context of its partial `analytics/_<name>.html`.

Numbers are formatted here (durations, rates, deltas with "better"/"worse"), so templates only lay them out.
A metric with no data is shown as "—", never as 0.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from flask import render_template

from app.analytics import breakdowns, cache, interruptions, metrics, recurring, responders
from app.analytics.breakdowns import BreakdownRow
from app.analytics.dora import DoraBand
from app.analytics.percentiles import room_to_sort
from app.analytics.population import DashboardFilters
from app.analytics.query import MetricQuery, WorkspaceSettings, workspace_settings
from app.extensions import db
from app.web import duration, percent

log = logging.getLogger(__name__)

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class Delta:
    text: str  # "+3", "-4 m 2 s", "+2.5 pp"; "" when there is nothing to compare
    arrow: str  # "▲", "▼", "" (no change or no data)
    verdict: str  # "better", "worse", "changed" (neither is better), "same", "none"


def delta(now: float | None, before: float | None, fmt: str, lower_is_better: bool | None = True) -> Delta:
    """`lower_is_better=None` for a figure whose direction is no verdict: the change is shown, not judged."""
    if now is None or before is None:
        return Delta("no data to compare", "", "none")
    change = now - before
    # Below what the tile shows (whole seconds, a tenth of a point), a change would read "▲ +0 s".
    if abs(change) < {"duration": 0.5, "rate": 0.0005}.get(fmt, 1e-9):
        return Delta("no change", "", "same")
    if fmt == "duration":
        text = ("+" if change > 0 else "-") + duration(abs(change))
    elif fmt == "rate":
        text = f"{change * 100:+.1f} pp"
    else:
        text = f"{change:+g}"
    arrow = "▲" if change > 0 else "▼"
    if lower_is_better is None:
        return Delta(text, arrow, "changed")
    better = (change < 0) == lower_is_better
    return Delta(text, arrow, "better" if better else "worse")


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    value: str
    delta: Delta
    details: tuple[str, ...] = ()
    band: DoraBand | None = None


def kpis(query: MetricQuery, filters: DashboardFilters, settings: WorkspaceSettings) -> dict[str, Any]:
    comparison = metrics.compare(query, settings)
    now, before = comparison.current, comparison.previous
    cfr_now, cfr_before = now.changes.change_failure_rate, before.changes.change_failure_rate
    recovery_now, recovery_before = now.changes.recovery, before.changes.recovery
    tiles = [
        Tile(
            "incidents",
            "Incidents",
            str(now.incident_count),
            delta(now.incident_count, before.incident_count, "count"),
            (f"{now.incidents_per_week:.1f} per week",),
        ),
        Tile(
            "mtta",
            "MTTA",
            duration(now.mtta.mean),
            delta(now.mtta.mean, before.mtta.mean, "duration"),
            (f"p50 {duration(now.mtta.p50)}", f"p90 {duration(now.mtta.p90)}"),
        ),
        Tile(
            "mttr",
            "MTTR",
            duration(now.mttr.mean),
            delta(now.mttr.mean, before.mttr.mean, "duration"),
            (
                f"p50 {duration(now.mttr.p50)}",
                f"p90 {duration(now.mttr.p90)}",
                f"{now.unresolved_count} unresolved",
            ),
        ),
        Tile(
            "cfr",
            "Change failure rate",
            percent(cfr_now),
            delta(cfr_now, cfr_before, "rate"),
            (f"{now.changes.failed_deployment_count} failed of {now.changes.deployment_count}",),
            band=now.change_failure_band,
        ),
        Tile(
            "recovery",
            "Recovery time",
            # The median, as DORA's band is defined on it.
            duration(recovery_now.p50),
            delta(recovery_now.p50, recovery_before.p50, "duration"),
            (
                f"median of {recovery_now.count} recovered",
                f"{now.changes.unrecovered_count} not yet recovered",
            ),
            band=now.recovery_time_band,
        ),
        Tile(
            "deployments",
            "Deployments",
            str(now.changes.deployment_count),
            delta(
                now.changes.deployment_count, before.changes.deployment_count, "count", lower_is_better=False
            ),
            (f"{now.changes.deployments_per_week:.1f} per week",),
        ),
        Tile(
            "escalation",
            "Escalation rate",
            percent(now.escalation_rate),
            delta(now.escalation_rate, before.escalation_rate, "rate"),
            (f"{now.counts.escalated_count} escalated",),
        ),
        Tile(
            "auto_resolve",
            "Auto-resolve rate",
            percent(now.auto_resolve_rate),
            # Neither direction is better: a timeout or a monitor resolving is fine for a self-healing blip
            # and a sign of noise for a page nobody needed, so the change is shown without a verdict.
            delta(now.auto_resolve_rate, before.auto_resolve_rate, "rate", lower_is_better=None),
            (f"{now.counts.auto_resolved_count} of {now.counts.resolved_count} resolved",),
        ),
        Tile(
            "sleep",
            "Sleep-hour interruptions",
            str(now.interruptions.sleep),
            delta(now.interruptions.sleep, before.interruptions.sleep, "count"),
            (f"{now.interruptions.total} interruptions in all",),
        ),
    ]
    return {
        "tiles": tiles,
        "empty": now.incident_count == 0 and now.changes.deployment_count == 0,
        "excluded_count": now.counts.excluded_count,
    }


def window_label(query: MetricQuery) -> str:
    """'1 Mar 2026 to 30 Mar 2026': the last day shown is the one before the exclusive end.

    Local dates in the query's zone, which the page's footer names (base.html), not the label.
    """
    first = query.start.astimezone(query.zone)
    last = (query.end - timedelta(microseconds=1)).astimezone(query.zone)
    return f"{first:%-d %b %Y} to {last:%-d %b %Y}"


def trends_panel(
    query: MetricQuery, filters: DashboardFilters, settings: WorkspaceSettings
) -> dict[str, Any]:
    unit = "day" if query.duration.days <= 21 else "week"
    points = breakdowns.trend(query, unit, settings)
    labels = [point.label.strftime("%d %b") for point in points]
    # A partial first or last day/week is drawn lighter and named, so fewer incidents in 3 of 7 days never
    # reads as a drop.
    partial = [round(point.share, 3) if point.partial else None for point in points]
    notes = [_partial_note(point, unit) for point in points]

    rows = [
        {
            "label": label + (f" ({note})" if note else ""),
            "incidents": point.incident_count,
            "mtta": duration(point.mtta.mean),
            "mttr": duration(point.mttr.mean),
            "deployments": point.deployment_count,
            "cfr": percent(point.change_failure_rate),
        }
        for label, note, point in zip(labels, notes, points, strict=True)
    ]
    cfr = [None if p.change_failure_rate is None else round(p.change_failure_rate * 100, 1) for p in points]
    common = {"labels": labels, "partial": partial, "notes": notes}
    charts = {
        "incidents": {
            **common,
            "datasets": [{"type": "bar", "label": "Incidents", "data": [p.incident_count for p in points]}],
        },
        "mtta": _duration_chart(common, "MTTA", [p.mtta.mean for p in points]),
        "mttr": _duration_chart(common, "MTTR", [p.mttr.mean for p in points]),
        "changes": {
            **common,
            "datasets": [
                {"type": "bar", "label": "Deployments", "data": [p.deployment_count for p in points]},
                {"type": "line", "label": "CFR (%)", "data": cfr, "yAxisID": "percent"},
            ],
        },
    }
    empty = not any(p.incident_count or p.deployment_count for p in points)
    partial_notes = [f"{label}: {note}" for label, note in zip(labels, notes, strict=True) if note]
    return {"unit": unit, "rows": rows, "charts": charts, "empty": empty, "partial_notes": partial_notes}


def _partial_note(point: breakdowns.TrendPoint, unit: str) -> str | None:
    """'3 of 7 days' for a partial week or month, '5 of 24 hours' for a partial day."""
    if not point.partial:
        return None
    inside, whole = point.end - point.start, point.full_end - point.full_start
    if unit == "day":
        return f"{round(inside / timedelta(hours=1))} of {round(whole / timedelta(hours=1))} hours"
    days = round(whole / timedelta(days=1))
    return f"{max(1, round(inside / timedelta(days=1)))} of {days} days"


def _duration_chart(common: dict[str, Any], name: str, means: list[float | None]) -> dict[str, Any]:
    """One duration per chart, in the unit that reads best for its largest value (minutes or hours)."""
    largest = max((value for value in means if value is not None), default=0.0)
    per, unit = (3600, "h") if largest >= 3 * 3600 else (60, "min")
    data = [None if value is None else round(value / per, 1) for value in means]
    return {**common, "unit": unit, "datasets": [{"type": "line", "label": f"{name} ({unit})", "data": data}]}


_SORTERS: dict[str, Callable[[BreakdownRow], Any]] = {
    "name": lambda row: row.name.lower(),
    "incidents": lambda row: row.incident_count,
    "unresolved": lambda row: row.unresolved_count,
    "escalation": lambda row: row.escalation_rate,
    "mtta": lambda row: row.mtta.mean,
    "mttr": lambda row: row.mttr.mean,
}


# The dashboard's breakdown tables (panels and CSV): their rows, and the filter parameter holding their sort.
TABLES: dict[str, tuple[Callable[[MetricQuery], list[BreakdownRow]], str]] = {
    "services": (breakdowns.by_service, "service_sort"),
    "teams": (breakdowns.by_team, "team_sort"),
}


def table_rows(name: str, query: MetricQuery, filters: DashboardFilters) -> list[BreakdownRow]:
    """A breakdown table's rows in the order its sort filter asks for; rows without data for the key always go
    last, whichever the direction."""
    rows_of, param = TABLES[name]
    rows, sort = rows_of(query), getattr(filters, param)
    key = _SORTERS[sort.removeprefix("-")]
    known = [row for row in rows if key(row) is not None]
    unknown = [row for row in rows if key(row) is None]
    return sorted(known, key=key, reverse=sort.startswith("-")) + unknown


def _breakdown(
    name: str, query: MetricQuery, filters: DashboardFilters, settings: WorkspaceSettings
) -> dict[str, Any]:
    param = TABLES[name][1]
    rows = table_rows(name, query, filters)
    return {
        "rows": [
            {
                "name": row.name,
                "incidents": row.incident_count,
                "unresolved": row.unresolved_count,
                "escalation": percent(row.escalation_rate),
                "mtta": duration(row.mtta.mean),
                "mttr": duration(row.mttr.mean),
                "mttr_p90": duration(row.mttr.p90),
            }
            for row in rows
        ],
        "sort": getattr(filters, param),
        "sort_param": param,
        "empty": not any(row.incident_count for row in rows),
    }


TOP_ROWS = 10


def recurring_panel(
    query: MetricQuery, filters: DashboardFilters, settings: WorkspaceSettings
) -> dict[str, Any]:
    # The dashboard is read at a glance: the largest groups only (a busy account has hundreds).
    groups = recurring.recurring_incidents(query)  # largest first
    return {
        "groups": groups[:TOP_ROWS],
        "total_groups": len(groups),
        "empty": not groups,
        "percent": percent,
        "query_zone": query.zone,
    }


def heatmap_panel(
    query: MetricQuery, filters: DashboardFilters, settings: WorkspaceSettings
) -> dict[str, Any]:
    grid = breakdowns.heatmap(query)
    peak = max((count for row in grid for count in row), default=0)

    def level(count: int) -> int:
        return 0 if count == 0 or peak == 0 else max(1, round(count * 5 / peak))

    rows = [
        {"day": WEEKDAYS[index], "cells": [(count, level(count)) for count in row]}
        for index, row in enumerate(grid)
    ]
    return {"rows": rows, "hours": range(24), "peak": peak, "empty": peak == 0, "tz": query.tz}


def responders_panel(
    query: MetricQuery, filters: DashboardFilters, settings: WorkspaceSettings
) -> dict[str, Any]:
    by_user = interruptions.interruptions_by_user(query, settings)  # computed once for totals and rows
    totals = sum(by_user.values(), interruptions.Interruptions())
    # responder_load puts the people carrying the most pages first (docs/metrics.md).
    load = responders.responder_load(query, settings, by_user)
    empty = totals.total == 0 and not any(row.acknowledged or row.escalations_received for row in load)
    return {
        "totals": totals,
        "load": load[:TOP_ROWS],
        "total_responders": len(load),
        "empty": empty,
        "business_hours": settings.business_hours_label,
    }


@dataclass(frozen=True)
class Panel:
    name: str
    title: str
    build: Callable[[MetricQuery, DashboardFilters, WorkspaceSettings], dict[str, Any]]

    @property
    def template(self) -> str:
        return f"analytics/_{self.name}.html"


PANELS: dict[str, Panel] = {
    panel.name: panel
    for panel in (
        Panel("kpis", "Headline numbers", kpis),
        Panel("trends", "Trends", trends_panel),
        Panel("services", "By service", partial(_breakdown, "services")),
        Panel("teams", "By team", partial(_breakdown, "teams")),
        Panel("recurring", "Recurring incidents", recurring_panel),
        Panel("heatmap", "When incidents start", heatmap_panel),
        Panel("responders", "Interruptions and responder load", responders_panel),
    )
}
# Rendered in the first response, so the headline numbers and tables read without JavaScript. The other panels
# are too when their answer is kept (cache.py); else they load lazily.
SERVER_RENDERED = ("kpis", "services", "teams")


def render_panel(
    panel: Panel, query: MetricQuery, filters: DashboardFilters, settings: WorkspaceSettings | None = None
) -> str:
    """The panel's partial (its context kept until the data changes, cache.py), or the error partial (logged
    with its traceback) if computing it failed."""
    settings = settings or workspace_settings(query.workspace_id)
    try:
        values = panel_context(panel, query, filters, settings)
    except Exception:
        # One broken panel must not blank the dashboard.
        log.exception("dashboard panel %s failed for workspace %s", panel.name, query.workspace_id)
        db.session.rollback()
        return render_template("analytics/_error.html", panel=panel, filters=filters)
    return render_template(panel.template, panel=panel, filters=filters, **values)


def panel_context(
    panel: Panel, query: MetricQuery, filters: DashboardFilters, settings: WorkspaceSettings
) -> dict[str, Any]:
    """What the panel's template shows, computed once per version of the workspace's data."""
    question = _question(panel, query, filters, settings)

    def compute() -> dict[str, Any]:
        room_to_sort()
        return panel.build(query, filters, settings)

    return cache.remember(query.workspace_id, question, compute)


def render_kept(
    panel: Panel, query: MetricQuery, filters: DashboardFilters, settings: WorkspaceSettings
) -> str | None:
    """The panel's partial if its answer for the current data is kept, else None (nothing is computed)."""
    context = cache.peek(query.workspace_id, _question(panel, query, filters, settings))
    if not isinstance(context, dict):
        return None
    return render_template(panel.template, panel=panel, filters=filters, **context)


def _question(
    panel: Panel, query: MetricQuery, filters: DashboardFilters, settings: WorkspaceSettings
) -> tuple[object, ...]:
    # Sorts are the only part of the filters a panel reads besides the query itself.
    return ("panel", panel.name, query, settings, tuple(sorted(filters.params().items())))
