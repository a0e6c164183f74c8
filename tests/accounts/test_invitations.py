"""Invitation links: their token leaves the URL at once, and they die with their maker's right to invite."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import Invitation
from tests.factories import Personas, membership_of


def _invite(client: FlaskClient, role: str) -> str:
    response = client.post("/settings/members/invite", data={"role": role})
    # Redirect-after-POST: the members page the browser lands on shows the link once.
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == "/settings/members"
    html = client.get("/settings/members").get_data(as_text=True)
    return html.split('id="invite-link">', 1)[1].split("</code>", 1)[0]


def test_it_moves_the_token_out_of_the_address_bar(
    fresh_client: Callable[[], FlaskClient], login_as: Callable[[str], FlaskClient], personas: Personas
) -> None:
    link = _invite(login_as(personas.admin.email), "member")
    token = link.split("token=", 1)[1]
    visitor = fresh_client()
    response = visitor.get(link)
    assert response.status_code == 302
    assert response.headers["Location"] == "/invite"
    page = visitor.get("/invite").get_data(as_text=True)
    assert "Join Acme" in page
    assert token not in page


def test_it_revokes_a_removed_admins_pending_invitations(
    fresh_client: Callable[[], FlaskClient], login_as: Callable[[str], FlaskClient], personas: Personas
) -> None:
    link = _invite(login_as(personas.admin.email), "admin")
    owner = login_as(personas.owner.email)
    removed = membership_of(personas.admin, personas.workspace)
    assert owner.post(f"/settings/members/{removed.id}/remove").status_code == 302
    assert fresh_client().get(link).status_code == 404
    assert db.session.scalars(select(Invitation)).one().revoked_at is not None


def test_it_revokes_the_invitations_a_demoted_admin_could_no_longer_make(
    fresh_client: Callable[[], FlaskClient], login_as: Callable[[str], FlaskClient], personas: Personas
) -> None:
    owners_link = _invite(login_as(personas.owner.email), "admin")
    admins_link = _invite(login_as(personas.admin.email), "member")
    owner = login_as(personas.owner.email)
    demoted = membership_of(personas.admin, personas.workspace)
    assert owner.post(f"/settings/members/{demoted.id}/role", data={"role": "member"}).status_code == 302
    assert fresh_client().get(admins_link).status_code == 404
    # Invitations someone else made are untouched.
    assert fresh_client().get(owners_link).status_code == 302
