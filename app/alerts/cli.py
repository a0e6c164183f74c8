"""`flask alerts …`: rules from JSON files (the API's shape), a list of rules, and one evaluation pass now."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.accounts.cli import workspace_named
from app.alerts import manage
from app.alerts.jobs import evaluate_rules
from app.alerts.queries import condition_text, shown_value
from app.alerts.rules import RuleInvalid, parse_rule
from app.extensions import db
from app.models import AlertRule

alerts_cli = AppGroup("alerts", help="Create and list alert rules, and evaluate them now.")


@alerts_cli.command("create")
@click.option("--workspace", "workspace_name", required=True)
@click.argument("rule_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def create(workspace_name: str, rule_file: Path) -> None:
    """Create a rule from a JSON file shaped like the body of POST /api/v1/alert-rules; prints its id."""
    workspace = workspace_named(workspace_name)
    try:
        data = json.loads(rule_file.read_text())
    except ValueError as exc:
        raise click.ClickException(f"{rule_file} is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise click.ClickException(f"{rule_file} must hold one JSON object.")
    try:
        rule = manage.create_rule(workspace, parse_rule(data, manage.choices_for(workspace)), None)
    except RuleInvalid as exc:
        db.session.rollback()
        raise click.ClickException("\n".join(f"{k}: {v}" for k, v in exc.errors.items())) from exc
    click.echo(rule.id)


@alerts_cli.command("list")
@click.option("--workspace", "workspace_name", required=True)
def list_rules(workspace_name: str) -> None:
    """One line per rule: id, state, last value, condition, name (in the words of the rules page)."""
    workspace = workspace_named(workspace_name)
    rules = db.session.scalars(
        select(AlertRule)
        .where(AlertRule.workspace_id == workspace.id, AlertRule.deleted_at.is_(None))
        .order_by(AlertRule.id)
    )
    for rule in rules:
        flags = "".join((" (disabled)" if not rule.enabled else "", " (muted)" if rule.muted else ""))
        click.echo(
            f"{rule.id}\t{rule.state.value}{flags}\t{shown_value(rule)}\t{condition_text(rule)}\t{rule.name}"
        )


@alerts_cli.command("evaluate")
def evaluate() -> None:
    """Run one evaluation pass now (the scheduler does this every minute) and enqueue the pages it owes."""
    summary = evaluate_rules()
    click.echo(json.dumps(summary))
