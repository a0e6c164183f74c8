"""/api/v1/openapi.json: served without a key, describes every API route, and real answers match it."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from werkzeug.test import TestResponse

from app.crypto import encrypt
from app.extensions import db
from app.integrations.pagerduty.webhooks import sign
from tests.analytics.factories import World, make_incident, utc
from tests.api.conftest import Api
from tests.api.openapi_support import DOCUMENT, operations, problems
from tests.factories import make_pd_account

SECRET = "whsec-openapi-0123456789"


def test_it_serves_the_document_without_a_key(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json == DOCUMENT
    assert DOCUMENT["openapi"] == "3.1.0"


def test_it_documents_every_api_route_and_the_webhook_receiver(app: Flask) -> None:
    def as_openapi(rule: str) -> str:
        return rule.replace("<int:", "{").replace(">", "}")

    routed = {
        (method, as_openapi(rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(("/api/v1/", "/webhooks/"))
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    assert routed == set(operations())


def test_its_schemas_are_valid_json_schemas() -> None:
    for schema in DOCUMENT["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


@pytest.fixture
def hooked_account_id(world: World) -> int:
    account = make_pd_account(world.workspace, webhook_secret_enc=encrypt(SECRET))
    db.session.commit()
    return account.id


def test_real_answers_match_the_document(
    api: Api, world: World, hooked_account_id: int, client: FlaskClient
) -> None:
    make_incident(world.api, utc(2024, 3, 4, 10), ack_after=60, resolve_after=600, teams=[world.team])
    make_incident(world.api, utc(2024, 3, 5, 10))
    db.session.commit()
    auth = {"Authorization": f"Bearer {api.key}"}
    rule = {
        "name": "Deep",
        "signal": "pushed",
        "metric": "q",
        "operator": ">",
        "threshold": 5,
        "enabled": False,
    }
    deployment = {"service": world.api.remote_id, "at": "2024-03-04T09:00:00Z", "id": "b1", "summary": "v1"}
    signed = b'{"event": {"id": "E1", "event_type": "incident.triggered"}}'

    def call(method: str, path: str, url: str | None = None, **kwargs: Any) -> TestResponse:
        response = client.open(url or path, method=method, headers=kwargs.pop("headers", auth), **kwargs)
        found = problems(path, method, response)
        assert found == [], found
        return response

    call("GET", "/api/v1/openapi.json")
    call("GET", "/api/v1/metrics", query_string={"start": "2024-03-01", "end": "2024-04-01"})
    page = call(
        "GET", "/api/v1/incidents", query_string={"start": "2024-03-01", "per_page": 1, "end": "2024-04-01"}
    )
    assert page.json["next"] is not None
    call("GET", "/api/v1/incidents", query_string={"start": "yesterday"})
    call("GET", "/api/v1/metrics", headers={})
    call("GET", "/api/v1/metrics", headers={"Authorization": "Bearer vgl_nope"})
    assert call("POST", "/api/v1/deployments", json=deployment).status_code == 201
    assert call("POST", "/api/v1/deployments", json=deployment).status_code == 200
    call("POST", "/api/v1/deployments", json={**deployment, "when": 1})
    call("POST", "/api/v1/metrics/points", json={"points": [{"name": "q", "value": 3, "labels": {"a": "b"}}]})
    call("POST", "/api/v1/metrics/points", json={"points": "many"})
    created = call("POST", "/api/v1/alert-rules", json=rule)
    assert created.status_code == 201
    one = f"/api/v1/alert-rules/{created.json['id']}"
    template = "/api/v1/alert-rules/{rule_id}"
    call("GET", "/api/v1/alert-rules")
    call("GET", template, one)
    call("PUT", template, one, json={**rule, "threshold": 7})
    call("PATCH", template, one, json={"muted": True})
    call("PATCH", template, one, json={"title_template": "{nope}"})
    call("POST", "/api/v1/alert-rules", json={"name": ""})
    call("DELETE", template, one)
    call("GET", template, one)
    call("GET", template, "/api/v1/alert-rules/2147483648")
    call("POST", "/api/v1/metrics", "/api/v1/metrics")
    hook = "/webhooks/pagerduty/{account_id}"
    url = f"/webhooks/pagerduty/{hooked_account_id}"
    headers = {"X-PagerDuty-Signature": sign(signed, SECRET), "X-Webhook-Id": "wh-1"}
    call("POST", hook, url, data=signed, content_type="application/json", headers=headers)
    call("POST", hook, url, data=signed, content_type="application/json", headers={})
    call(
        "POST",
        hook,
        url,
        data=b"[1]",
        content_type="application/json",
        headers={"X-PagerDuty-Signature": sign(b"[1]", SECRET)},
    )
    call("POST", hook, "/webhooks/pagerduty/2147483648", data=signed, headers=headers)
