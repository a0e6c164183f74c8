"""Every route declares who may use it, and the declaration holds for each persona."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.factories import Personas, membership_of

ACCESS_LEVELS = {"public", "login", "member", "admin", "owner", "api"}


def _endpoints(app: Flask) -> list[tuple[str, str, set[str]]]:
    rows = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        # A placeholder value for every URL parameter: 999999 matches no row in any workspace; a choice of
        # names (`any(services, teams)`) takes its first.
        path = re.sub(r"<any\(([^,)]+)[^>]*>", r"\1", rule.rule)
        path = re.sub(r"<(?:int:)?[^>]+>", "999999", path)
        rows.append((rule.endpoint, path, set(rule.methods or ()) - {"HEAD", "OPTIONS"}))
    return rows


def _access(app: Flask, endpoint: str) -> str | None:
    return getattr(app.view_functions[endpoint], "access", None)


def test_it_declares_access_on_every_route(app: Flask) -> None:
    undeclared = [e for e, _, _ in _endpoints(app) if _access(app, e) not in ACCESS_LEVELS]
    assert undeclared == [], "mark these views @public, @login_only or with a role decorator"


def test_it_sends_anonymous_visitors_to_login(app: Flask, client: FlaskClient, personas: Personas) -> None:
    checked = 0
    for endpoint, path, methods in _endpoints(app):
        if _access(app, endpoint) in {"public", "api"}:
            continue
        for method in methods:
            response = client.open(path, method=method)
            assert response.status_code == 302, (method, path)
            assert "/login" in response.headers["Location"], (method, path)
            checked += 1
    assert checked > 10


def test_it_answers_anonymous_api_calls_with_401_json(
    app: Flask, client: FlaskClient, personas: Personas
) -> None:
    checked = 0
    for endpoint, path, methods in _endpoints(app):
        if _access(app, endpoint) != "api":
            continue
        for method in methods:
            response = client.open(path, method=method)
            assert response.status_code == 401, (method, path)
            assert response.json["error"]["status"] == 401, (method, path)
            assert "Location" not in response.headers, (method, path)
            checked += 1
    assert checked >= 3


def test_it_asks_htmx_requests_to_redirect_the_whole_page(client: FlaskClient) -> None:
    response = client.get("/dashboard", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


def test_it_forbids_members_on_admin_pages(app: Flask, login_as, personas: Personas) -> None:
    client = login_as(personas.member.email)
    checked = 0
    for endpoint, path, methods in _endpoints(app):
        if _access(app, endpoint) not in {"admin", "owner"}:
            continue
        for method in methods:
            response = client.open(path, method=method)
            assert response.status_code == 403, (method, path)
            checked += 1
    assert checked >= 5


def test_it_lets_members_read_member_pages(app: Flask, login_as, personas: Personas) -> None:
    client = login_as(personas.member.email)
    for endpoint, path, methods in _endpoints(app):
        if _access(app, endpoint) == "member" and "GET" in methods and "999999" not in path:
            assert client.get(path).status_code == 200, path


@pytest.mark.parametrize(
    ("method", "path_template"),
    [
        ("POST", "/settings/members/{membership}/role"),
        ("POST", "/settings/members/{membership}/remove"),
        ("POST", "/settings/invitations/{invitation}/revoke"),
        ("POST", "/workspaces/{workspace}/switch"),
    ],
)
def test_it_answers_404_for_another_workspaces_rows(
    app: Flask, login_as, personas: Personas, method: str, path_template: str
) -> None:
    from app.accounts import workspaces
    from app.extensions import db

    invitation, _ = workspaces.create_invitation(
        personas.workspace, membership_of(personas.owner, personas.workspace), workspaces.Role.MEMBER
    )
    db.session.commit()
    target = {
        "membership": membership_of(personas.member, personas.workspace).id,
        "invitation": invitation.id,
        "workspace": personas.workspace.id,
    }
    client = login_as(personas.outsider.email)  # owner of Globex, nothing in Acme
    response = client.open(path_template.format(**target), method=method, data={"role": "owner"})
    assert response.status_code == 404
    assert membership_of(personas.member, personas.workspace).role.value == "member"


@pytest.mark.parametrize(
    ("method", "path_template"),
    [
        ("GET", "/alerts/{rule}"),
        ("GET", "/alerts/{rule}/edit"),
        ("POST", "/alerts/{rule}/edit"),
        ("GET", "/alerts/{rule}/delete"),
        ("POST", "/alerts/{rule}/delete"),
        ("POST", "/alerts/{rule}/switch/disable"),
        ("POST", "/alerts/{rule}/targets/{target}/test"),
    ],
)
def test_it_answers_404_for_another_workspaces_alert_rules(
    app: Flask, login_as, personas: Personas, method: str, path_template: str
) -> None:
    from app.extensions import db
    from app.models import AlertRule, RuleTarget
    from tests.factories import make_pd_account

    rule = AlertRule(
        workspace_id=personas.workspace.id,
        uid="access-test-rule",
        name="Acme's rule",
        signal="pushed",
        metric="queue.depth",
        window_seconds=300,
        operator=">",
        threshold=1.0,
    )
    db.session.add(rule)
    db.session.flush()
    account = make_pd_account(personas.workspace)
    target = RuleTarget(rule_id=rule.id, account_id=account.id, service_remote_id="PSVC1", service_name="api")
    db.session.add(target)
    db.session.commit()
    client = login_as(personas.outsider.email)  # owner of Globex, nothing in Acme
    path = path_template.format(rule=rule.id, target=target.id)
    assert client.open(path, method=method, data={"name": "taken"}).status_code == 404
    db.session.expire_all()
    assert (rule.name, rule.enabled, rule.deleted_at) == ("Acme's rule", True, None)
