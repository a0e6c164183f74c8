"""The rules table, one rule's page, its switches (enable, mute), deleting it, the delivery log, and the "Send
test alert" button: a labelled test incident on one target, resolved at once, its steps shown inline."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from app.accounts.context import admin_required, current_membership, current_workspace, member_required
from app.alerts import bp, manage, queries
from app.alerts.unlink import gone_targets
from app.extensions import db
from app.inputs import parse_id, parse_int
from app.integrations.pagerduty.credentials import delivery_problem
from app.models import AlertRule, AlertState, Delivery, DeliveryAction, DeliveryStatus, Role
from app.models.alerts import recent_failures
from app.web import is_htmx, isolated, page_or_partial


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


PARTIAL = "alerts/_test_result.html"


def _render(rule: AlertRule, trigger: Delivery, status: int = 200) -> tuple[str, int]:
    context = queries.test_context(trigger)
    if not context["polling"]:
        # The test is over: refresh the rule's deliveries table on the page too (out of band).
        context.update(refresh_deliveries=True, deliveries=queries.rule_deliveries(rule))
    return render_template(PARTIAL, rule=rule, **context), status


@bp.post("/alerts/<int:rule_id>/targets/<int:target_id>/test")
@admin_required
def send_test(rule_id: int, target_id: int) -> Response | tuple[str, int]:
    rule = queries.get_rule_or_404(rule_id)
    target = next((t for t in rule.targets if t.id == target_id), None)
    if target is None:
        abort(404)
    problem = delivery_problem(target.account)
    if problem:
        # The delivery would fail the same way; say so now rather than after a round trip to the worker.
        if is_htmx():
            return render_template(PARTIAL, rule=rule, test=None, problem=problem), 409
        flash(f"Test alert not sent: {problem}", "error")
        return redirect(url_for("alerts.show", rule_id=rule.id, _anchor="targets"))
    try:
        trigger = manage.send_test(rule, target)
    except manage.QueueUnavailable as exc:
        if is_htmx():
            return render_template(PARTIAL, rule=rule, test=None, problem=str(exc)), 503
        flash(str(exc), "error")
        return redirect(url_for("alerts.show", rule_id=rule.id, _anchor="targets"))
    if is_htmx():
        return _render(rule, trigger, 202)
    return redirect(url_for("alerts.show", rule_id=rule.id, test=trigger.id, _anchor="targets"))


@bp.get("/alerts/<int:rule_id>/tests/<int:delivery_id>")
@member_required
def test_status(rule_id: int, delivery_id: int) -> Response | tuple[str, int]:
    """The steps so far; the partial polls this every second until both steps are final."""
    rule = queries.get_rule_or_404(rule_id)
    trigger = db.session.get(Delivery, delivery_id)
    if trigger is None or trigger.rule_id != rule.id or trigger.action is not DeliveryAction.TEST_TRIGGER:
        abort(404)
    if not is_htmx():  # opened as a page: the rule's page, which shows this test's steps
        return redirect(url_for("alerts.show", rule_id=rule.id, test=trigger.id))
    return _render(rule, trigger)
