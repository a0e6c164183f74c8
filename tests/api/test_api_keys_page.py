"""Settings → API keys: admins create a key (shown once) and revoke keys; nobody else can."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select

from app.accounts import api_keys as keys
from app.extensions import db
from app.models import ApiKey, AuditEvent
from tests.factories import Personas

PAGE = "/settings/api-keys"
LoginAs = Callable[[str], FlaskClient]


def test_it_shows_a_new_key_once(login_as: LoginAs, personas: Personas) -> None:
    client = login_as(personas.admin.email)
    response = client.post(PAGE, data={"name": "deploy pipeline"}, headers={"HX-Request": "true"})
    assert response.status_code == 201
    html = response.get_data(as_text=True)
    assert 'id="api-keys-body"' in html and "<html" not in html
    raw = re.search(r"vgl_[A-Za-z0-9_-]{40,}", html).group(0)  # type: ignore[union-attr]
    key = keys.verify_key(raw)
    assert key is not None
    assert (key.workspace_id, key.name, key.created_by_id) == (
        personas.workspace.id,
        "deploy pipeline",
        personas.admin.id,
    )
    page = client.get(PAGE).get_data(as_text=True)
    assert raw not in page
    assert key.prefix in page and "deploy pipeline" in page
    event = db.session.scalars(select(AuditEvent)).one()
    assert (event.action, event.actor_id, event.details) == (
        "api_key.created",
        personas.admin.id,
        {"prefix": key.prefix},
    )


def test_it_asks_for_a_name(login_as: LoginAs, personas: Personas) -> None:
    client = login_as(personas.admin.email)
    response = client.post(PAGE, data={"name": ""})
    assert response.status_code == 400
    assert "Give the key a name." in response.get_data(as_text=True)
    assert db.session.scalars(select(ApiKey)).all() == []


def test_it_revokes_a_key_in_place(login_as: LoginAs, personas: Personas) -> None:
    key, raw = keys.create_key(personas.workspace, "ci")
    db.session.commit()
    client = login_as(personas.owner.email)
    response = client.post(f"{PAGE}/{key.id}/revoke", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.startswith(f'<tr id="api-key-{key.id}">') and "revoked" in html
    assert keys.verify_key(raw) is None
    assert db.session.scalars(select(AuditEvent.action)).all() == ["api_key.revoked"]
    assert client.get("/api/v1/metrics", headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_it_redirects_after_a_revoke_without_htmx(login_as: LoginAs, personas: Personas) -> None:
    key, _ = keys.create_key(personas.workspace, "ci")
    db.session.commit()
    client = login_as(personas.admin.email)
    response = client.post(f"{PAGE}/{key.id}/revoke")
    assert response.status_code == 302 and response.headers["Location"].endswith(PAGE)


def test_it_answers_404_for_another_workspaces_key(login_as: LoginAs, personas: Personas) -> None:
    key, raw = keys.create_key(personas.workspace, "ci")
    db.session.commit()
    client = login_as(personas.outsider.email)
    assert client.post(f"{PAGE}/{key.id}/revoke").status_code == 404
    assert keys.verify_key(raw) is not None


def test_it_keeps_members_out(login_as: LoginAs, personas: Personas) -> None:
    client = login_as(personas.member.email)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, data={"name": "x"}).status_code == 403


def test_it_shows_the_settings_nav_link(login_as: LoginAs, personas: Personas) -> None:
    client = login_as(personas.admin.email)
    html = client.get("/settings/members").get_data(as_text=True)
    assert f'href="{PAGE}"' in html


def test_a_form_post_without_javascript_redirects_and_a_reload_sends_nothing_again(
    login_as: LoginAs, personas: Personas
) -> None:
    client = login_as(personas.admin.email)
    response = client.post(PAGE, data={"name": "deploy pipeline"})
    assert response.status_code == 302 and response.headers["Location"] == PAGE
    landed = client.get(PAGE).get_data(as_text=True)
    raw = re.search(r"vgl_[A-Za-z0-9_-]{40,}", landed).group(0)  # type: ignore[union-attr]
    assert keys.verify_key(raw) is not None
    assert raw not in client.get(PAGE).get_data(as_text=True)  # shown once
    assert len(keys.workspace_keys(personas.workspace.id)) == 1
