"""The dashboard page (/dashboard) and its lazily loaded panels (/dashboard/panels/<name>)."""

from __future__ import annotations

from typing import Any

from flask import abort, render_template, request
from markupsafe import Markup
from sqlalchemy import func, select, true
from werkzeug.wrappers import Response

from app.accounts.context import current_workspace, member_required
from app.analytics import bp
from app.analytics.filters_form import parse_filters
from app.analytics.panels import PANELS, SERVER_RENDERED, render_kept, render_panel, window_label
from app.analytics.population import Choices
from app.analytics.query import workspace_settings
from app.extensions import db
from app.models import PagerDutyAccount, PDService, Workspace
from app.web import page_or_partial


@bp.get("/dashboard")
@member_required
def dashboard() -> str | Response:
    workspace = current_workspace()
    if not _has_linked_account(workspace):
        return render_template("analytics/dashboard.html", linked=False)
    choices = Choices.of(workspace)
    filters = parse_filters(request.args, choices)
    query = filters.query(workspace)
    settings = workspace_settings(workspace.id)
    rendered: dict[str, Markup] = {}
    for name, panel in PANELS.items():
        html = render_kept(panel, query, filters, settings)
        if html is None and name in SERVER_RENDERED:
            html = render_panel(panel, query, filters, settings)
        if html is not None:
            rendered[name] = Markup(html)
    context: dict[str, Any] = {
        "linked": True,
        "filters": filters,
        "query": query,
        "window_label": window_label(query),
        "choices": choices,
        "panels": PANELS,
        "rendered": rendered,
        "no_selected_services": not filters.services and not _has_selected_service(workspace),
    }
    return page_or_partial("analytics/dashboard.html", "analytics/_body.html", **context)


@bp.get("/dashboard/panels/<name>")
@member_required
def panel(name: str) -> Response:
    if name not in PANELS:
        abort(404)
    workspace = current_workspace()
    filters = parse_filters(request.args, Choices.of(workspace))
    query = filters.query(workspace)
    # Without JavaScript the dashboard links here (<noscript>) for each panel it left to load: the same
    # partial in the layout, with the way back.
    return page_or_partial(
        "analytics/panel_page.html",
        "analytics/_panel.html",
        panel=PANELS[name],
        body=Markup(render_panel(PANELS[name], query, filters)),
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
