"""Workspace settings and API keys (admins), switching, creating another workspace, and the audit log."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from app.accounts import api_keys as keys
from app.accounts import audit, bp, workspaces
from app.accounts.context import (
    admin_required,
    current_workspace,
    login_only,
    scoped_get_or_404,
    set_current_workspace,
)
from app.accounts.forms import ApiKeyForm, NewWorkspaceForm, PostForm, WorkspaceSettingsForm
from app.accounts.workspaces import update_settings
from app.extensions import db
from app.inputs import parse_int
from app.models import ApiKey, AuditEvent
from app.web import is_htmx, isolated, page_or_partial, show_once, take_shown_once

AUDIT_PAGE_SIZE = 50
KEYS_PAGE = "accounts/api_keys.html"
KEYS_PARTIAL = "accounts/_api_keys.html"


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
    return render_template("accounts/workspace_settings.html", form=form), 400 if form.is_submitted() else 200


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
    events_here = AuditEvent.workspace_id == workspace.id
    total = db.session.scalar(select(func.count(AuditEvent.id)).where(events_here)) or 0
    pages = max(1, -(-total // AUDIT_PAGE_SIZE))
    # A page past the end (or not a number) shows the last page rather than an empty one or an overflow.
    page = min(parse_int(request.args.get("page"), minimum=1) or 1, pages)
    events = db.session.scalars(
        select(AuditEvent)
        .where(events_here)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(AUDIT_PAGE_SIZE)
        .offset((page - 1) * AUDIT_PAGE_SIZE)
    ).all()
    return render_template("accounts/audit.html", events=events, page=page, pages=pages, total=total)


def _keys_context(form: ApiKeyForm | None = None, new_key: str | None = None) -> dict[str, object]:
    return {
        "api_keys": keys.workspace_keys(current_workspace().id),
        "form": form or ApiKeyForm(formdata=None),
        "new_key": new_key,
    }


@bp.get("/settings/api-keys")
@admin_required
def api_keys() -> str:
    return render_template(KEYS_PAGE, **_keys_context(new_key=take_shown_once("api_key")))


@bp.post("/settings/api-keys")
@admin_required
def create_api_key() -> Response | tuple[str, int]:
    form = ApiKeyForm()
    if form.validate_on_submit():
        try:
            key, raw = keys.create_key(current_workspace(), form.name.data or "", current_user)
        except keys.ApiKeyError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            audit.record(current_workspace(), "api_key.created", key.name, prefix=key.prefix)
            db.session.commit()
            # The only response that ever holds the raw key: after it, only the admin's paste holds it.
            if not is_htmx():
                show_once("api_key", raw)
                return redirect(url_for("accounts.api_keys"))
            return render_template(KEYS_PARTIAL, **_keys_context(new_key=raw)), 201
    return page_or_partial(KEYS_PAGE, KEYS_PARTIAL, 400, **_keys_context(form=form))


@bp.post("/settings/api-keys/<int:key_id>/revoke")
@admin_required
def revoke_api_key(key_id: int) -> Response | tuple[str, int]:
    if not PostForm().validate_on_submit():
        abort(400)
    key = scoped_get_or_404(ApiKey, key_id)
    keys.revoke_key(key)
    audit.record(current_workspace(), "api_key.revoked", key.name, prefix=key.prefix)
    db.session.commit()
    if is_htmx():
        return render_template("accounts/_api_key_row.html", key=key), 200
    flash(f"Key {key.prefix}… revoked.", "success")
    return redirect(url_for("accounts.api_keys"))
