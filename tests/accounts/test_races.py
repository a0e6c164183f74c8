"""Concurrent requests against the real code and database: invitations, the last owner, login throttling.

Each request runs in a thread of its own with its own database connection, released together by a barrier.
They run on SQLite too: it takes one writer at a time, but reads outside transactions, so a check-then-write
races there as well.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from app.extensions import db
from app.models import Invitation, Membership, Role, User
from tests.factories import PASSWORD, Personas, make_user, membership_of

ROUNDS = 5


def _at_once(requests: list[Callable[[], int]]) -> list[int]:
    """Run each request in its own thread, all released at the same moment; their status codes."""
    barrier = threading.Barrier(len(requests))

    def run(request: Callable[[], int]) -> int:
        barrier.wait()
        return request()

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(run, requests))


def _signed_in(fresh_client: Callable[[], FlaskClient], email: str) -> FlaskClient:
    client = fresh_client()
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    return client


def _post_status(client: FlaskClient, url: str, data: dict[str, str]) -> int:
    return client.post(url, data=data, headers={"HX-Request": "true"}).status_code


def _invite(admin: FlaskClient, role: str) -> str:
    assert admin.post("/settings/members/invite", data={"role": role}).status_code == 302
    html = admin.get("/settings/members").get_data(as_text=True)
    return html.split('id="invite-link">', 1)[1].split("</code>", 1)[0]


def test_it_lets_one_invitation_make_one_member_however_many_sign_up_at_once(
    fresh_client: Callable[[], FlaskClient], personas: Personas
) -> None:
    link = _invite(_signed_in(fresh_client, personas.owner.email), "admin")
    joiners = []
    for _ in range(6):
        joiner = fresh_client()
        assert joiner.get(link).status_code == 302
        joiners.append(joiner)

    def sign_up(n: int) -> Callable[[], int]:
        data = {"email": f"joiner{n}@example.com", "password": "a long password", "name": f"Joiner {n}"}
        return lambda: joiners[n].post("/signup", data=data).status_code

    statuses = _at_once([sign_up(n) for n in range(6)])

    assert sorted(statuses) == [302, 400, 400, 400, 400, 400]
    db.session.expire_all()
    admins = db.session.scalars(
        select(Membership).where(
            Membership.workspace_id == personas.workspace.id, Membership.role == Role.ADMIN
        )
    ).all()
    assert len(admins) == 2  # the persona admin and exactly one joiner
    # The refused sign-ups left nothing behind: no account without a workspace.
    assert db.session.scalar(select(func.count(User.id)).where(User.email.like("joiner%"))) == 1
    assert db.session.scalars(select(Invitation)).one().accepted_at is not None


def _owners(workspace_id: int) -> int:
    db.session.expire_all()
    return (
        db.session.scalar(
            select(func.count(Membership.id)).where(
                Membership.workspace_id == workspace_id, Membership.role == Role.OWNER
            )
        )
        or 0
    )


@pytest.mark.parametrize("action", ["demote", "remove"])
def test_it_keeps_an_owner_when_two_owners_take_each_other_out_at_once(
    fresh_client: Callable[[], FlaskClient], personas: Personas, action: str
) -> None:
    workspace = personas.workspace
    for _ in range(ROUNDS):
        first = make_user(workspace=workspace, role=Role.OWNER)
        second = make_user(workspace=workspace, role=Role.OWNER)
        # Only these two own the workspace: each is the other's last fellow owner.
        db.session.execute(
            update(Membership)
            .where(
                Membership.workspace_id == workspace.id,
                Membership.user_id.not_in([first.id, second.id]),
                Membership.role == Role.OWNER,
            )
            .values(role=Role.ADMIN)
        )
        db.session.commit()
        clients = [_signed_in(fresh_client, first.email), _signed_in(fresh_client, second.email)]
        targets = [membership_of(second, workspace).id, membership_of(first, workspace).id]

        path = {"demote": "role", "remove": "remove"}[action]
        data = {"role": "member"} if action == "demote" else {}
        requests = [
            functools.partial(_post_status, client, f"/settings/members/{target}/{path}", data)
            for client, target in zip(clients, targets, strict=True)
        ]
        statuses = _at_once(requests)

        assert _owners(workspace.id) == 1
        # The other is refused: by the last-owner rule, or because its sender is no longer an owner (403)
        # or no longer a member (404, or sent to pick a workspace) by the time it is read.
        assert statuses.count(200) == 1
        assert all(status in {302, 400, 403, 404} for status in statuses if status != 200)


def test_it_checks_at_most_the_allowed_number_of_passwords_however_many_arrive_at_once(
    fresh_client: Callable[[], FlaskClient], personas: Personas
) -> None:
    clients = [fresh_client() for _ in range(30)]
    data = {"email": personas.member.email, "password": "wrong password!"}

    statuses = _at_once([functools.partial(_post_status, client, "/login", data) for client in clients])

    # 400: the password was checked and refused; 429: refused before any check. A burst may be refused
    # more than strictly needed, never less.
    assert statuses.count(400) <= 5
    assert statuses.count(400) + statuses.count(429) == 30
