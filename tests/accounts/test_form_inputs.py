"""Web forms refuse what cannot be stored, next to the field, and save nothing (issues #15 and #16)."""

from __future__ import annotations

import html

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.analytics.interruptions import InterruptionClass, classify
from app.analytics.query import WorkspaceSettings
from app.errors import Refused
from app.extensions import db
from app.forms import EMAIL_MESSAGE, WHOLE_NUMBER_MESSAGE
from app.models import ApiKey, AuditEvent, Invitation, User, Workspace
from tests.factories import Personas

SETTINGS = {
    "name": "Acme Ops",
    "timezone": "UTC",
    "business_day_start": "9",
    "business_day_end": "17",
    "business_days": ["1", "2", "3", "4", "5"],
    "cfr_attribution_hours": "12",
}


def field_errors(page: str) -> list[str]:
    return [html.unescape(chunk.split("</div>")[0]) for chunk in page.split('<div class="field-error">')[1:]]


def workspace_name(personas: Personas) -> str:
    db.session.expire_all()
    return db.session.get(Workspace, personas.workspace.id).name  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("Acme\x00Ops", "Name must not contain a NUL character."),
        ("Acme\x1bOps", "Name must not contain control characters."),
    ],
)
def test_it_refuses_control_characters_in_the_workspace_name(
    admin: FlaskClient, personas: Personas, value: str, message: str
) -> None:
    response = admin.post("/settings/workspace", data={**SETTINGS, "name": value})
    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True)) == [message]
    assert workspace_name(personas) == "Acme"


def test_it_refuses_a_nul_in_a_new_workspace_name(admin: FlaskClient) -> None:
    response = admin.post("/workspaces/new", data={"name": "Ops\x00", "timezone": "UTC"})
    assert response.status_code == 400
    assert "Workspace name must not contain a NUL character." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Workspace.id)).where(Workspace.name.like("Ops%"))) == 0


def test_it_refuses_a_nul_in_the_profile_name(admin: FlaskClient, personas: Personas) -> None:
    response = admin.post("/account", data={"profile-name": "Ada\x00"})
    assert response.status_code == 400
    assert "Your name must not contain a NUL character." in response.get_data(as_text=True)
    db.session.expire_all()
    assert "\x00" not in db.session.get(User, personas.admin.id).name  # type: ignore[union-attr]


def test_it_refuses_a_nul_in_an_api_key_name(admin: FlaskClient) -> None:
    response = admin.post("/settings/api-keys", data={"name": "deploys\x00"})
    assert response.status_code == 400
    assert "Name must not contain a NUL character." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(ApiKey.id))) == 0


@pytest.mark.parametrize("email", ["ops\x00@example.com", "<script>@x.com", "a b@example.com", "x@localhost"])
def test_it_refuses_an_invitation_to_what_is_not_an_address(admin: FlaskClient, email: str) -> None:
    response = admin.post("/settings/members/invite", data={"email": email, "role": "member"})
    assert response.status_code == 400
    errors = field_errors(response.get_data(as_text=True))
    assert len(errors) == 1 and (errors[0] == EMAIL_MESSAGE or "NUL" in errors[0])
    assert db.session.scalar(select(func.count(Invitation.id))) == 0


def test_it_records_an_invitation_to_a_long_address_in_the_audit_log(admin: FlaskClient) -> None:
    email = "ops@" + ".".join(["d" * 63] * 3) + ".example.com"  # 200+ characters, a valid address
    assert len(email) > 200
    response = admin.post("/settings/members/invite", data={"email": email, "role": "member"})
    assert response.status_code == 302
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "invitation.created")).one()
    assert len(event.target) == 200 and event.target.endswith("…")
    assert event.details["target"] == email
    page = admin.get("/settings/audit").get_data(as_text=True)
    assert email in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"business_day_start": "abc"}, WHOLE_NUMBER_MESSAGE),
        ({"business_day_start": "\u00b2"}, WHOLE_NUMBER_MESSAGE),
        ({"business_day_start": "\u0661"}, WHOLE_NUMBER_MESSAGE),
        ({"business_day_start": "9" * 5000}, WHOLE_NUMBER_MESSAGE),
        ({"business_day_start": ""}, "Enter an hour."),
        ({"business_day_start": "24"}, "Enter an hour from 0 to 23."),
        ({"business_day_end": "25"}, "Enter an hour from 1 to 24."),
        ({"cfr_attribution_hours": "1e308"}, WHOLE_NUMBER_MESSAGE),
        ({"business_days": []}, "Pick at least one business day."),
        ({"business_days": ["funday"]}, "'funday' is not a valid choice for this field."),
    ],
)
def test_it_explains_each_bad_setting_once(
    admin: FlaskClient, personas: Personas, changes: dict[str, object], message: str
) -> None:
    response = admin.post("/settings/workspace", data={**SETTINGS, **changes})
    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True)) == [message]
    assert workspace_name(personas) == "Acme"


def test_it_lets_the_business_day_run_until_midnight(admin: FlaskClient, personas: Personas) -> None:
    response = admin.post("/settings/workspace", data={**SETTINGS, "business_day_end": "24"})
    assert response.status_code == 302
    db.session.expire_all()
    workspace = db.session.get(Workspace, personas.workspace.id)
    assert workspace is not None and workspace.business_day_end == 24
    settings = WorkspaceSettings(business_day_start=9, business_day_end=24)
    assert classify(23, 1, settings) is InterruptionClass.BUSINESS
    assert classify(8, 1, settings) is not InterruptionClass.BUSINESS


def test_it_refuses_a_nul_that_reaches_the_database_in_a_request(app: Flask, personas: Personas) -> None:
    with app.test_request_context("/"):
        workspace = db.session.get(Workspace, personas.workspace.id)
        assert workspace is not None
        workspace.name = "Acme\x00"
        with pytest.raises(Refused):
            db.session.flush()
        db.session.rollback()
    assert workspace_name(personas) == "Acme"
