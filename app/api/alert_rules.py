"""/api/v1/alert-rules: list, create, read, replace (PUT), change (PATCH) and delete alert rules.

Bodies and answers use `rule_to_dict`'s shape; validation is `parse_rule`'s, so a field at fault gets the
same message as in the form. Another workspace's rule id is a 404.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify
from werkzeug.wrappers import Response

from app.alerts import manage
from app.alerts.queries import scoped_rule, workspace_rules
from app.alerts.rules import RuleInvalid, RuleSpec, parse_rule
from app.api import bp
from app.api.auth import api_key_required, current_api_workspace
from app.api.body import invalid, json_object, schema_problems
from app.api.errors import ApiError
from app.api.schemas import ALERT_RULE
from app.extensions import db
from app.models import AlertRule

# What rule_to_dict returns but a client cannot set: kept out of a PATCH merge.
READ_ONLY = tuple(name for name, field in ALERT_RULE["properties"].items() if field.get("readOnly"))


def _top(field: str) -> str:
    return field.split(".", 1)[0].split("[", 1)[0]


def _rule_or_404(rule_id: int) -> AlertRule:
    rule = scoped_rule(current_api_workspace(), rule_id)
    if rule is None:
        raise ApiError(404, f"No alert rule {rule_id} in this workspace.")
    return rule


def _parse(data: dict[str, Any], sent: dict[str, Any]) -> RuleSpec:
    """The rule in `data` (`sent`, or `sent` merged into the rule for a PATCH). Every field at fault is
    named: those of the wrong JSON type in `sent`, then parse_rule's over the other fields."""
    wrong_type = schema_problems(sent, "AlertRule")
    fields_at_fault = {_top(field) for field in wrong_type}
    try:
        spec = parse_rule(
            {k: v for k, v in data.items() if k not in fields_at_fault},
            manage.choices_for(current_api_workspace()),
        )
    except RuleInvalid as exc:
        rule_errors = {k: v for k, v in exc.errors.items() if _top(k) not in fields_at_fault}
        raise invalid({**rule_errors, **wrong_type}) from None
    if wrong_type:
        raise invalid(wrong_type)
    return spec


@bp.get("/alert-rules")
@api_key_required
def list_alert_rules() -> Response:
    rules = workspace_rules(current_api_workspace())
    return jsonify({"alert_rules": [manage.rule_to_dict(rule) for rule in rules]})


@bp.post("/alert-rules")
@api_key_required
def create_alert_rule() -> tuple[Response, int]:
    body = json_object()
    return jsonify(manage.rule_to_dict(_save(None, body, body))), 201


@bp.get("/alert-rules/<int:rule_id>")
@api_key_required
def get_alert_rule(rule_id: int) -> Response:
    return jsonify(manage.rule_to_dict(_rule_or_404(rule_id)))


@bp.put("/alert-rules/<int:rule_id>")
@api_key_required
def replace_alert_rule(rule_id: int) -> Response:
    rule = _rule_or_404(rule_id)
    body = json_object()
    return jsonify(manage.rule_to_dict(_save(rule, body, body)))


@bp.patch("/alert-rules/<int:rule_id>")
@api_key_required
def change_alert_rule(rule_id: int) -> Response:
    """Fields not sent keep their values; `filters` merges key by key; `targets`, when sent, replaces."""
    rule = _rule_or_404(rule_id)
    changes = json_object()
    current = {k: v for k, v in manage.rule_to_dict(rule).items() if k not in READ_ONLY}
    merged = {**current, **changes}
    if isinstance(changes.get("filters"), dict):
        merged["filters"] = {**current["filters"], **changes["filters"]}
    return jsonify(manage.rule_to_dict(_save(rule, merged, changes)))


def _save(rule: AlertRule | None, data: dict[str, Any], sent: dict[str, Any]) -> AlertRule:
    """Create the rule in `data` (no `rule`) or make `rule` it; a 400 for anything at fault."""
    spec = _parse(data, sent)
    try:
        if rule is None:
            return manage.create_rule(current_api_workspace(), spec, None)
        return manage.update_rule(rule, spec)
    except RuleInvalid as exc:  # a target PagerDuty refuses (disabled service, token that cannot write)
        db.session.rollback()
        field, message = next(iter(exc.errors.items()))
        raise ApiError(400, message, field, errors=exc.errors) from None


@bp.delete("/alert-rules/<int:rule_id>")
@api_key_required
def delete_alert_rule(rule_id: int) -> tuple[str, int]:
    manage.delete_rule(_rule_or_404(rule_id))
    return "", 204
