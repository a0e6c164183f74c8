"""The dashboard page (/dashboard), its lazily loaded panels (/dashboard/panels/<name>) and its breakdown
tables as CSV: the rows the table shows, same filters and sort, in the report's columns
(reports.BREAKDOWN_HEADER), raw seconds and rates a spreadsheet can compute with.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, render_template, request
from markupsafe import Markup
from sqlalchemy import exists, select, true
from werkzeug.wrappers import Response

from app.accounts.context import current_workspace, member_required
from app.analytics import bp, reports
from app.analytics.panels import PANELS, SERVER_RENDERED, render_kept, render_panel, table_rows, window_label
from app.analytics.percentiles import room_to_sort
from app.analytics.population import Choices, parse_filters
from app.analytics.query import has_linked_account, workspace_settings
from app.csvio import csv_response
from app.extensions import db
from app.models import PDService, Workspace
from app.web import page_or_partial


@bp.get("/dashboard")
@member_required
def dashboard() -> str | Response:
    workspace = current_workspace()
    if not has_linked_account(workspace.id):
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


@bp.get("/dashboard/<any(services, teams):name>.csv")
@member_required
def breakdown_csv(name: str) -> Response | tuple[str, int]:
    workspace = current_workspace()
    filters = parse_filters(request.args, Choices.of(workspace))
    if filters.messages:
        # The page shows such a message above a default view; a download has nowhere to show it, and a file
        # of other rows than the ones asked for would be read as the answer.
        message = " ".join(filters.messages)
        return render_template("errors/error.html", status=400, title="Bad request", message=message), 400
    query = filters.query(workspace)
    room_to_sort()
    rows = table_rows(name, query, filters)
    first = query.start.astimezone(query.zone).date()
    last = (query.end - timedelta(microseconds=1)).astimezone(query.zone).date()
    return csv_response(
        f"by-{name.removesuffix('s')}-{first}-to-{last}.csv",
        reports.BREAKDOWN_HEADER,
        (reports.breakdown_cells(row) for row in rows),
    )


def _has_selected_service(workspace: Workspace) -> bool:
    selected = exists().where(PDService.workspace_id == workspace.id, PDService.selected == true())
    return bool(db.session.scalar(select(selected)))
