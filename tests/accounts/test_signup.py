import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Membership, Role, User, Workspace
from tests.factories import Personas

NEW = {
    "name": "Fay First",
    "email": "Fay@Example.com ",
    "password": "a long password",
    "workspace": "Ops",
    "timezone": "Europe/Berlin",
}


def test_it_sends_the_first_visitor_to_sign_up(client: FlaskClient) -> None:
    assert client.get("/").headers["Location"] == "/signup"
    assert "You are the first person here" in client.get("/signup").get_data(as_text=True)


def test_it_makes_the_first_visitor_owner_of_a_new_workspace(app: Flask, client: FlaskClient) -> None:
    response = client.post("/signup", data=NEW)
    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    user = db.session.scalars(select(User)).one()
    assert user.email == "fay@example.com"
    membership = db.session.scalars(select(Membership)).one()
    assert membership.role is Role.OWNER
    assert membership.workspace.name == "Ops"
    assert membership.workspace.timezone == "Europe/Berlin"
    assert client.get("/dashboard").status_code == 200
    assert db.session.scalar(select(AuditEvent.action)) == "workspace.created"


def test_it_refuses_a_short_password_with_a_message(client: FlaskClient) -> None:
    response = client.post("/signup", data={**NEW, "password": "short"})
    assert response.status_code == 400
    assert "at least 10 characters" in response.get_data(as_text=True)
    assert db.session.scalar(select(User)) is None


def test_it_refuses_an_unknown_time_zone(client: FlaskClient) -> None:
    response = client.post("/signup", data={**NEW, "timezone": "Mars/Base"})
    assert response.status_code == 400
    assert "not a time zone we know" in response.get_data(as_text=True)
    assert db.session.scalar(select(Workspace)) is None


def test_it_closes_sign_up_once_someone_exists(client: FlaskClient, personas: Personas) -> None:
    response = client.get("/signup")
    assert response.status_code == 403
    assert "Sign-up is by invitation" in response.get_data(as_text=True)
    assert client.post("/signup", data=NEW).status_code == 403
    assert db.session.scalar(select(User).where(User.email == "fay@example.com")) is None


class TestOpenSignup:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"open_signup": True}

    def test_it_lets_anyone_start_a_workspace_when_open(
        self, client: FlaskClient, personas: Personas
    ) -> None:
        response = client.post("/signup", data=NEW)
        assert response.status_code == 302
        user = db.session.scalar(select(User).where(User.email == "fay@example.com"))
        assert user is not None
        assert [m.workspace.name for m in user.memberships] == ["Ops"]

    def test_it_refuses_a_taken_workspace_name(self, client: FlaskClient, personas: Personas) -> None:
        response = client.post("/signup", data={**NEW, "workspace": "acme"})
        assert response.status_code == 400
        assert "already exists" in response.get_data(as_text=True)

    def test_it_refuses_an_email_already_registered(self, client: FlaskClient, personas: Personas) -> None:
        response = client.post("/signup", data={**NEW, "email": personas.member.email})
        assert response.status_code == 400
        assert "log in instead" in response.get_data(as_text=True)
