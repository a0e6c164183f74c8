"""Background work of the analytics: the dashboard's first view, computed before anyone opens it."""

from __future__ import annotations

import logging

from redis.exceptions import RedisError

from app.analytics.filters_form import DEFAULT_DAYS, PRESETS, DashboardFilters
from app.analytics.panels import PANELS, panel_context
from app.analytics.query import workspace_settings
from app.extensions import db
from app.jobs import in_app_context
from app.models import Workspace
from app.queue import SYNC, QueueNotConfigured, enqueue

log = logging.getLogger(__name__)


@in_app_context
def warm_dashboard(workspace_id: int) -> int:
    """Compute and keep (cache.py) every panel of the dashboard as it opens (the last 30 days of the followed
    services), then of the other presets (7 and 90 days), for the workspace's current data: the first viewer
    after a sync reads them instead of waiting. Returns how many views were computed; safe to run twice (a
    kept panel is not computed again)."""
    workspace = db.session.get(Workspace, workspace_id)
    if workspace is None:
        return 0
    settings = workspace_settings(workspace_id)
    presets = sorted(PRESETS, key=lambda days: days != DEFAULT_DAYS)  # the view the dashboard opens on first
    for days in presets:
        filters = DashboardFilters(days=days)
        query = filters.query(workspace)
        for panel in PANELS.values():
            panel_context(panel, query, filters, settings)
        db.session.rollback()  # read only: end the transaction (and its sort memory) the reads opened
    return len(presets)


def schedule_warm_dashboard(workspace_id: int) -> None:
    """Queue warm_dashboard once (a pending one is not doubled). Without a queue, the first viewer computes
    the panels instead, which is only slower: logged, not raised, so a sync that succeeded stays a success."""
    try:
        # On the sync queue, behind the sync that asked for it: never ahead of alert evaluation on `default`.
        enqueue(warm_dashboard, workspace_id, queue=SYNC, job_id=f"analytics-warm-{workspace_id}")
    except (RedisError, QueueNotConfigured) as exc:
        log.warning("could not queue the dashboard's first view for workspace %s: %s", workspace_id, exc)
