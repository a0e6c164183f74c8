"""Linking by OAuth (Authlib, PKCE S256, client_secret_post), end to end against pdsim's identity server."""

from __future__ import annotations

import base64
import hashlib
import logging

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app import crypto
from app.alerts import manage as alert_service
from app.alerts.rules import RuleInvalid, parse_rule
from app.extensions import db
from app.integrations.pagerduty import oauth
from app.integrations.pagerduty.views import MOVED_WORKSPACE, PENDING
from app.models import AccountStatus, AuditEvent, AuthKind, PDService, Region
from pdsim.testing import RunningSim
from tests.factories import Personas
from tests.integrations.helpers import (
    ANALYTICS,
    accounts,
    callback,
    consent,
    link_by_oauth,
    query_of,
    start_oauth,
    text_of,
)
from tests.pdsim_support import CLASSIC_CLIENT


def page_text(client: FlaskClient, path: str) -> str:
    return text_of(client.get(path).get_data(as_text=True))


def test_it_sends_the_admin_to_pagerduty_with_state_pkce_and_the_chosen_scopes(
    admin: FlaskClient, sim
) -> None:
    response = start_oauth(admin, alert_delivery=True, realtime=False)

    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith(sim.identity_url + "/oauth/authorize?")
    args = query_of(location)
    assert args["response_type"] == "code"
    assert args["client_id"] == "vigil-scoped"
    assert args["redirect_uri"] == "http://localhost/integrations/pagerduty/oauth/callback"
    assert args["scope"] == f"{ANALYTICS} incidents.write escalation_policies.read"
    assert args["code_challenge_method"] == "S256"
    with admin.session_transaction() as session:
        assert session[PENDING]["state"] == args["state"]
        stored = next(v["data"] for k, v in session.items() if k.startswith("_state_pagerduty_"))
        assert next(k for k in session if k.startswith("_state_pagerduty_")).endswith("_" + args["state"])
    challenge = base64.urlsafe_b64encode(hashlib.sha256(stored["code_verifier"].encode()).digest())
    assert args["code_challenge"] == challenge.rstrip(b"=").decode()


def test_it_links_an_account_from_the_callback(admin: FlaskClient, sim: RunningSim, personas) -> None:
    response = link_by_oauth(admin, sim)

    [account] = accounts()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/integrations/pagerduty/{account.id}"
    assert account.auth_kind is AuthKind.OAUTH
    assert (account.region, account.subdomain) == (Region.US, "acme")
    assert account.remote_account_id == sim.sim.directory.account_id
    assert account.token_user_email == sim.admin_email
    assert account.scopes.split() == [
        "openid",
        *sorted(f"{ANALYTICS} incidents.write escalation_policies.read webhook_subscriptions.write".split()),
    ]
    assert crypto.decrypt(account.access_token_enc).startswith("pdus+_")
    assert crypto.decrypt(account.refresh_token_enc)
    assert account.expires_at is not None
    assert account.linked_by_id == personas.admin.id
    event = db.session.scalars(select(AuditEvent)).one()
    assert (event.action, event.target, event.details["method"]) == ("pagerduty.linked", "acme (US)", "oauth")
    page = page_text(admin, response.headers["Location"])
    assert (
        "Can do Analytics sync ✓ · Priority filter ✓ · Alert delivery ✓ · Escalation policy choice ✓ · "
        "Near-real-time sync ✓" in page
    )
    assert "OAuth, authorized by " + sim.admin_email in page


def test_it_shows_what_an_unrequested_write_scope_costs(admin: FlaskClient, sim: RunningSim) -> None:
    response = link_by_oauth(admin, sim, alert_delivery=False, realtime=False)

    assert "incidents.write" not in accounts()[0].scopes
    page = page_text(admin, response.headers["Location"])
    assert "Analytics sync ✓ · Priority filter ✓ · Alert delivery ✗ — needs incidents.write" in page


