"""`flask api-keys …` to manage workspace API keys, `flask metrics show` to print the metrics JSON."""

from __future__ import annotations

import json
from typing import Any

import click
from flask.cli import AppGroup

from app.accounts import api_keys as keys
from app.accounts import audit
from app.accounts.cli import workspace_named
from app.analytics import metrics
from app.api.errors import ApiError
from app.api.params import metric_query
from app.extensions import db

api_keys_cli = AppGroup("api-keys", help="Create, list and revoke workspace API keys.")
metrics_cli = AppGroup("metrics", help="Print a workspace's metrics.")


@api_keys_cli.command("create")
@click.option("--workspace", "workspace_name", required=True)
@click.option("--name", required=True, help="What uses the key, e.g. 'deploy pipeline'.")
def create(workspace_name: str, name: str) -> None:
    """Create a key and print it (only the key, on stdout, so scripts can capture it). It is shown once."""
    workspace = workspace_named(workspace_name)
    try:
        key, raw = keys.create_key(workspace, name)
    except keys.ApiKeyError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    audit.record(workspace, "api_key.created", key.name, prefix=key.prefix, via="cli")
    db.session.commit()
    click.echo(raw)


@api_keys_cli.command("list")
@click.option("--workspace", "workspace_name", required=True)
def list_keys(workspace_name: str) -> None:
    """One line per key: prefix, state, name, created, last used."""
    workspace = workspace_named(workspace_name)
    for key in keys.workspace_keys(workspace.id):
        state = "revoked" if key.revoked_at else "active"
        last_used = key.last_used_at.strftime("%Y-%m-%d %H:%M") if key.last_used_at else "never"
        created = key.created_at.strftime("%Y-%m-%d %H:%M")
        click.echo(f"{key.prefix}\t{state}\t{key.name}\tcreated {created}\tlast used {last_used}")


@api_keys_cli.command("revoke")
@click.option("--workspace", "workspace_name", required=True)
@click.option("--prefix", required=True, help="The key's visible prefix, as `list` shows it.")
def revoke(workspace_name: str, prefix: str) -> None:
    """Revoke the active key with this prefix; calls with it get 401 from now on."""
    workspace = workspace_named(workspace_name)
    matches = keys.find_by_prefix(workspace.id, prefix.strip())
    if not matches:
        raise click.ClickException(f"No active key starts with {prefix!r} in {workspace.name}.")
    if len(matches) > 1:
        raise click.ClickException(f"{len(matches)} keys start with {prefix!r}: give more of the prefix.")
    key = matches[0]
    keys.revoke_key(key)
    audit.record(workspace, "api_key.revoked", key.name, prefix=key.prefix, via="cli")
    db.session.commit()
    click.echo(f"Revoked {key.prefix} ({key.name}).")


@metrics_cli.command("show")
@click.option("--workspace", "workspace_name", required=True)
@click.option("--start", default=None, help="YYYY-MM-DD, inclusive (default: 30 days before end).")
@click.option("--end", default=None, help="YYYY-MM-DD, exclusive (default: tomorrow).")
@click.option("--service", "services", multiple=True, help="PagerDuty service id; repeat for several.")
@click.option("--team", "teams", multiple=True, help="PagerDuty team id; repeat for several.")
@click.option("--urgency", multiple=True, type=click.Choice(["high", "low"]))
@click.option("--priority", multiple=True, help="Priority name (P1), or none; repeat for several.")
def show(workspace_name: str, **filters: Any) -> None:
    """Print the same JSON as GET /api/v1/metrics."""
    workspace = workspace_named(workspace_name)
    try:
        query = metric_query(workspace, **filters)
    except ApiError as exc:
        raise click.BadParameter(exc.message, param_hint=f"--{exc.field}" if exc.field else None) from exc
    click.echo(json.dumps(metrics.summary(query).to_dict(), indent=2))
