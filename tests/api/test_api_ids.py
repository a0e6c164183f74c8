"""Ids in paths: every `<int:…>` route, web, API and webhook, answers 404 to an id no row can have."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.accounts import api_keys as keys
from app.extensions import db
from app.inputs import MAX_ID
from tests.factories import Personas

# 2**31 overflows PostgreSQL's integer columns, 2**64 SQLite's; "٣" is a digit to Python's int() and \d.
IMPOSSIBLE_IDS = (str(MAX_ID + 1), str(2**64), "9" * 5000, "٣")


def int_routes(app: Flask) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if "<int" not in rule.rule:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append((method, rule.rule))
    return routes


@pytest.fixture
def api_key_for_acme(personas: Personas) -> str:
    _, raw = keys.create_key(personas.workspace, "ci")
    db.session.commit()
    return raw


def with_id(rule: str, value: str) -> str:
    return re.sub(r"<int(\([^)]*\))?:\w+>", value, rule)


@pytest.mark.parametrize("impossible", IMPOSSIBLE_IDS)
def test_it_answers_404_to_an_impossible_id_on_every_route(
    app: Flask,
    client: FlaskClient,
    personas: Personas,
    login_as: Callable[[str], FlaskClient],
    api_key_for_acme: str,
    impossible: str,
) -> None:
    routes = int_routes(app)
    assert any(rule.startswith("/webhooks/") for _, rule in routes)
    assert any(rule.startswith("/api/v1/") for _, rule in routes)
    login_as(personas.owner.email)
    headers = {"Authorization": f"Bearer {api_key_for_acme}"}
    answers = {
        (method, rule): client.open(with_id(rule, impossible), method=method, headers=headers).status_code
        for method, rule in routes
    }
    assert answers == dict.fromkeys(answers, 404)


def test_it_keeps_a_real_id_routed(app: Flask, client: FlaskClient, api_key_for_acme: str) -> None:
    headers = {"Authorization": f"Bearer {api_key_for_acme}"}
    response = client.get(f"/api/v1/alert-rules/{MAX_ID}", headers=headers)
    assert response.status_code == 404
    assert response.json == {
        "error": {"status": 404, "message": f"No alert rule {MAX_ID} in this workspace."}
    }


def test_it_answers_404_before_the_webhook_signature_check(client: FlaskClient) -> None:
    response = client.post(f"/webhooks/pagerduty/{MAX_ID + 1}", data=b"{}")
    assert response.status_code == 404
    assert response.json == {"error": {"status": 404, "message": response.json["error"]["message"]}}
