"""Signed-in pages show workspace data: no browser, proxy or back-button cache may keep them (issue #15)."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.factories import Personas


def test_it_keeps_signed_in_pages_out_of_every_cache(login_as, personas: Personas) -> None:
    client = login_as(personas.admin.email)
    for path in ("/dashboard", "/incidents", "/alerts", "/account", "/settings/audit"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
    partial = client.get("/incidents", headers={"HX-Request": "true"})
    assert partial.headers["Cache-Control"] == "no-store"


def test_it_lets_public_pages_and_static_files_be_cached(client: FlaskClient) -> None:
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")
    assert "no-store" not in client.get("/static/favicon.svg").headers.get("Cache-Control", "")