def test_it_reads_partial_grants_from_the_token_response(admin: FlaskClient, sim: RunningSim) -> None:
    response = link_by_oauth(admin, sim, untick=("incidents.write", "teams.read"))

    account = accounts()[0]
    assert "incidents.write" not in account.scopes.split()
    page = page_text(admin, response.headers["Location"])
    assert "missing: teams.read, incidents.write" in page
    assert "Analytics sync ✗ — needs teams.read" in page
    assert "Alert delivery ✗ — needs incidents.write" in page


def test_it_says_nothing_was_linked_when_consent_is_denied(admin: FlaskClient, sim: RunningSim) -> None:
    started = start_oauth(admin)
    params = consent(sim, started.headers["Location"], decision="deny")
    assert params["error"] == "access_denied"

    response = callback(admin, params)

    assert response.status_code == 302
    assert response.headers["Location"] == "/integrations"
    assert oauth.DECLINED in page_text(admin, "/integrations")
    assert accounts() == []


def test_it_refuses_a_callback_whose_state_does_not_match(admin: FlaskClient, sim: RunningSim) -> None:
    started = start_oauth(admin)
    params = consent(sim, started.headers["Location"])

    response = callback(admin, {**params, "state": "forged-state"})

    assert response.status_code == 400
    assert "does not match one Vigil started" in response.get_data(as_text=True)
    assert accounts() == []


def test_it_refuses_a_replayed_callback(admin: FlaskClient, sim: RunningSim) -> None:
    started = start_oauth(admin)
    params = consent(sim, started.headers["Location"])
    assert callback(admin, params).status_code == 302

    replay = callback(admin, params)

    assert replay.status_code == 400
    assert "does not match one Vigil started" in replay.get_data(as_text=True)
    assert len(accounts()) == 1


def test_it_explains_an_expired_code(admin: FlaskClient, sim: RunningSim) -> None:
    started = start_oauth(admin)
    params = consent(sim, started.headers["Location"])
    sim.control.advance_clock(31)  # API-NOTES §5.3: codes live 30 seconds

    response = callback(admin, params)

    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "PagerDuty refused the authorization code (The authorization code has expired)" in body
    assert accounts() == []


def test_it_fails_the_exchange_when_the_pkce_verifier_does_not_match(
    admin: FlaskClient, sim: RunningSim
) -> None:
    started = start_oauth(admin)
    params = consent(sim, started.headers["Location"])
    with admin.session_transaction() as session:
        key = next(k for k in session if k.startswith("_state_pagerduty_"))
        entry = session[key]
        entry["data"]["code_verifier"] = "x" * 64
        session[key] = entry

    response = callback(admin, params)

    assert response.status_code == 400
    assert "code_verifier does not match" in response.get_data(as_text=True)
    assert accounts() == []


def test_it_refuses_a_callback_started_in_another_workspace(admin: FlaskClient, sim: RunningSim) -> None:
    started = start_oauth(admin)
    params = consent(sim, started.headers["Location"])
    with admin.session_transaction() as session:
        session[PENDING] = {**session[PENDING], "workspace_id": -1}

    response = callback(admin, params)

    assert response.status_code == 400
    assert MOVED_WORKSPACE in text_of(response.get_data(as_text=True))


def test_it_resumes_an_account_linked_before(admin: FlaskClient, sim: RunningSim) -> None:
    link_by_oauth(admin, sim)
    [first] = accounts()
    first.status = AccountStatus.NEEDS_ATTENTION
    first.status_reason = "expired"
    db.session.commit()

    link_by_oauth(admin, sim)

    [again] = accounts()
    assert again.id == first.id
    assert (again.status, again.status_reason) == (AccountStatus.ACTIVE, None)
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["pagerduty.linked", "pagerduty.relinked"]


def test_it_forbids_members_to_start_or_finish_oauth(login_as, personas: Personas) -> None:
    member = login_as(personas.member.email)

    assert start_oauth(member).status_code == 403
    assert callback(member, {"code": "x", "state": "y"}).status_code == 403


