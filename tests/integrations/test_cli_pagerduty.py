"""`flask pagerduty link | accounts | services | unlink` against pdsim."""

from __future__ import annotations

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.integrations.pagerduty import link
from app.models import AccountStatus, AuditEvent, PagerDutyAccount, PDService, Region
from tests.factories import Personas, make_pd_account
from tests.pdsim_support import ACCOUNT_TOKEN, USER_TOKEN


def flask(app: Flask, *args: str, input: str | None = None) -> Result:
    return app.test_cli_runner().invoke(args=["pagerduty", *args], input=input)


def linked(app: Flask) -> PagerDutyAccount:
    result = flask(app, "link", "--workspace", "Acme", "--token", USER_TOKEN, "--region", "us")
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    account = db.session.scalars(select(PagerDutyAccount)).one()
    assert result.stdout.strip() == str(account.id)
    return account


def test_it_links_with_a_token_and_prints_the_account_id(app: Flask, personas: Personas, sim) -> None:
    account = linked(app)

    assert (account.region, account.status, account.token_user_email) == (
        Region.US,
        AccountStatus.ACTIVE,
        sim.admin_email,
    )
    assert account.linked_by_id is None
    event = db.session.scalars(select(AuditEvent)).one()
    assert (event.action, event.details["via"]) == ("pagerduty.linked", "cli")


def test_it_reads_the_token_from_stdin(app: Flask, personas: Personas) -> None:
    result = flask(app, "link", "--workspace", "Acme", "--token", "-", input=f"{USER_TOKEN}\n")

    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("token", "message"),
    [(ACCOUNT_TOKEN, link.ACCOUNT_TOKEN), ("u+Nope", link.INVALID), ("0" * 32, link.INTEGRATION_KEY)],
)
def test_it_fails_with_the_message_the_ui_gives(
    app: Flask, personas: Personas, token: str, message: str
) -> None:
    result = flask(app, "link", "--workspace", "Acme", "--token", token)

    assert result.exit_code == 1
    assert " ".join(result.output.split()) == f"Error: {message}"
    assert db.session.scalars(select(PagerDutyAccount)).all() == []


def test_it_refuses_an_unknown_workspace(app: Flask, personas: Personas) -> None:
    result = flask(app, "link", "--workspace", "Nowhere", "--token", USER_TOKEN)

    assert result.exit_code == 1
    assert "No workspace named 'Nowhere'." in result.output


def test_it_lists_and_selects_services(app: Flask, personas: Personas) -> None:
    account = linked(app)
    first, second, *_ = db.session.scalars(
        select(PDService).where(PDService.account_id == account.id).order_by(PDService.name)
    ).all()

    result = flask(
        app, "services", "--workspace", "Acme", "--select", first.remote_id, "--select", second.remote_id
    )

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"[x] {first.remote_id}\t{first.name}"
    assert lines[1].startswith(f"[x] {second.remote_id}")
    assert all(line.startswith("[ ]") for line in lines[2:])

    result = flask(app, "services", "--workspace", "Acme", "--select-none", "--select", first.remote_id)
    assert [line[:3] for line in result.output.splitlines()].count("[x]") == 1

    assert flask(app, "services", "--workspace", "Acme", "--select-all").output.count("[ ]") == 0


def test_it_refuses_unknown_service_ids(app: Flask, personas: Personas) -> None:
    linked(app)

    result = flask(app, "services", "--workspace", "Acme", "--select", "PNOPE")

    assert result.exit_code == 1
    assert "No such service in acme (US): PNOPE" in result.output


def test_it_asks_which_account_when_there_are_several(app: Flask, personas: Personas) -> None:
    account = linked(app)
    other = make_pd_account(personas.workspace, subdomain="second")
    db.session.commit()

    result = flask(app, "services", "--workspace", "Acme")

    assert result.exit_code == 1
    assert f"pass --account ({account.id} = acme (US), {other.id} = second (US))" in result.output
    assert flask(app, "accounts", "--workspace", "Acme").output.count("\n") == 2


def test_it_unlinks_keeping_or_deleting_the_data(app: Flask, personas: Personas) -> None:
    account = linked(app)

    result = flask(app, "unlink", "--workspace", "Acme")
    assert result.exit_code == 0
    assert result.output.strip() == "Unlinked acme (US); synced data kept."
    db.session.expire_all()
    assert account.status is AccountStatus.UNLINKED

    result = flask(app, "unlink", "--workspace", "Acme", "--account", str(account.id), "--delete-data")
    assert result.output.strip() == "Unlinked acme (US); synced data deleted."
    assert db.session.scalars(select(PDService)).all() == []
