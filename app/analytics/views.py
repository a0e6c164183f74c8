"""The dashboard page (/dashboard) and its lazily loaded panels (/dashboard/panels/<name>)."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request
from markupsafe import Markup
from sqlalchemy import func, select, true

from app.accounts.context import current_workspace, member_required
from app.analytics import bp
from app.analytics.filters_form import parse_filters, priority_choices, service_choices, team_choices
from app.analytics.panels import PANELS, SERVER_RENDERED, render_kept, render_panel, window_label
from app.analytics.query import workspace_settings
from app.analytics.recent_views import note_view
from app.analytics.side_by_side import render_side_by_side
from app.extensions import db
from app.models import PagerDutyAccount, PDService, Workspace
from app.web import is_htmx, page_or_partial


@bp.get("/dashboard")
@member_required
def dashboard() -> tuple[str, int]:
    workspace = current_workspace()
    if not _has_linked_account(workspace):
        return render_template("analytics/dashboard.html", linked=False), 200
    services, teams, priorities = (
        service_choices(workspace),
        team_choices(workspace),
        priority_choices(workspace),
    )
    filters = parse_filters(request.args, services, teams, priorities)
    note_view(workspace.id, filters.params())  # recomputed after each sync while people look at it
    query = filters.query(workspace)
    settings = workspace_settings(workspace.id)
    rendered: dict[str, Markup] = {}
    to_compute = []
    for name, panel in PANELS.items():
        html = render_kept(panel, query, filters, settings)
        if html is not None:
            rendered[name] = Markup(html)
        elif name in SERVER_RENDERED:
            to_compute.append(panel)
    for name, html in render_side_by_side(to_compute, query, filters, settings).items():
        rendered[name] = Markup(html)
    context: dict[str, Any] = {
        "linked": True,
        "filters": filters,
        "query": query,
        "window_label": window_label(query),
        "services": services,
        "teams": teams,
        "priorities": priorities,
        "panels": PANELS,
        "rendered": rendered,
        "no_selected_services": not filters.services and not _has_selected_service(workspace),
    }
    return page_or_partial("analytics/dashboard.html", "analytics/_body.html", **context)


@bp.get("/dashboard/panels/<name>")
@member_required
def panel(name: str) -> str:
    if name not in PANELS:
        abort(404)
    workspace = current_workspace()
    filters = parse_filters(
        request.args, service_choices(workspace), team_choices(workspace), priority_choices(workspace)
    )
    note_view(workspace.id, filters.params())  # the minute refresh keeps an open view recent
    query = filters.query(workspace)
    html = render_panel(PANELS[name], query, filters)
    if is_htmx():
        return html
    # Without JavaScript the dashboard links here (<noscript>) for each panel it left to load: the same
    # partial in the layout, with the way back.
    return render_template(
        "analytics/panel_page.html",
        panel=PANELS[name],
        body=Markup(html),
        filters=filters,
        window_label=window_label(query),
    )


def _has_linked_account(workspace: Workspace) -> bool:
    # An unlinked account whose synced data was kept still has a history worth showing.
    linked = select(func.count(PagerDutyAccount.id)).where(PagerDutyAccount.workspace_id == workspace.id)
    return bool(db.session.scalar(linked))


def _has_selected_service(workspace: Workspace) -> bool:
    selected = select(func.count(PDService.id)).where(
        PDService.workspace_id == workspace.id, PDService.selected == true()
    )
    return bool(db.session.scalar(selected))
