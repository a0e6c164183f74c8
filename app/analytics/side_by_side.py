"""The dashboard page's own panels, computed side by side when none of them is kept.

The page renders the tiles and the two tables itself (they read without JavaScript), so a view whose answers
are not kept (cache.py) waited for three computations one after the other before its first byte: on a million
incidents ~180 + 40 + 70 ms for the last 30 days, ~1.2 s for 90. The database does that work, and it has more
than one core: each panel is computed in its own app context (so on its own session and connection) on a
short-lived thread, and the page waits for the slowest rather than the sum. The templates are rendered back on
the request's thread, which owns the request context they need.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from app.analytics.apart import run_apart
from app.analytics.filters_form import DashboardFilters
from app.analytics.panels import Panel, panel_context, render_outcome, render_panel
from app.analytics.query import MetricQuery, WorkspaceSettings


def render_side_by_side(
    panels: Sequence[Panel], query: MetricQuery, filters: DashboardFilters, settings: WorkspaceSettings
) -> dict[str, str]:
    """Each panel's partial by name, as render_panel gives it (the error partial for a panel that failed)."""
    if len(panels) < 2:
        return {panel.name: render_panel(panel, query, filters, settings) for panel in panels}
    futures = run_apart([partial(panel_context, panel, query, filters, settings) for panel in panels])
    return {
        panel.name: render_outcome(panel, query, filters, future.result)
        for panel, future in zip(panels, futures, strict=True)
    }
