"""Bearer-key authentication: 401 JSON for a missing, malformed, unknown or revoked key; never a redirect."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.accounts import api_keys as keys
from app.extensions import db
from app.models import ApiKey
from tests.analytics.factories import World
from tests.api.conftest import error_of


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token vgl_abc", "Bearer vgl_not-a-real-key"],
)
def test_it_answers_401_json_without_a_valid_key(
    client: FlaskClient, world: World, header: str | None
) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = client.get("/api/v1/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert error_of(response)["status"] == 401
    assert "Location" not in response.headers


def test_it_answers_401_to_a_revoked_key(client: FlaskClient, world: World) -> None:
    key, raw = keys.create_key(world.workspace, "ci")
    keys.revoke_key(key)
    db.session.commit()
    response = client.get("/api/v1/metrics", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 401
    assert error_of(response) == {"status": 401, "message": "This API key is not valid, or it was revoked."}


def test_it_accepts_a_valid_key_and_records_its_use(client: FlaskClient, world: World, api_key: str) -> None:
    response = client.get("/api/v1/metrics", headers={"Authorization": f"bearer {api_key}"})
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.scalar(db.select(ApiKey.last_used_at)) is not None


def test_it_needs_no_csrf_token(app: Flask, client: FlaskClient, world: World, api_key: str) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(
        "/api/v1/deployments",
        json={"service": world.api.remote_id, "at": "2024-03-04T10:00:00Z"},
        headers={"Authorization": f"Bearer {api_key}"},
    )
    assert response.status_code == 201, response.get_data(as_text=True)


def test_it_answers_json_for_unknown_api_paths_and_methods(client: FlaskClient, api_key: str) -> None:
    headers = {"Authorization": f"Bearer {api_key}"}
    assert error_of(client.get("/api/v1/nothing", headers=headers))["status"] == 404
    assert error_of(client.delete("/api/v1/metrics", headers=headers))["status"] == 405
