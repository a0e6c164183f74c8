"""The rule form (new and edit) and its HTMX helpers: the signal's fields, an account's services, preview.

The form also works without JavaScript: its "Update form" and "Preview" buttons post the whole form back,
which re-renders it (with the other signal's fields, the chosen account's services or the preview) and
saves nothing.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.accounts.context import admin_required, current_workspace
from app.alerts import bp, manage, outbox, queries, rules
from app.alerts.form import RuleForm, friendly
from app.alerts.signals import AGGREGATIONS, INCIDENT_METRICS, SIGNALS
from app.alerts.states import OPERATORS
from app.extensions import db
from app.inputs import parse_id, parse_int
from app.models import AlertRule
from app.web import isolated

PAGE = "alerts/form.html"


def _form_context(
    form: RuleForm,
    errors: dict[str, str] | None = None,
    rule: AlertRule | None = None,
    preview: manage.Preview | None = None,
    preview_errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    workspace = current_workspace()
    accounts = queries.usable_accounts(workspace)
    rows = form.rows_to_show([a.id for a in accounts])
    return {
        "form": form,
        "errors": friendly(errors or {}),
        "rule": rule,
        "accounts": accounts,
        "rows": rows,
        "row_services": [queries.account_services(workspace, parse_id(r.account)) for r in rows],
        "filter_services": queries.account_services(workspace, None),
        "teams": queries.workspace_teams(workspace),
        "preview": preview,
        "preview_errors": friendly(preview_errors or {}),
        "signals": SIGNALS,
        "incident_metrics": INCIDENT_METRICS,
        "aggregations": AGGREGATIONS,
        "operators": list(OPERATORS),
        "severities": rules.SEVERITIES,
        "no_data_policies": rules.NO_DATA_POLICIES,
        "urgencies": rules.URGENCIES,
        "severity_urgency": outbox.SEVERITY_URGENCY,
        "placeholders": outbox.PLACEHOLDERS,
        "default_title": outbox.DEFAULT_TITLE,
    }


def _spec(data: dict[str, Any], errors: dict[str, str]) -> rules.RuleSpec:
    """The rule the form describes; RuleInvalid with parse_rule's errors and the form's own together."""
    try:
        spec = rules.parse_rule(data, manage.choices_for(current_workspace()))
    except rules.RuleInvalid as exc:
        raise rules.RuleInvalid({**exc.errors, **errors}) from None
    if errors:
        raise rules.RuleInvalid(errors)
    return spec


def _preview(form: RuleForm) -> tuple[manage.Preview | None, dict[str, str]]:
    """The signal's value now. A preview needs no name and no target, only the condition."""
    data, errors = form.to_data()
    data["name"] = data["name"] or "Preview"
    data["targets"] = []
    data["enabled"] = False  # nothing is saved: an enabled rule's "somewhere to page" does not apply
    try:
        return manage.preview(current_workspace(), _spec(data, errors)), {}
    except rules.RuleInvalid as exc:
        return None, exc.errors


def _save(form: RuleForm, rule: AlertRule | None) -> AlertRule:
    spec = _spec(*form.to_data())
    if rule is None:
        return manage.create_rule(current_workspace(), spec, current_user)
    return manage.update_rule(rule, spec)


def _submit(rule: AlertRule | None) -> Response | tuple[str, int]:
    form = RuleForm.from_request(request.form)
    action = request.form.get("action", "save")
    if action == "refresh":
        return render_template(PAGE, **_form_context(form, rule=rule)), 200
    if action == "preview":
        preview, preview_errors = _preview(form)
        context = _form_context(form, rule=rule, preview=preview, preview_errors=preview_errors)
        return render_template(PAGE, **context), 200
    try:
        saved = _save(form, rule)
    except rules.RuleInvalid as exc:
        db.session.rollback()
        return render_template(PAGE, **_form_context(form, exc.errors, rule=rule)), 422
    flash(f"Rule “{isolated(saved.name)}” {'created' if rule is None else 'saved'}.", "success")
    return redirect(url_for("alerts.show", rule_id=saved.id))


@bp.get("/alerts/new")
@admin_required
def new() -> str:
    return render_template(PAGE, **_form_context(RuleForm()))


@bp.post("/alerts/new")
@admin_required
def create() -> Response | tuple[str, int]:
    return _submit(None)


@bp.get("/alerts/<int:rule_id>/edit")
@admin_required
def edit(rule_id: int) -> str:
    rule = queries.get_rule_or_404(rule_id)
    form = RuleForm.from_rule(manage.rule_to_dict(rule))
    return render_template(PAGE, **_form_context(form, rule=rule))


@bp.post("/alerts/<int:rule_id>/edit")
@admin_required
def update(rule_id: int) -> Response | tuple[str, int]:
    return _submit(queries.get_rule_or_404(rule_id))


@bp.get("/alerts/form/signal")
@admin_required
def signal_fields() -> str:
    """The fields of the chosen signal (HTMX swaps them in when the signal changes)."""
    form = RuleForm(signal=request.args.get("signal", ""))
    form.fit_metric_to_signal()
    return render_template("alerts/_signal_fields.html", **_form_context(form))


@bp.get("/alerts/form/services")
@admin_required
def target_services() -> str:
    """The service picker of one target row, for the account just chosen."""
    index_number = parse_int(request.args.get("index", "0"), minimum=0, maximum=rules.MAX_TARGETS * 2) or 0
    account = request.args.get(f"targets-{index_number}-account", "")
    return render_template(
        "alerts/_target_services.html",
        index=index_number,
        services=queries.account_services(current_workspace(), parse_id(account)),
        selected="",
        error=None,
    )


@bp.post("/alerts/form/preview")
@admin_required
def preview() -> str:
    preview, preview_errors = _preview(RuleForm.from_request(request.form))
    return render_template("alerts/_preview.html", preview=preview, preview_errors=friendly(preview_errors))
