"""`flask users …`: admin commands for people and roles."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.accounts import audit, workspaces
from app.extensions import db
from app.models import Membership, Role, Workspace


def workspace_named(name: str) -> Workspace:
    """The workspace a `--workspace NAME` option names, or a clean CLI error (every command group uses it)."""
    workspace = workspaces.find_workspace(name)
    if workspace is None:
        raise click.ClickException(f"No workspace named {name!r}.")
    return workspace


users_cli = AppGroup("users", help="Create users and manage their roles.")

ROLE = click.Choice([role.value for role in Role])


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True, help="At least 10 characters.")
@click.option(
    "--workspace", "workspace_name", required=True, help="Created (with this user as owner) if missing."
)
@click.option("--name", default="")
@click.option("--role", type=ROLE, default=None, help="Role in an existing workspace (default member).")
@click.option("--timezone", default="UTC", help="Time zone of a workspace created by this command.")
def create_user(
    email: str, password: str, workspace_name: str, name: str, role: str | None, timezone: str
) -> None:
    """Create a user, and the workspace too when it does not exist (the user becomes its owner)."""
    try:
        user = workspaces.create_user(email, password, name)
        workspace = workspaces.find_workspace(workspace_name)
        if workspace is None:
            workspace = workspaces.create_workspace(workspace_name, user, timezone)
            audit.record(workspace, "workspace.created", workspace.name, via="cli")
            given = Role.OWNER
        else:
            given = Role(role or Role.MEMBER.value)
            db.session.add(Membership(user_id=user.id, workspace_id=workspace.id, role=given))
        audit.record(workspace, "member.added", user.email, role=given.value, via="cli")
        db.session.commit()
    except workspaces.AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Created {user.email} as {given.value} of {workspace.name}.")


@users_cli.command("set-role")
@click.option("--email", required=True)
@click.option("--workspace", "workspace_name", required=True)
@click.option("--role", type=ROLE, required=True)
def set_role(email: str, workspace_name: str, role: str) -> None:
    """Change a member's role. The last owner cannot be demoted."""
    user = workspaces.find_user(email)
    workspace = workspaces.find_workspace(workspace_name)
    if user is None or workspace is None:
        raise click.ClickException("No such user or workspace.")
    membership = next((m for m in user.memberships if m.workspace_id == workspace.id), None)
    if membership is None:
        raise click.ClickException(f"{user.email} is not a member of {workspace.name}.")
    new_role = Role(role)
    old = membership.role
    try:
        workspaces.assign_role(membership, new_role)
    except workspaces.AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    audit.record(workspace, "member.role_changed", user.email, old=old.value, new=new_role.value, via="cli")
    db.session.commit()
    click.echo(f"{user.email} is now {new_role.value} of {workspace.name}.")
