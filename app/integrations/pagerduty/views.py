"""The Integrations page and the two ways to link: OAuth (Authlib) and a user API token."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.accounts.context import admin_required, current_membership, current_workspace, member_required
from app.accounts.context import scoped_get_or_404 as get_or_404
from app.models import PagerDutyAccount, Role
from app.web import is_htmx, page_or_partial

from . import bp, link, oauth
from .capabilities import requested_scopes
from .cards import card_for
from .credentials import settings, workspace_accounts
from .forms import OAuthStartForm, TokenForm
from .link import LinkError

# The OAuth flow this browser started: its state, workspace and requested scopes (one at a time).
PENDING = "pagerduty_oauth"
NOT_CONFIGURED = "OAuth is not configured on this Vigil server: link with a user API token instead."
MOVED_WORKSPACE = (
    "You switched workspaces while PagerDuty was asking for consent, so nothing was linked. Start again from "
    "this workspace's Integrations page."
)


@bp.get("/integrations")
@member_required
def integrations() -> str:
    config = settings()
    return render_template(
        "integrations/index.html",
        cards=[card_for(a) for a in workspace_accounts(current_workspace().id)],
        oauth_ready=oauth.is_configured(config),
        oauth_kind=config.pagerduty_oauth_kind,
        oauth_form=OAuthStartForm(alert_delivery=True, realtime=True),
        can_admin=current_membership().role.at_least(Role.ADMIN),
    )


@bp.get("/integrations/pagerduty/token")
@admin_required
def token_form() -> str:
    replacing = _replacing()
    form = TokenForm(region=replacing.region.value if replacing else "")
    return render_template("integrations/token.html", form=form, replacing=replacing)


@bp.post("/integrations/pagerduty/token")
@admin_required
def link_token() -> Response | tuple[str, int]:
    form = TokenForm()
    replacing = _replacing()
    context: dict[str, Any] = {"form": form, "replacing": replacing}
    if not form.validate_on_submit():
        return _page_or_partial_form(context)
    try:
        result = link.link_with_token(
            current_workspace(), form.token.data, form.region.data or None, current_user, replacing
        )
    except LinkError as exc:
        form.token.errors = [str(exc)]
        return _page_or_partial_form(context)
    _flash_result(result)
    return _redirect(url_for("pagerduty.account", account_id=result.account.id))


@bp.post("/integrations/pagerduty/oauth/start")
@admin_required
def oauth_start() -> Response:
    form = OAuthStartForm()
    if not form.validate_on_submit():
        abort(400)
    config = settings()
    if not oauth.is_configured(config):
        flash(NOT_CONFIGURED, "error")
        return redirect(url_for("pagerduty.integrations"))
    scopes = requested_scopes(
        config.pagerduty_oauth_kind, alert_delivery=form.alert_delivery.data, realtime=form.realtime.data
    )
    redirect_uri = _callback_url()
    response, state = oauth.start(config, redirect_uri, scopes)
    session[PENDING] = {"state": state, "workspace_id": current_workspace().id, "scopes": scopes}
    return response


@bp.get("/integrations/pagerduty/oauth/callback")
@admin_required
def oauth_callback() -> Response | tuple[str, int]:
    pending = session.pop(PENDING, None)
    config = settings()
    try:
        if not oauth.is_configured(config):
            raise oauth.OAuthFailure(NOT_CONFIGURED)
        if not pending or pending.get("state") != request.args.get("state"):
            raise oauth.OAuthFailure(oauth.STATE_MISMATCH)
        if pending.get("workspace_id") != current_workspace().id:
            raise oauth.OAuthFailure(MOVED_WORKSPACE)
        grant, identity = oauth.finish(config)
        result = link.link_with_oauth(current_workspace(), grant, identity, current_user, pending["scopes"])
    except oauth.Declined as exc:
        flash(str(exc), "info")
        return redirect(url_for("pagerduty.integrations"))
    except oauth.OAuthFailure as exc:
        return render_template("integrations/link_failed.html", message=str(exc)), exc.status
    except LinkError as exc:
        return render_template("integrations/link_failed.html", message=str(exc)), 409
    _flash_result(result)
    return redirect(url_for("pagerduty.account", account_id=result.account.id))


def _replacing() -> PagerDutyAccount | None:
    account_id = request.values.get("account", type=int)
    return get_or_404(PagerDutyAccount, account_id) if account_id is not None else None


def _callback_url() -> str:
    # Behind a proxy, VIGIL_BASE_URL is the address registered in PagerDuty as the redirect URL.
    base = settings().base_url
    path = url_for("pagerduty.oauth_callback")
    return base + path if base else url_for("pagerduty.oauth_callback", _external=True)


def _page_or_partial_form(context: dict[str, Any]) -> tuple[str, int]:
    return page_or_partial("integrations/token.html", "integrations/_token_form.html", 400, **context)


def _flash_result(result: link.LinkResult) -> None:
    verb = {"linked": "Linked", "relinked": "Re-linked", "token_replaced": "Replaced the token of"}[
        result.action
    ]
    message = f"{verb} PagerDuty account {link.account_label(result.account)}."
    if result.directory is not None:
        count = result.directory.services
        message += f" {count} service{'s' if count != 1 else ''} found: pick the ones Vigil should follow."
    flash(message, "success")
    for warning in result.warnings:
        flash(warning, "error")


def _redirect(target: str) -> Response:
    if is_htmx():
        return Response(status=204, headers={"HX-Redirect": target})
    return redirect(target, 303)
