"""The account page's near-real-time section: without a public URL, a pasted secret, and a queue outage."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.crypto import decrypt, encrypt
from app.extensions import db
from app.integrations.pagerduty.webhooks import sign
from app.models import AuditEvent, PagerDutyAccount
from pdsim.testing import RunningSim
from tests.factories import Personas, make_pd_account
from tests.sync.conftest import TOKEN


@pytest.fixture
def acme_account(personas: Personas, sim: RunningSim) -> PagerDutyAccount:
    account = make_pd_account(
        personas.workspace, token_user_email=sim.admin_email, access_token_enc=encrypt(TOKEN)
    )
    db.session.commit()
    return account


def test_it_explains_that_pagerduty_needs_a_public_url(
    app: Flask, login_as: Callable[[str], FlaskClient], personas: Personas, acme_account: PagerDutyAccount
) -> None:
    client = login_as(personas.admin.email)
    page = client.get(f"/integrations/pagerduty/{acme_account.id}").get_data(as_text=True)
    assert "PagerDuty needs a public URL" in page and "VIGIL_BASE_URL" in page
    assert "Enable near-real-time sync" not in page
    response = client.post(f"/integrations/pagerduty/{acme_account.id}/webhook/enable", follow_redirects=True)
    assert "set VIGIL_BASE_URL" in response.get_data(as_text=True)
    db.session.refresh(acme_account)
    assert acme_account.webhook_secret_enc is None


def test_it_saves_a_pasted_secret_encrypted_and_never_shows_it(
    app: Flask, login_as: Callable[[str], FlaskClient], personas: Personas, acme_account: PagerDutyAccount
) -> None:
    app.config["VIGIL"] = dataclasses.replace(app.config["VIGIL"], base_url="https://vigil.example")
    client = login_as(personas.admin.email)
    secret = "hand-made-secret-abc123"
    response = client.post(
        f"/integrations/pagerduty/{acme_account.id}/webhook/secret",
        data={"secret": secret, "subscription_id": "PHAND01"},
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Signing secret saved" in page and "subscription PHAND01" in page
    assert secret not in page
    assert f"https://vigil.example/webhooks/pagerduty/{acme_account.id}" in page
    db.session.refresh(acme_account)
    assert (
        acme_account.webhook_secret_enc != secret and decrypt(acme_account.webhook_secret_enc or "") == secret
    )
    events = db.session.scalars(select(AuditEvent)).all()
    assert [e.action for e in events] == ["pagerduty.webhook_secret_set"] and secret not in str(
        events[0].details
    )
    body = b'{"event":{"id":"E1","event_type":"incident.resolved"}}'
    delivered = client.post(
        f"/webhooks/pagerduty/{acme_account.id}",
        data=body,
        headers={"X-PagerDuty-Signature": sign(body, secret), "X-Webhook-Id": "hand-1"},
    )
    assert delivered.status_code == 202


def test_it_forbids_members_to_change_the_subscription(
    app: Flask, login_as: Callable[[str], FlaskClient], personas: Personas, acme_account: PagerDutyAccount
) -> None:
    client = login_as(personas.member.email)
    assert "Save secret" not in client.get(f"/integrations/pagerduty/{acme_account.id}").get_data(
        as_text=True
    )
    response = client.post(f"/integrations/pagerduty/{acme_account.id}/webhook/secret", data={"secret": "x"})
    assert response.status_code == 403
