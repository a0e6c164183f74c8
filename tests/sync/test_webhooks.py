"""POST /webhooks/pagerduty/<account>: signature on the raw body, dedupe on the signed event id and on
X-Webhook-Id, a nudged sync."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rq.job import Job

from app.crypto import encrypt
from app.extensions import db
from app.integrations.pagerduty.sync import runner
from app.integrations.pagerduty.webhooks import sign
from app.models import AccountStatus, PagerDutyAccount
from app.queue import get_queue, redis_connection

SECRET = "whsec-current-0123456789"
NEW_SECRET = "whsec-rotated-9876543210"
# Spacing and key order as PagerDuty sent them: re-serialised JSON would not match the signature.
BODY = b'{"event": {"id": "01EVT", "event_type": "incident.triggered",  "resource_type": "incident"}}'


@pytest.fixture
def hooked(account: PagerDutyAccount) -> PagerDutyAccount:
    account.webhook_subscription_id = "PSUB1"
    account.webhook_secret_enc = encrypt(SECRET)
    db.session.commit()
    return account


def deliver(
    client: FlaskClient,
    account_id: int,
    body: bytes = BODY,
    signature: str | None = None,
    hook_id: str = "wh-1",
) -> tuple[int, dict[str, str]]:
    headers = {
        "Content-Type": "application/json",
        "X-PagerDuty-Signature": signature if signature is not None else sign(body, SECRET),
        "X-Webhook-Id": hook_id,
        "User-Agent": "PagerDuty-Webhook/V3.0",
    }
    response = client.post(f"/webhooks/pagerduty/{account_id}", data=body, headers=headers)
    return response.status_code, response.get_json()


def scheduled() -> list[str]:
    return get_queue("sync").scheduled_job_registry.get_job_ids()


def test_it_accepts_a_signed_delivery_and_nudges_the_sync(
    app: Flask, client: FlaskClient, hooked: PagerDutyAccount
) -> None:
    assert deliver(client, hooked.id) == (202, {"status": "queued"})
    assert scheduled() == [runner.job_id(hooked.id)]  # a few seconds later, so a burst makes one run


def test_it_rejects_a_bad_signature_without_enqueueing(
    app: Flask, client: FlaskClient, hooked: PagerDutyAccount, caplog: pytest.LogCaptureFixture
) -> None:
    assert deliver(client, hooked.id, signature=sign(BODY, "someone-else")) == (
        401,
        {"error": {"status": 401, "message": "invalid signature"}},
    )
    assert deliver(client, hooked.id, signature="") == (
        401,
        {"error": {"status": 401, "message": "invalid signature"}},
    )
    tampered = BODY.replace(b"triggered", b"resolved")
    assert deliver(client, hooked.id, body=tampered, signature=sign(BODY, SECRET))[0] == 401
    assert scheduled() == [] and get_queue("sync").count == 0
    assert "bad signature" in caplog.text and "incident.triggered" not in caplog.text  # no body in logs


def test_it_rejects_an_unknown_or_unlinked_account(
    app: Flask, client: FlaskClient, hooked: PagerDutyAccount
) -> None:
    assert deliver(client, hooked.id + 1000)[0] == 401
    hooked.status = AccountStatus.UNLINKED
    db.session.commit()
    assert deliver(client, hooked.id)[0] == 401


def test_it_accepts_either_signature_during_a_secret_rotation(
    app: Flask, client: FlaskClient, hooked: PagerDutyAccount
) -> None:
    both = f"{sign(BODY, NEW_SECRET)},{sign(BODY, SECRET)}"
    assert deliver(client, hooked.id, signature=both) == (202, {"status": "queued"})
    only_new = sign(BODY, NEW_SECRET)
    assert deliver(client, hooked.id, signature=only_new, hook_id="wh-2")[0] == 401
    # Once the admin pastes the new secret, the rotation completes.
    hooked.webhook_secret_enc = encrypt(NEW_SECRET)
    db.session.commit()
    later = BODY.replace(b"01EVT", b"03EVT")
    signed = sign(later, NEW_SECRET)
    assert deliver(client, hooked.id, body=later, signature=signed, hook_id="wh-3") == (
        202,
        {"status": "queued"},
    )


def test_it_ignores_a_duplicate_delivery(app: Flask, client: FlaskClient, hooked: PagerDutyAccount) -> None:
    assert deliver(client, hooked.id) == (202, {"status": "queued"})
    Job.fetch(runner.job_id(hooked.id), connection=redis_connection()).delete()
    assert deliver(client, hooked.id) == (202, {"status": "duplicate"})
    assert scheduled() == [] and get_queue("sync").count == 0
    assert 0 < redis_connection().ttl("vigil:webhook:wh-1") <= 3 * 86400


def test_it_ignores_a_captured_body_replayed_under_a_new_webhook_id(
    app: Flask, client: FlaskClient, hooked: PagerDutyAccount
) -> None:
    assert deliver(client, hooked.id, hook_id="wh-1") == (202, {"status": "queued"})
    Job.fetch(runner.job_id(hooked.id), connection=redis_connection()).delete()

    # X-Webhook-Id is not covered by the signature: only the signed event id tells a replay apart.
    assert deliver(client, hooked.id, hook_id="wh-forged") == (202, {"status": "duplicate"})
    assert scheduled() == [] and get_queue("sync").count == 0


def test_it_accepts_a_new_event_of_the_same_account(
    app: Flask, client: FlaskClient, hooked: PagerDutyAccount
) -> None:
    other = BODY.replace(b"01EVT", b"02EVT")
    assert deliver(client, hooked.id, hook_id="wh-1") == (202, {"status": "queued"})
    assert deliver(client, hooked.id, body=other, hook_id="wh-2") == (202, {"status": "queued"})


def test_it_answers_a_ping_without_a_sync(app: Flask, client: FlaskClient, hooked: PagerDutyAccount) -> None:
    ping = json.dumps({"event": {"id": "01PING", "event_type": "pagey.ping"}}).encode()
    assert deliver(client, hooked.id, body=ping, signature=sign(ping, SECRET)) == (202, {"status": "pong"})
    assert scheduled() == []


def test_it_needs_no_csrf_token_nor_login(app: Flask, hooked: PagerDutyAccount) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    assert deliver(app.test_client(), hooked.id)[0] == 202


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"[" * 100_000, "The body is nested more than 32 levels deep."),
        (b"[1, 2]", "The body must be a JSON object."),
        (b'"incident.triggered"', "The body must be a JSON object."),
        (b'{"event": ["incident.triggered"]}', "event must be a JSON object."),
        (b'{"event": {"id": {"nested": 1}}}', "event.id must be text of at most 200 characters."),
        (b'{"event": {"id": "\\ud800"}}', "A text value holds an unpaired surrogate character"),
        (b'{"event": {"id": "E", "n": ' + b"9" * 5000 + b"}}", "Numbers must be between"),
        (b"{not json", "The body is not valid JSON"),
    ],
)
def test_it_refuses_a_signed_body_it_cannot_read(
    app: Flask, client: FlaskClient, hooked: PagerDutyAccount, body: bytes, message: str
) -> None:
    status, answer = deliver(client, hooked.id, body=body)
    assert status == 400
    assert answer["error"]["status"] == 400
    assert answer["error"]["message"].startswith(message)
    assert scheduled() == [] and get_queue("sync").count == 0


def test_it_still_checks_the_signature_before_reading_the_body(
    app: Flask, client: FlaskClient, hooked: PagerDutyAccount
) -> None:
    assert deliver(client, hooked.id, body=b"[" * 100_000, signature="v1=00")[0] == 401
