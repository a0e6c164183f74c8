from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import Membership, Role, User
from tests.factories import Personas, membership_of


def test_it_creates_a_user_and_their_workspace(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Boss@Ops.test",
            "--password",
            "a long password",
            "--workspace",
            "Ops",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Created boss@ops.test as owner of Ops." in result.output
    membership = db.session.scalars(select(Membership)).one()
    assert (membership.user.email, membership.workspace.name, membership.role) == (
        "boss@ops.test",
        "Ops",
        Role.OWNER,
    )


def test_it_adds_a_user_to_an_existing_workspace_with_a_role(app: Flask, personas: Personas) -> None:
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "--email",
            "x@acme.test",
            "--password",
            "a long password",
            "--workspace",
            "Acme",
            "--role",
            "admin",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "x@acme.test"))
    assert membership_of(user, personas.workspace).role is Role.ADMIN


def test_it_fails_with_a_message_on_bad_input(app: Flask, personas: Personas) -> None:
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--email", "y@acme.test", "--password", "short", "--workspace", "Acme"]
    )
    assert result.exit_code != 0
    assert "at least 10 characters" in result.output


def test_it_sets_a_role_but_keeps_the_last_owner(app: Flask, personas: Personas) -> None:
    runner = app.test_cli_runner()
    ok = runner.invoke(
        args=["users", "set-role", "--email", personas.member.email, "--workspace", "Acme", "--role", "admin"]
    )
    assert ok.exit_code == 0, ok.output
    refused = runner.invoke(
        args=["users", "set-role", "--email", personas.owner.email, "--workspace", "Acme", "--role", "member"]
    )
    assert refused.exit_code != 0
    assert "at least one owner" in refused.output
    db.session.expire_all()
    assert membership_of(personas.member, personas.workspace).role is Role.ADMIN
    assert membership_of(personas.owner, personas.workspace).role is Role.OWNER
