import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.security import is_safe_next
from tests.factories import Personas


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("/dashboard", True),
        ("/settings/members?x=1", True),
        (None, False),
        ("", False),
        ("https://evil.example/", False),
        ("//evil.example/", False),
        ("/\\evil.example", False),
        ("\\\\evil.example", False),
        ("javascript:alert(1)", False),
        ("/ok\nLocation: x", False),
    ],
)
def test_it_only_allows_local_next_targets(target: str | None, safe: bool) -> None:
    assert is_safe_next(target) is safe


def test_it_sends_a_strict_content_security_policy(client: FlaskClient) -> None:
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "style-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_it_has_no_inline_script_in_pages(client: FlaskClient) -> None:
    html = client.get("/signup").get_data(as_text=True)
    assert "<script>" not in html
    assert 'src="/static/vendor/htmx/htmx.min.js"' in html
    assert '<meta name="csrf-token"' in html


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"extra": {"WTF_CSRF_ENABLED": True}}


def test_it_rejects_a_form_post_without_csrf_token(client: FlaskClient, personas: Personas) -> None:
    response = client.post(
        "/login", data={"email": personas.owner.email, "password": "correct horse battery"}
    )
    assert response.status_code == 400
    assert "form expired" in response.get_data(as_text=True)


def test_it_accepts_the_csrf_token_as_an_htmx_header(
    app: Flask, client: FlaskClient, personas: Personas
) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    response = client.post(
        "/login",
        data={"email": personas.owner.email, "password": "correct horse battery"},
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )
    assert response.status_code == 302


def test_it_refuses_oversized_bodies_before_reading_them(client: FlaskClient) -> None:
    response = client.post(
        "/webhooks/pagerduty/1", data=b"x" * (3 * 1024 * 1024), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.get_json() == {
        "error": {"status": 413, "message": "That request is larger than Vigil accepts (2 MB)."}
    }
