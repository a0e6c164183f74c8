from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Workspace
from tests.factories import Personas

SETTINGS = {
    "name": "Acme Ops",
    "timezone": "America/New_York",
    "business_day_start": "9",
    "business_day_end": "17",
    "business_days": ["1", "2", "3", "4"],
    "cfr_attribution_hours": "12",
}


def test_it_saves_workspace_settings(login_as, personas: Personas) -> None:
    client = login_as(personas.admin.email)
    assert client.post("/settings/workspace", data=SETTINGS).status_code == 302
    workspace = db.session.get(Workspace, personas.workspace.id)
    db.session.refresh(workspace)
    assert (workspace.name, workspace.timezone) == ("Acme Ops", "America/New_York")
    assert (workspace.business_day_start, workspace.business_day_end) == (9, 17)
    assert workspace.business_weekdays == [1, 2, 3, 4]
    assert workspace.cfr_attribution_hours == 12
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "workspace.settings_changed")
    ).one()
    assert event.details["before"] == {"name": "Acme", "timezone": "UTC"}


def test_it_explains_bad_settings(login_as, personas: Personas) -> None:
    client = login_as(personas.admin.email)
    bad_zone = client.post("/settings/workspace", data={**SETTINGS, "timezone": "Nowhere/Land"})
    assert bad_zone.status_code == 400
    assert "not a time zone we know" in bad_zone.get_data(as_text=True)
    backwards = client.post(
        "/settings/workspace", data={**SETTINGS, "business_day_start": "18", "business_day_end": "8"}
    )
    assert "must end after it starts" in backwards.get_data(as_text=True)
    taken = client.post("/settings/workspace", data={**SETTINGS, "name": "Globex"})
    assert "already exists" in taken.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Workspace, personas.workspace.id).name == "Acme"


def test_it_switches_between_a_users_workspaces(client: FlaskClient, login_as, personas: Personas) -> None:
    client = login_as(personas.owner.email)
    response = client.post("/workspaces/new", data={"name": "Side Project", "timezone": "UTC"})
    assert response.status_code == 302
    assert "Side Project" in client.get("/dashboard").get_data(as_text=True)
    client.post(f"/workspaces/{personas.workspace.id}/switch")
    page = client.get("/settings/members").get_data(as_text=True)
    assert "Mia Member" in page


def test_it_shows_the_audit_log_to_admins_only(login_as, client: FlaskClient, personas: Personas) -> None:
    admin = login_as(personas.admin.email)
    admin.post("/settings/workspace", data=SETTINGS)
    page = admin.get("/settings/audit").get_data(as_text=True)
    assert "workspace.settings_changed" in page
    assert "admin@acme.test" in page
    admin.post("/logout")
    assert login_as(personas.member.email).get("/settings/audit").status_code == 403
