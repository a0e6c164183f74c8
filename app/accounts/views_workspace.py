"""Workspace settings, switching, creating another workspace, and the audit log."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from app.accounts import audit, bp, workspaces
from app.accounts.context import admin_required, current_workspace, login_only, set_current_workspace
from app.accounts.forms import NewWorkspaceForm, PostForm, WorkspaceSettingsForm
from app.accounts.workspace_settings import update_settings
from app.extensions import db
from app.inputs import parse_int
from app.models import AuditEvent
from app.web import isolated

AUDIT_PAGE_SIZE = 50


@bp.route("/settings/workspace", methods=["GET", "POST"])
@admin_required
def workspace_settings() -> tuple[str, int] | Response:
    workspace = current_workspace()
    form = WorkspaceSettingsForm(obj=workspace)
    if request.method == "GET":
        form.business_days.data = [str(d) for d in workspace.business_weekdays]
    if form.validate_on_submit():
        try:
            update_settings(
                workspace,
                name=form.name.data or "",
                timezone=form.timezone.data or "",
                business_day_start=form.business_day_start.data or 0,
                business_day_end=form.business_day_end.data or 0,
                business_days=form.business_days.data or [],
                cfr_attribution_hours=form.cfr_attribution_hours.data or 24,
            )
        except workspaces.AccountError as exc:
            form.form_errors.append(str(exc))
        else:
            flash("Workspace settings saved.", "success")
            return redirect(url_for("accounts.workspace_settings"))
    status = 400 if form.is_submitted() else 200
    return render_template("accounts/workspace_settings.html", form=form), status


@bp.post("/workspaces/<int:workspace_id>/switch")
@login_only
def switch_workspace(workspace_id: int) -> Response:
    if not PostForm().validate_on_submit():
        abort(400)
    if not any(m.workspace_id == workspace_id for m in current_user.memberships):
        abort(404)
    set_current_workspace(workspace_id)
    return redirect(url_for("analytics.dashboard"))


@bp.post("/workspaces/new")
@login_only
def new_workspace() -> Response | tuple[str, int]:
    form = NewWorkspaceForm()
    if form.validate_on_submit():
        try:
            workspace = workspaces.create_workspace(
                form.name.data or "", current_user, form.timezone.data or "UTC"
            )
        except workspaces.AccountError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            audit.record(workspace, "workspace.created", workspace.name)
            db.session.commit()
            set_current_workspace(workspace.id)
            flash(f"Workspace {isolated(workspace.name)} created.", "success")
            return redirect(url_for("analytics.dashboard"))
    return render_template("accounts/no_workspace.html", form=form), 400


@bp.get("/settings/audit")
@admin_required
def audit_log() -> str:
    workspace = current_workspace()
    total = (
        db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.workspace_id == workspace.id))
        or 0
    )
    pages = max(1, -(-total // AUDIT_PAGE_SIZE))
    # A page past the end (or not a number) shows the last page rather than an empty one or an overflow.
    page = min(parse_int(request.args.get("page"), minimum=1) or 1, pages)
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.workspace_id == workspace.id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(AUDIT_PAGE_SIZE)
        .offset((page - 1) * AUDIT_PAGE_SIZE)
    ).all()
    return render_template("accounts/audit.html", events=events, page=page, pages=pages, total=total)
