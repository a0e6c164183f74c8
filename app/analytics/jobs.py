"""Background work of the analytics: the preset dashboard views, computed before people open them."""

from __future__ import annotations

import logging

from redis.exceptions import RedisError

from app.analytics import cache
from app.analytics.panels import PANELS, panel_context
from app.analytics.population import DEFAULT_DAYS, PRESETS, DashboardFilters
from app.analytics.query import workspace_settings
from app.extensions import db
from app.jobs import in_app_context
from app.models import Workspace
from app.queue import SYNC, QueueNotConfigured, enqueue

log = logging.getLogger(__name__)

# Data that changes while the views are computed (the next sync committed meanwhile) is warmed again, a few
# times at most: a workspace whose data never stops changing leaves the rest to its viewers.
MAX_ROUNDS = 3


@in_app_context
def warm_dashboard(workspace_id: int) -> int:
    """Compute and keep (cache.py) every panel of the presets for the workspace's current data, the view the
    dashboard opens first, so the first viewer after a sync need not wait. Returns how many views were
    computed; safe to run twice (a kept panel is not computed again)."""
    warmed = 0
    for _ in range(MAX_ROUNDS):
        workspace = db.session.get(Workspace, workspace_id)
        if workspace is None:
            return warmed
        version = workspace.data_version
        settings = workspace_settings(workspace_id)
        for filters in dashboard_views():
            query = filters.query(workspace)
            for panel in PANELS.values():
                panel_context(panel, query, filters, settings)
            db.session.rollback()  # read only: end the transaction (and its sort memory) the reads opened
            warmed += 1
        db.session.expire_all()
        if cache.data_version(workspace_id) == version:
            break
    return warmed


def dashboard_views() -> list[DashboardFilters]:
    """The presets, the view the dashboard opens on first."""
    return [DashboardFilters(days=days) for days in sorted(PRESETS, key=lambda days: days != DEFAULT_DAYS)]


def schedule_warm_dashboard(workspace_id: int) -> None:
    """Queue warm_dashboard once (a pending one is not doubled). Without a queue, the first viewer computes
    the panels instead, which is only slower: logged, not raised, so a sync that succeeded stays a success."""
    try:
        # On the sync queue, behind the sync that asked for it: never ahead of alert evaluation on `default`.
        enqueue(warm_dashboard, workspace_id, queue=SYNC, job_id=f"analytics-warm-{workspace_id}")
    except (RedisError, QueueNotConfigured) as exc:
        log.warning("could not queue the dashboard's first view for workspace %s: %s", workspace_id, exc)
