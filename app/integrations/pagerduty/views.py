"""The Integrations page, the two ways to link (OAuth through Authlib, a user API token), and one linked
account's page: its services and their selection (HTMX), history, refreshing them, and unlinking."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.accounts.context import admin_required, current_membership, current_workspace, member_required
from app.accounts.context import scoped_get_or_404 as get_or_404
from app.accounts.forms import PostForm
from app.models import AccountStatus, PagerDutyAccount, PDService, Role
from app.models.alerts import recent_failures
from app.web import is_htmx, page_or_partial

from . import bp, history, link, oauth, unlinking
from .capabilities import requested_scopes
from .cards import card_for
from .credentials import settings, workspace_accounts
from .directory import filtered_services, selection_counts
from .forms import HistoryForm, OAuthStartForm, SelectionForm, TokenForm, UnlinkForm
from .link import LinkError
from .sync.jobs import nudge_sync
from .sync.views import sync_widget, webhook_panel

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
    if form.validate_on_submit():
        try:
            result = link.link_with_token(
                current_workspace(), form.token.data, form.region.data or None, current_user, replacing
            )
        except LinkError as exc:
            form.token.errors = [str(exc)]
        else:
            _flash_result(result)
            target = url_for("pagerduty.account", account_id=result.account.id)
            if is_htmx():
                return Response(status=204, headers={"HX-Redirect": target})
            return redirect(target, 303)
    return page_or_partial(
        "integrations/token.html", "integrations/_token_form.html", 400, form=form, replacing=replacing
    )


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
    # Behind a proxy, VIGIL_BASE_URL is the address registered in PagerDuty as the redirect URL.
    redirect_uri = url_for("pagerduty.oauth_callback", _external=not config.base_url)
    if config.base_url:
        redirect_uri = config.base_url + redirect_uri
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


READ_ONLY_UNLINKED = "This account is unlinked: re-link it to change which services Vigil follows."
PAGE, SERVICES = "integrations/account.html", "integrations/_services.html"
DELETE_DATA = "integrations/delete_service_data.html"


@bp.get("/integrations/pagerduty/<int:account_id>")
@member_required
def account(account_id: int) -> tuple[str, int]:
    """The account page; the filter box asks the same URL over HTMX and gets the service list alone."""
    return page_or_partial(PAGE, SERVICES, **_context(get_or_404(PagerDutyAccount, account_id)))


# A changed selection may have queued a backfill: the page's sync widget asks for its state at once (and then
# polls while the run is active), instead of saying "No sync has run yet" until a reload.
SYNC_REQUESTED = {"HX-Trigger": "sync-requested"}
Answer = tuple[str, int] | tuple[str, int, dict[str, str]]


@bp.post("/integrations/pagerduty/<int:account_id>/services/<int:service_id>")
@admin_required
def toggle_service(account_id: int, service_id: int) -> Response | Answer:
    pd_account, service = _account_service(account_id, service_id)
    if not PostForm().validate_on_submit():
        abort(400)
    error = READ_ONLY_UNLINKED if pd_account.status is AccountStatus.UNLINKED else None
    if error is None:
        link.select_services(pd_account, [service], request.form.get("selected") == "1")
    if not is_htmx():
        followed = "followed" if service.selected else "not followed"
        flash(error or f"Saved: {service.name} is {followed}.", "error" if error else "success")
        return redirect(url_for("pagerduty.account", account_id=pd_account.id))
    context = {
        **_base(pd_account),
        "service": service,
        "saved": error is None,
        "error": error,
        "with_data": history.deselected_with_data(pd_account),
    }
    row = render_template("integrations/_service_row.html", **context)
    return (row, 409) if error else (row, 200, SYNC_REQUESTED)


@bp.post("/integrations/pagerduty/<int:account_id>/services/selection")
@admin_required
def select_filtered(account_id: int) -> Response | Answer:
    pd_account = get_or_404(PagerDutyAccount, account_id)
    form = SelectionForm()
    if not form.validate_on_submit():
        return page_or_partial(
            PAGE, SERVICES, 400, **_context(pd_account, error="Choose select or deselect.")
        )
    if pd_account.status is AccountStatus.UNLINKED:
        return page_or_partial(PAGE, SERVICES, 409, **_context(pd_account, error=READ_ONLY_UNLINKED))
    query = form.q.data or ""
    chosen = form.selected.data == "1"
    changed = link.select_services(pd_account, filtered_services(pd_account, query), chosen)
    scope = "the services shown" if query.strip() else "all services"
    notice = f"Saved: {'selected' if chosen else 'deselected'} {scope} ({changed} changed)."
    if not is_htmx():
        flash(notice, "success")
        return redirect(url_for("pagerduty.account", account_id=pd_account.id, q=query or None))
    response = page_or_partial(PAGE, SERVICES, **_context(pd_account, query=query, notice=notice))
    response.headers.update(SYNC_REQUESTED)
    return response


@bp.post("/integrations/pagerduty/<int:account_id>/history")
@admin_required
def set_history(account_id: int) -> Response | tuple[str, int]:
    pd_account = get_or_404(PagerDutyAccount, account_id)
    form = HistoryForm()
    if not form.validate_on_submit() and "csrf_token" in form.errors:
        abort(400)
    try:
        if form.errors or form.history_days.data is None:
            raise history.HistoryError(history.BOUNDS_MESSAGE)
        change = history.set_history_days(pd_account, form.history_days.data)
    except history.HistoryError as exc:
        status = 409 if pd_account.status is AccountStatus.UNLINKED else 400
        context = _context(pd_account, history_form=form, history_error=str(exc))
        return render_template(PAGE, **context), status
    if change.lengthened:
        nudge_sync(pd_account)
    flash(change.describe(), "success")
    return redirect(url_for("pagerduty.account", account_id=pd_account.id, _anchor="history"))


@bp.route("/integrations/pagerduty/<int:account_id>/services/<int:service_id>/data", methods=["GET", "POST"])
@admin_required
def delete_service_data(account_id: int, service_id: int) -> Response | tuple[str, int]:
    """GET asks for confirmation; POST deletes. A followed service is refused (409) either way."""
    pd_account, service = _account_service(account_id, service_id)
    form = PostForm()
    context = {**_base(pd_account), "service": service, "form": form, "data": history.data_of(service)}
    error = history.refusal(pd_account, service)
    if error:
        return render_template(DELETE_DATA, **context, error=error), 409
    if request.method == "GET":
        return render_template(DELETE_DATA, **context), 200
    if not form.validate_on_submit():
        abort(400)
    deleted = history.delete_service_data(pd_account, service)
    flash(f"Deleted the synced data of {service.name}: {deleted.describe()}.", "success")
    return redirect(url_for("pagerduty.account", account_id=pd_account.id))


@bp.post("/integrations/pagerduty/<int:account_id>/refresh")
@admin_required
def refresh(account_id: int) -> Response:
    pd_account = get_or_404(PagerDutyAccount, account_id)
    if not PostForm().validate_on_submit():
        abort(400)
    if pd_account.status is AccountStatus.UNLINKED:
        flash(READ_ONLY_UNLINKED, "error")
    else:
        result, problem = link.refresh_services(pd_account)
        if result is not None:
            flash(
                f"Services refreshed: {result.services} found, {result.added} new, {result.removed} gone.",
                "success",
            )
        else:
            flash(problem or "The services could not be refreshed.", "error")
    return redirect(url_for("pagerduty.account", account_id=pd_account.id))


@bp.route("/integrations/pagerduty/<int:account_id>/unlink", methods=["GET", "POST"])
@admin_required
def unlink(account_id: int) -> Response | tuple[str, int]:
    """GET asks for confirmation; POST unlinks."""
    pd_account = get_or_404(PagerDutyAccount, account_id)
    if request.method == "GET":
        form = UnlinkForm(synced_data="delete" if pd_account.status is AccountStatus.UNLINKED else "keep")
    else:
        form = UnlinkForm()
        if form.validate_on_submit():
            label = link.account_label(pd_account)
            result = unlinking.unlink(pd_account, keep_data=form.synced_data.data == "keep")
            for category, message in _unlinked_messages(label, result):
                flash(message, category)
            return redirect(url_for("pagerduty.integrations"))
    firing = unlinking.firing_rules(pd_account)
    page = render_template("integrations/unlink.html", **_base(pd_account), form=form, firing=firing)
    return page, 200 if request.method == "GET" else 400


def _account_service(account_id: int, service_id: int) -> tuple[PagerDutyAccount, PDService]:
    pd_account = get_or_404(PagerDutyAccount, account_id)
    service = get_or_404(PDService, service_id)
    if service.account_id != pd_account.id:
        abort(404)
    return pd_account, service


def _base(pd_account: PagerDutyAccount) -> dict[str, Any]:
    can_admin = current_membership().role.at_least(Role.ADMIN)
    editable = can_admin and pd_account.status is not AccountStatus.UNLINKED
    return {
        "card": card_for(pd_account),
        "pd_account": pd_account,
        "can_admin": can_admin,
        "editable": editable,
        "oauth_ready": oauth.is_configured(settings()),
        "show_refresh": True,
    }


def _context(pd_account: PagerDutyAccount, query: str | None = None, **extra: Any) -> dict[str, Any]:
    query = request.args.get("q", "") if query is None else query
    selected, total = selection_counts(pd_account)
    return {
        **_base(pd_account),
        "services": filtered_services(pd_account, query),
        "with_data": history.deselected_with_data(pd_account),
        "query": query,
        "selected_count": selected,
        "total_count": total,
        "selection_form": SelectionForm(),
        "history_form": HistoryForm(history_days=pd_account.history_days),
        "history_bounds": (history.MIN_DAYS, history.MAX_DAYS),
        "sync": sync_widget(pd_account),
        "hook": webhook_panel(pd_account),
        "failed_pages": recent_failures(pd_account.workspace_id, pd_account.id),
        **extra,
    }


def _unlinked_messages(label: str, result: unlinking.UnlinkResult) -> list[tuple[str, str]]:
    """(category, text) flashes: what was done in a success banner, what the admin must still do (or know)
    in a warning one."""
    data = "Its synced data was deleted." if result.deleted_data else "Its synced data was kept."
    if not result.finished:
        rules = ", ".join(f"“{name}”" for name in result.resolving)
        then = "its synced data is then deleted" if result.deleted_data else "its synced data is kept"
        first = (
            f"first Vigil resolves the PagerDuty incidents that firing rules opened through it ({rules})"
            if rules
            else "first the pages Vigil is sending through it finish"
        )
        done = (
            f"Unlinking {label}: {first}; then its token is deleted and {then}. The rules' pages show "
            "how each resolve went."
        )
    elif result.revoked is None:
        token = "Delete the API token in PagerDuty (My Profile → User Settings) if nothing else uses it."
        done = f"Unlinked {label}. {data} {token}"
    elif result.revoked:
        done = f"Unlinked {label}. {data} PagerDuty confirmed the access was revoked."
    else:
        done = f"Unlinked {label}. {data}"
    messages = [("success", done)]
    if result.finished and result.revoked is False:
        messages.append(
            (
                "error",
                "PagerDuty did not confirm revoking Vigil's access: revoke it in PagerDuty "
                "(Integrations → App Registration, or My Profile → Authorized Apps).",
            )
        )
    if result.left_open:
        rules = ", ".join(f"“{name}”" for name in result.left_open)
        messages.append(
            (
                "error",
                f"Firing rules with notify-on-resolve off left their PagerDuty incidents open ({rules}): "
                "resolve them in PagerDuty.",
            )
        )
    return messages
