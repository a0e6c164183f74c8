import hashlib

from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Invitation, Membership, Role, User
from tests.factories import Personas, make_user, membership_of


def _invite(client: FlaskClient, **data: str) -> str:
    response = client.post("/settings/members/invite", data={"role": "member", **data})
    # Redirect-after-POST: the members page the browser lands on shows the link once.
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == "/settings/members"
    html = client.get("/settings/members").get_data(as_text=True)
    return html.split('id="invite-link">', 1)[1].split("</code>", 1)[0]


def test_it_shows_a_new_invitation_link_once_and_keeps_only_its_hash(login_as, personas: Personas) -> None:
    client = login_as(personas.admin.email)
    link = _invite(client, email="new@acme.test")
    token = link.split("token=", 1)[1]
    stored = db.session.scalars(select(Invitation)).one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in client.get("/settings/members").get_data(as_text=True)
    assert "new@acme.test" in client.get("/settings/members").get_data(as_text=True)


def test_it_returns_the_invitations_partial_to_htmx(login_as, personas: Personas) -> None:
    client = login_as(personas.admin.email)
    response = client.post(
        "/settings/members/invite", data={"role": "member"}, headers={"HX-Request": "true"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 201
    assert html.lstrip().startswith('<div id="invitations-body">')
    assert "<html" not in html


def test_it_lets_a_new_person_join_with_the_link(client: FlaskClient, login_as, personas: Personas) -> None:
    link = _invite(login_as(personas.admin.email), role="admin")
    client.post("/logout")
    page = client.get(link, follow_redirects=True)
    assert "Join Acme" in page.get_data(as_text=True)
    response = client.post(
        "/signup", data={"email": "joiner@acme.test", "password": "a long password", "name": "Jo"}
    )
    assert response.status_code == 302
    joiner = db.session.scalar(select(User).where(User.email == "joiner@acme.test"))
    assert membership_of(joiner, personas.workspace).role is Role.ADMIN
    # The link works once.
    assert client.get(link).status_code == 404


def test_it_lets_an_existing_user_accept_into_a_second_workspace(
    client: FlaskClient, login_as, personas: Personas
) -> None:
    link = _invite(login_as(personas.admin.email))
    client.post("/logout")
    login_as(personas.outsider.email)
    assert client.get(link).headers["Location"] == "/invite"
    response = client.post("/invite")
    assert response.status_code == 302
    assert {m.workspace.name for m in db.session.get(User, personas.outsider.id).memberships} == {
        "Acme",
        "Globex",
    }


def test_it_keeps_an_email_bound_invitation_for_that_address(
    client: FlaskClient, login_as, personas: Personas
) -> None:
    link = _invite(login_as(personas.admin.email), email="someone@else.test")
    client.post("/logout")
    login_as(personas.outsider.email)
    client.get(link)
    response = client.post("/invite")
    assert response.status_code == 400
    assert "This invitation is for someone@else.test" in response.get_data(as_text=True)


def test_it_refuses_owner_invitations_from_admins(login_as, personas: Personas) -> None:
    client = login_as(personas.admin.email)
    response = client.post("/settings/members/invite", data={"role": "owner"})
    assert response.status_code == 400
    assert "Only an owner can invite another owner" in response.get_data(as_text=True)


def test_it_revokes_an_invitation(client: FlaskClient, login_as, personas: Personas) -> None:
    admin = login_as(personas.admin.email)
    link = _invite(admin)
    invitation = db.session.scalars(select(Invitation)).one()
    assert admin.post(f"/settings/invitations/{invitation.id}/revoke").status_code == 302
    assert client.get(link).status_code == 404


def test_it_changes_a_role_and_answers_htmx_with_the_row(login_as, personas: Personas) -> None:
    client = login_as(personas.owner.email)
    member = membership_of(personas.member, personas.workspace)
    response = client.post(
        f"/settings/members/{member.id}/role", data={"role": "admin"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith(f'<tr id="member-{member.id}">')
    assert "Saved" in html
    db.session.expire_all()
    assert membership_of(personas.member, personas.workspace).role is Role.ADMIN
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "member.role_changed")).one()
    assert event.details == {"old": "member", "new": "admin"}
    assert event.actor_id == personas.owner.id


def test_it_never_demotes_or_removes_the_last_owner(login_as, personas: Personas) -> None:
    client = login_as(personas.owner.email)
    owner = membership_of(personas.owner, personas.workspace)
    response = client.post(
        f"/settings/members/{owner.id}/role", data={"role": "member"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 400
    assert "at least one owner" in response.get_data(as_text=True)
    response = client.post(f"/settings/members/{owner.id}/remove", headers={"HX-Request": "true"})
    assert response.status_code == 400
    db.session.expire_all()
    assert membership_of(personas.owner, personas.workspace).role is Role.OWNER


def test_it_lets_an_owner_step_down_once_another_owner_exists(login_as, personas: Personas) -> None:
    client = login_as(personas.owner.email)
    admin = membership_of(personas.admin, personas.workspace)
    owner = membership_of(personas.owner, personas.workspace)
    assert client.post(f"/settings/members/{admin.id}/role", data={"role": "owner"}).status_code == 302
    assert client.post(f"/settings/members/{owner.id}/role", data={"role": "member"}).status_code == 302
    db.session.expire_all()
    assert membership_of(personas.owner, personas.workspace).role is Role.MEMBER


def test_it_stops_admins_touching_owners(login_as, personas: Personas) -> None:
    client = login_as(personas.admin.email)
    owner = membership_of(personas.owner, personas.workspace)
    assert (
        client.post(f"/settings/members/{owner.id}/remove", headers={"HX-Request": "true"}).status_code == 400
    )
    member = membership_of(personas.member, personas.workspace)
    response = client.post(
        f"/settings/members/{member.id}/role", data={"role": "owner"}, headers={"HX-Request": "true"}
    )
    assert "Only an owner can grant" in response.get_data(as_text=True)


def test_it_removes_a_member_who_then_cannot_see_the_workspace(
    client: FlaskClient, login_as, personas: Personas
) -> None:
    admin = login_as(personas.admin.email)
    member = membership_of(personas.member, personas.workspace)
    response = admin.post(f"/settings/members/{member.id}/remove", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert db.session.get(Membership, member.id) is None
    admin.post("/logout")
    login_as(personas.member.email)
    assert client.get("/dashboard").headers["Location"] == "/no-workspace"


def test_it_lists_members_with_their_roles(login_as, personas: Personas) -> None:
    make_user("late@acme.test", "Late Larry", personas.workspace, Role.MEMBER)
    db.session.commit()
    html = login_as(personas.admin.email).get("/settings/members").get_data(as_text=True)
    for name in ("Olive Owner", "Adam Admin", "Mia Member", "Late Larry"):
        assert name in html
    assert "Oscar Outsider" not in html