class TestClassicApp:
    @pytest.fixture
    def settings_overrides(self, settings_overrides: dict[str, object]) -> dict[str, object]:
        client_id, secret, kind = CLASSIC_CLIENT
        return {
            **settings_overrides,
            "pagerduty_client_id": client_id,
            "pagerduty_client_secret": secret,
            "pagerduty_oauth_kind": kind,
        }

    def test_it_asks_for_write_and_gets_every_capability(self, admin: FlaskClient, sim: RunningSim) -> None:
        started = start_oauth(admin)
        assert query_of(started.headers["Location"])["scope"] == "write"

        response = callback(admin, consent(sim, started.headers["Location"]))

        assert accounts()[0].scopes == "openid write"
        page = page_text(admin, response.headers["Location"])
        assert "Analytics sync ✓ · Priority filter ✓ · Alert delivery ✓ · Escalation policy choice ✓" in page

    def test_it_asks_for_read_when_no_write_is_wanted(self, admin: FlaskClient) -> None:
        started = start_oauth(admin, alert_delivery=False, realtime=False)

        assert query_of(started.headers["Location"])["scope"] == "read"


class TestWithoutOAuthSettings:
    @pytest.fixture
    def settings_overrides(self, settings_overrides: dict[str, object]) -> dict[str, object]:
        return {**settings_overrides, "pagerduty_client_id": None, "pagerduty_client_secret": None}

    def test_it_explains_the_settings_and_offers_the_token_flow(self, admin: FlaskClient) -> None:
        page = page_text(admin, "/integrations")

        assert "OAuth is not configured on this Vigil server" in page
        assert (
            "PAGERDUTY_CLIENT_ID" in page
            and "PAGERDUTY_CLIENT_SECRET" in page
            and "docs/pagerduty.md" in page
        )
        assert "Install with API token" in page
        assert "Link with PagerDuty</button>" not in page

    def test_it_does_not_start_oauth(self, admin: FlaskClient) -> None:
        response = start_oauth(admin)

        assert response.status_code == 302
        assert response.headers["Location"] == "/integrations"

    def test_it_refuses_a_callback(self, admin: FlaskClient) -> None:
        response = callback(admin, {"code": "x", "state": "y"})

        assert response.status_code == 400
        assert "OAuth is not configured on this Vigil server" in response.get_data(as_text=True)


def test_it_never_logs_or_shows_the_tokens(admin: FlaskClient, sim: RunningSim, caplog) -> None:
    with caplog.at_level(logging.DEBUG):
        response = link_by_oauth(admin, sim)
        page = admin.get(response.headers["Location"]).get_data(as_text=True)

    access, refresh = (
        crypto.decrypt(s) for s in (accounts()[0].access_token_enc, accounts()[0].refresh_token_enc)
    )
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records
    assert access not in logged and refresh not in logged
    assert access not in page and refresh not in page


def test_a_grant_without_escalation_policies_says_so_when_a_rule_names_one(
    admin: FlaskClient, sim: RunningSim, personas: Personas
) -> None:
    """The refusal does not pass with time: it is worded as one, with what to do, not as 'right now'."""
    response = link_by_oauth(admin, sim, untick=("escalation_policies.read",))
    [account] = accounts()
    page = page_text(admin, response.headers["Location"])
    assert "Escalation policy choice ✗ — needs escalation_policies.read" in page
    admin.post(f"/integrations/pagerduty/{account.id}/services", data={"selected": "1"})
    pd_service = db.session.scalars(
        select(PDService).where(PDService.account_id == account.id, PDService.status == "active")
    ).first()
    assert pd_service is not None
    target = {"account": account.id, "service": pd_service.remote_id, "escalation_policy": "PPOLICY1"}
    body = {
        "name": "Queue too deep",
        "signal": "pushed",
        "metric": "queue.depth",
        "aggregation": "avg",
        "window_seconds": 300,
        "operator": ">",
        "threshold": 100,
        "targets": [target],
    }
    spec = parse_rule(body, alert_service.choices_for(personas.workspace))
    with pytest.raises(RuleInvalid) as caught:
        alert_service.create_rule(personas.workspace, spec, None)
    message = caught.value.errors["targets[0].escalation_policy"]
    assert "needs escalation_policies.read" in message and "re-link" in message
    assert "right now" not in message
