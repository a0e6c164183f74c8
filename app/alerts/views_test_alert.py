"""The "Send test alert" button: a labelled test incident on one target, resolved at once, steps inline."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from app.accounts.context import admin_required, member_required
from app.alerts import bp, manage, queries
from app.extensions import db
from app.integrations.pagerduty.credentials import delivery_problem
from app.models import AlertRule, Delivery, DeliveryAction
from app.web import is_htmx

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
