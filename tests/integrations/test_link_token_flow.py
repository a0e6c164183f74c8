"""Linking with a user API token, end to end against the local PagerDuty (pdsim)."""

from __future__ import annotations

import logging

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app import crypto
from app.extensions import db
from app.integrations.pagerduty import link
from app.models import AccountStatus, AuditEvent, AuthKind, PDService, Region
from pdsim.testing import RunningSim
from tests.factories import Personas
from tests.integrations.helpers import INTEGRATION_KEY, accounts, link_by_token
from tests.pdsim_support import ACCOUNT_TOKEN, SECOND_TOKEN, USER_TOKEN


def test_it_links_a_user_token_and_lists_the_services(admin: FlaskClient, sim: RunningSim, personas) -> None:
    response = link_by_token(admin)

    [account] = accounts()
    assert response.status_code == 303
    assert response.headers["Location"] == f"/integrations/pagerduty/{account.id}"
    assert account.auth_kind is AuthKind.API_TOKEN
    assert account.region is Region.US
    assert account.subdomain == "acme"
    assert account.status is AccountStatus.ACTIVE
    assert account.token_user_email == sim.admin_email
    assert account.token_user_role == "admin"
    assert account.linked_by_id == personas.admin.id
    assert crypto.decrypt(account.access_token_enc) == USER_TOKEN
    assert USER_TOKEN not in account.access_token_enc
    services = db.session.scalars(select(PDService).where(PDService.account_id == account.id)).all()
    assert len(services) == len(sim.store.rows("SELECT id FROM services"))

    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Active" in page
    assert services[0].name in page
    assert "services found: pick the ones Vigil should follow" in page
    assert USER_TOKEN not in page


def test_it_trims_spaces_around_the_token(admin: FlaskClient) -> None:
    response = link_by_token(admin, f"  {USER_TOKEN}\n")

    assert response.status_code == 303
    assert crypto.decrypt(accounts()[0].access_token_enc) == USER_TOKEN


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("u+No_Such_Token", link.INVALID),
        (ACCOUNT_TOKEN, link.ACCOUNT_TOKEN),
        (INTEGRATION_KEY, link.INTEGRATION_KEY),
        ("u+Half token", link.SPACES_INSIDE),
        ("u+Tökén", link.ODD_CHARACTERS),
        ("x" * 201, "Field cannot be longer than 200 characters."),
        ("   ", link.EMPTY),
    ],
)
def test_it_explains_each_refused_token_and_saves_nothing(
    admin: FlaskClient, token: str, message: str
) -> None:
    response = link_by_token(admin, token)

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert _html(message) in page
    assert token.strip() == "" or token not in page
    assert accounts() == []


def test_it_says_when_a_revoked_token_is_pasted(admin: FlaskClient, sim: RunningSim) -> None:
    sim.control.add_token("u+Soon_Revoked")
    sim.control.revoke_token("u+Soon_Revoked")

    response = link_by_token(admin, "u+Soon_Revoked")

    assert response.status_code == 400
    assert _html(link.INVALID) in response.get_data(as_text=True)


def test_it_answers_htmx_with_the_form_alone(admin: FlaskClient) -> None:
    response = admin.post(
        "/integrations/pagerduty/token", data={"token": "u+No_Such_Token"}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="token-form">')
    assert _html(link.INVALID) in body


def test_it_redirects_htmx_to_the_account_page(admin: FlaskClient) -> None:
    response = admin.post(
        "/integrations/pagerduty/token",
        data={"token": USER_TOKEN, "region": "us"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == f"/integrations/pagerduty/{accounts()[0].id}"


def test_it_replaces_a_token_in_place_keeping_services_and_selection(
    admin: FlaskClient, sim: RunningSim
) -> None:
    link_by_token(admin)
    [account] = accounts()
    service = db.session.scalars(select(PDService).where(PDService.account_id == account.id)).first()
    service.selected = True
    db.session.commit()
    second_user = sim.store.rows("SELECT id, email FROM users ORDER BY id")[1]
    sim.control.add_token("u+Rotated_Token", user_id=second_user["id"])

    response = link_by_token(admin, "u+Rotated_Token", account=str(account.id))

    assert response.status_code == 303
    [same] = accounts()
    assert same.id == account.id
    assert crypto.decrypt(same.access_token_enc) == "u+Rotated_Token"
    assert same.token_user_email == second_user["email"]
    assert db.session.get(PDService, service.id).selected is True
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["pagerduty.linked", "pagerduty.token_replaced"]


def test_it_refuses_a_replacement_token_of_another_account(admin: FlaskClient, personas) -> None:
    from tests.factories import make_pd_account

    other = make_pd_account(personas.workspace, subdomain="globex-ops")
    db.session.commit()

    response = link_by_token(admin, SECOND_TOKEN, account=str(other.id))

    assert response.status_code == 400
    assert "belongs to the PagerDuty account “acme (US)”, not “globex-ops (US)”" in response.get_data(
        as_text=True
    )


def test_it_never_logs_the_token(admin: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        link_by_token(admin)
        link_by_token(admin, "u+No_Such_Token")

    assert caplog.records
    assert all(
        USER_TOKEN not in r.getMessage() and "u+No_Such_Token" not in r.getMessage() for r in caplog.records
    )


def test_it_detects_a_revoked_token_later_and_asks_for_a_new_one(admin: FlaskClient, sim: RunningSim) -> None:
    sim.control.add_token("u+Revoked_Later")
    link_by_token(admin, "u+Revoked_Later")
    [account] = accounts()
    sim.control.revoke_token("u+Revoked_Later")

    response = admin.post(f"/integrations/pagerduty/{account.id}/refresh", follow_redirects=True)

    [account] = accounts()
    assert account.status is AccountStatus.NEEDS_ATTENTION
    assert "no longer accepts this API token" in account.status_reason
    page = response.get_data(as_text=True)
    assert "Needs attention" in page
    assert "Replace token" in page


def test_it_forbids_members_to_link(login_as, personas: Personas) -> None:
    member = login_as(personas.member.email)

    assert member.get("/integrations/pagerduty/token").status_code == 403
    assert link_by_token(member).status_code == 403
    assert accounts() == []


def _html(text: str) -> str:
    return text.replace("'", "&#39;").replace('"', "&#34;")


def test_it_answers_404_when_replacing_another_workspaces_account(admin: FlaskClient, personas) -> None:
    from tests.factories import make_pd_account

    theirs = make_pd_account(personas.other_workspace, subdomain="globex")
    db.session.commit()

    assert admin.get("/integrations/pagerduty/token", query_string={"account": theirs.id}).status_code == 404
    assert link_by_token(admin, account=str(theirs.id)).status_code == 404
    assert [a.subdomain for a in accounts()] == ["globex"]
