"""Fixtures for the JSON API: a workspace with services (tests/analytics/factories.World) and a key for it."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.accounts import api_keys as keys
from app.extensions import db
from tests.analytics.factories import World, make_world


class Api:
    """The test client with `Authorization: Bearer <key>` on every call."""

    def __init__(self, client: FlaskClient, key: str) -> None:
        self.client = client
        self.key = key

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def get(self, path: str, **params: Any) -> TestResponse:
        return self.client.get(path, query_string=params, headers=self._headers())

    def post(self, path: str, body: Any) -> TestResponse:
        return self.client.post(path, json=body, headers=self._headers())


@pytest.fixture
def world(app: Flask) -> World:
    world = make_world(name="Initech")
    db.session.commit()
    return world


@pytest.fixture
def api_key(world: World) -> str:
    _, raw = keys.create_key(world.workspace, "ci")
    db.session.commit()
    return raw


@pytest.fixture
def api(client: FlaskClient, api_key: str) -> Api:
    return Api(client, api_key)


def error_of(response: TestResponse) -> dict[str, Any]:
    assert response.is_json, response.get_data(as_text=True)
    return response.json["error"]  # type: ignore[index]
