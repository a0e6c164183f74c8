"""One linked account: its services and their selection (HTMX), refreshing them, and unlinking."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.accounts.context import admin_required, current_membership, member_required
from app.accounts.context import scoped_get_or_404 as get_or_404
from app.accounts.forms import PostForm
from app.models import AccountStatus, PagerDutyAccount, PDService, Role
from app.models.alerts import recent_failures
from app.web import is_htmx, page_or_partial

from . import bp, history, link, oauth, service_data, unlinking
from .cards import card_for
from .credentials import settings
from .directory import filtered_services, selection_counts
from .forms import HistoryForm, SelectionForm, UnlinkForm
from .sync.jobs import nudge_sync
from .sync.views import sync_widget, webhook_panel

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
def toggle_service(
    account_id: int, service_id: int
) -> Response | tuple[str, int] | tuple[str, int, dict[str, str]]:
    pd_account = get_or_404(PagerDutyAccount, account_id)
    service = get_or_404(PDService, service_id)
    if service.account_id != pd_account.id:
        abort(404)
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
        "with_data": service_data.deselected_with_data(pd_account),
    }
    if error:
        return render_template("integrations/_service_row.html", **context), 409
    return render_template("integrations/_service_row.html", **context), 200, SYNC_REQUESTED


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
    pd_account = get_or_404(PagerDutyAccount, account_id)
    service = get_or_404(PDService, service_id)
    if service.account_id != pd_account.id:
        abort(404)
    form = PostForm()
    context = {**_base(pd_account), "service": service, "form": form, "data": service_data.data_of(service)}
    error = service_data.refusal(pd_account, service)
    if error:
        return render_template(DELETE_DATA, **context, error=error), 409
    if request.method == "GET":
        return render_template(DELETE_DATA, **context), 200
    if not form.validate_on_submit():
        abort(400)
    deleted = service_data.delete_service_data(pd_account, service)
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


@bp.get("/integrations/pagerduty/<int:account_id>/unlink")
@admin_required
def unlink_confirm(account_id: int) -> str:
    pd_account = get_or_404(PagerDutyAccount, account_id)
    form = UnlinkForm(synced_data="delete" if pd_account.status is AccountStatus.UNLINKED else "keep")
    firing = unlinking.firing_rules(pd_account)
    return render_template("integrations/unlink.html", **_base(pd_account), form=form, firing=firing)


@bp.post("/integrations/pagerduty/<int:account_id>/unlink")
@admin_required
def unlink(account_id: int) -> Response | tuple[str, int]:
    pd_account = get_or_404(PagerDutyAccount, account_id)
    form = UnlinkForm()
    if not form.validate_on_submit():
        firing = unlinking.firing_rules(pd_account)
        return render_template("integrations/unlink.html", **_base(pd_account), form=form, firing=firing), 400
    label = link.account_label(pd_account)
    result = unlinking.unlink(pd_account, keep_data=form.synced_data.data == "keep")
    for category, message in _unlinked_messages(label, result):
        flash(message, category)
    return redirect(url_for("pagerduty.integrations"))


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
        "with_data": service_data.deselected_with_data(pd_account),
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
    messages: list[tuple[str, str]] = []
    if not result.finished:
        rules = ", ".join(f"“{name}”" for name in result.resolving)
        data = "its synced data is then deleted" if result.deleted_data else "its synced data is kept"
        first = (
            f"first Vigil resolves the PagerDuty incidents that firing rules opened through it ({rules})"
            if rules
            else "first the pages Vigil is sending through it finish"
        )
        messages.append(
            (
                "success",
                f"Unlinking {label}: {first}; then its token is deleted and {data}. The rules' pages show "
                "how each resolve went.",
            )
        )
    elif result.revoked is None:
        token = "Delete the API token in PagerDuty (My Profile → User Settings) if nothing else uses it."
        messages.append(("success", f"Unlinked {label}. {data} {token}"))
    elif result.revoked:
        messages.append(("success", f"Unlinked {label}. {data} PagerDuty confirmed the access was revoked."))
    else:
        messages.append(("success", f"Unlinked {label}. {data}"))
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
