"""API keys settings page: create a key (shown once), revoke one. Owners and admins only."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.accounts import api_keys as keys
from app.accounts import audit, bp
from app.accounts.context import admin_required, current_workspace
from app.accounts.forms import ApiKeyForm, PostForm
from app.extensions import db
from app.models import ApiKey
from app.web import is_htmx, page_or_partial, show_once, take_shown_once

PAGE = "accounts/api_keys.html"
PARTIAL = "accounts/_api_keys.html"


def _key_or_404(key_id: int) -> ApiKey:
    key = db.session.scalar(
        select(ApiKey).where(ApiKey.id == key_id, ApiKey.workspace_id == current_workspace().id)
    )
    if key is None:
        abort(404)
    return key


def _context(form: ApiKeyForm | None = None, new_key: str | None = None) -> dict[str, object]:
    return {
        "api_keys": keys.workspace_keys(current_workspace().id),
        "form": form or ApiKeyForm(formdata=None),
        "new_key": new_key,
    }


@bp.get("/settings/api-keys")
@admin_required
def api_keys() -> str:
    return render_template(PAGE, **_context(new_key=take_shown_once("api_key")))


@bp.post("/settings/api-keys")
@admin_required
def create_api_key() -> Response | tuple[str, int]:
    form = ApiKeyForm()
    if not form.validate_on_submit():
        return page_or_partial(PAGE, PARTIAL, 400, **_context(form=form))
    try:
        key, raw = keys.create_key(current_workspace(), form.name.data or "", current_user)
    except keys.ApiKeyError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return page_or_partial(PAGE, PARTIAL, 400, **_context(form=form))
    audit.record(current_workspace(), "api_key.created", key.name, prefix=key.prefix)
    db.session.commit()
    # The only response that ever holds the raw key; after this it exists only where the admin pastes it.
    if not is_htmx():
        show_once("api_key", raw)
        return redirect(url_for("accounts.api_keys"))
    return render_template(PARTIAL, **_context(new_key=raw)), 201


@bp.post("/settings/api-keys/<int:key_id>/revoke")
@admin_required
def revoke_api_key(key_id: int) -> Response | tuple[str, int]:
    if not PostForm().validate_on_submit():
        abort(400)
    key = _key_or_404(key_id)
    keys.revoke_key(key)
    audit.record(current_workspace(), "api_key.revoked", key.name, prefix=key.prefix)
    db.session.commit()
    if is_htmx():
        return render_template("accounts/_api_key_row.html", key=key), 200
    flash(f"Key {key.prefix}… revoked.", "success")
    return redirect(url_for("accounts.api_keys"))
