"""The rules table, one rule's page, its switches (enable, mute), deleting it, and the delivery log."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.accounts.context import admin_required, current_membership, current_workspace, member_required
from app.alerts import bp, manage, queries
from app.extensions import db
from app.inputs import parse_id, parse_int
from app.integrations.pagerduty.gone import gone_targets
from app.models import AlertState, Delivery, DeliveryAction, DeliveryStatus, Role
from app.models.alerts import recent_failures
from app.web import isolated, page_or_partial


def can_edit() -> bool:
    return current_membership().role.at_least(Role.ADMIN)


@bp.get("/alerts")
@member_required
def index() -> str:
    workspace = current_workspace()
    rules = queries.workspace_rules(workspace)
    return render_template(
        "alerts/index.html",
        rules=rules,
        last=queries.last_deliveries([r.id for r in rules]),
        gone={rule.id: gone_targets(rule) for rule in rules},
        failures=recent_failures(workspace.id),
        attention=queries.accounts_needing_attention(workspace),
        accounts=queries.usable_accounts(workspace),
        can_edit=can_edit(),
        queries=queries,
    )


@bp.get("/alerts/<int:rule_id>")
@member_required
def show(rule_id: int) -> str:
    rule = queries.get_rule_or_404(rule_id)
    test = None
    if (test_id := parse_id(request.args.get("test"))) is not None:
        # Where a test sent without JavaScript lands: its steps, as the inline partial shows them.
        test = db.session.get(Delivery, test_id)
        if test is None or test.rule_id != rule.id or test.action is not DeliveryAction.TEST_TRIGGER:
            test = None
    return render_template(
        "alerts/show.html",
        rule=rule,
        condition=queries.condition_text(rule),
        transitions=queries.transitions(rule),
        deliveries=queries.rule_deliveries(rule),
        gone=gone_targets(rule),
        **queries.test_context(test),
        can_edit=can_edit(),
        queries=queries,
    )


SWITCHES = {
    "enable": ({"enabled": True}, "Rule enabled: it is evaluated again from the next pass."),
    "disable": ({"enabled": False}, "Rule disabled."),
    "mute": ({"muted": True}, "Rule muted: it pages nothing new, but still resolves what it opened."),
    "unmute": ({"muted": False}, "Rule unmuted."),
}


@bp.post("/alerts/<int:rule_id>/switch/<switch>")
@admin_required
def set_switch(rule_id: int, switch: str) -> Response:
    rule = queries.get_rule_or_404(rule_id)
    if switch not in SWITCHES:
        abort(404)
    values, message = SWITCHES[switch]
    firing = rule.state is AlertState.FIRING
    manage.set_switches(rule, **values)
    if switch == "disable" and firing:
        message = "Rule disabled: its open PagerDuty incidents are being resolved."
    flash(message, "success")
    return redirect(url_for("alerts.show", rule_id=rule.id))


@bp.get("/alerts/<int:rule_id>/delete")
@admin_required
def confirm_delete(rule_id: int) -> str:
    return render_template("alerts/delete.html", rule=queries.get_rule_or_404(rule_id))


@bp.post("/alerts/<int:rule_id>/delete")
@admin_required
def delete(rule_id: int) -> Response:
    rule = queries.get_rule_or_404(rule_id)
    firing = rule.state is AlertState.FIRING and rule.enabled
    name = rule.name
    manage.delete_rule(rule)
    resolving = ": its open PagerDuty incidents are being resolved" if firing else ""
    flash(f"Rule “{isolated(name)}” deleted{resolving}.", "success")
    return redirect(url_for("alerts.index"))


@bp.get("/alerts/deliveries")
@member_required
def deliveries() -> tuple[str, int] | Response:
    """Every page Vigil sent or tried to send in the workspace, failures first."""
    raw_status = request.args.get("status", "")
    status = DeliveryStatus(raw_status) if raw_status in DeliveryStatus.__members__.values() else None
    page = parse_int(request.args.get("page", "1"), minimum=1, maximum=999_999) or 1
    return page_or_partial(
        "alerts/deliveries.html",
        "alerts/_delivery_log.html",
        log=queries.delivery_log(current_workspace(), status, page),
        status_filter=status,
        statuses=list(DeliveryStatus),
    )
