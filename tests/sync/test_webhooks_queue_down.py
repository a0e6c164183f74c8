"""With the queue unreachable the endpoint answers 503, so PagerDuty retries the delivery later."""

from __future__ import annotations

import pytest
from flask import Flask

from app.crypto import encrypt
from app.extensions import db
from app.integrations.pagerduty.webhooks import sign
from pdsim.testing import RunningSim
from tests.factories import make_pd_account, make_workspace

SECRET = "whsec-queue-down"


@pytest.fixture
def settings_overrides(sim_session: RunningSim) -> dict[str, object]:
    return {"pagerduty_api_url": sim_session.us_url, "redis_url": "redis://127.0.0.1:1/0"}


def test_it_answers_503_when_the_queue_is_down(app: Flask) -> None:
    account = make_pd_account(make_workspace("Acme"), webhook_secret_enc=encrypt(SECRET))
    db.session.commit()
    body = b'{"event":{"id":"E1","event_type":"incident.triggered"}}'
    response = app.test_client().post(
        f"/webhooks/pagerduty/{account.id}",
        data=body,
        headers={"X-PagerDuty-Signature": sign(body, SECRET), "X-Webhook-Id": "down-1"},
    )
    assert response.status_code == 503
    assert response.get_json() == {"error": {"status": 503, "message": "queue unavailable, retry later"}}
