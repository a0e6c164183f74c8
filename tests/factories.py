"""Factories for rows the tests need; defaults that make sense, overrides where a test cares."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models import Membership, PagerDutyAccount, PDService, PDTeam, PDUser, Role, User, Workspace

PASSWORD = "correct horse battery"
# Hashing is deliberately slow; one hash serves every factory user.
_HASH = generate_password_hash(PASSWORD)
_seq = itertools.count(1)


def make_workspace(name: str | None = None, timezone: str = "UTC") -> Workspace:
    workspace = Workspace(name=name or f"Workspace {next(_seq)}", timezone=timezone)
    db.session.add(workspace)
    db.session.flush()
    return workspace


def make_user(
    email: str | None = None, name: str = "", workspace: Workspace | None = None, role: Role = Role.MEMBER
) -> User:
    user = User(email=email or f"user{next(_seq)}@example.com", name=name, password_hash=_HASH)
    db.session.add(user)
    db.session.flush()
    if workspace is not None:
        db.session.add(Membership(user_id=user.id, workspace_id=workspace.id, role=role))
        db.session.flush()
    return user


def membership_of(user: User, workspace: Workspace) -> Membership:
    return db.session.scalars(
        db.select(Membership).where(Membership.user_id == user.id, Membership.workspace_id == workspace.id)
    ).one()


@dataclass
class Personas:
    workspace: Workspace
    owner: User
    admin: User
    member: User
    other_workspace: Workspace
    outsider: User


def make_personas() -> Personas:
    acme = make_workspace("Acme")
    globex = make_workspace("Globex")
    personas = Personas(
        workspace=acme,
        owner=make_user("owner@acme.test", "Olive Owner", acme, Role.OWNER),
        admin=make_user("admin@acme.test", "Adam Admin", acme, Role.ADMIN),
        member=make_user("member@acme.test", "Mia Member", acme, Role.MEMBER),
        other_workspace=globex,
        outsider=make_user("owner@globex.test", "Oscar Outsider", globex, Role.OWNER),
    )
    db.session.commit()
    return personas


def make_pd_account(workspace: Workspace, subdomain: str = "acme", **fields: object) -> PagerDutyAccount:
    from app.models import AuthKind, Region

    values: dict[str, object] = {
        "workspace_id": workspace.id,
        "auth_kind": AuthKind.API_TOKEN,
        "region": Region.US,
        "subdomain": subdomain,
        "token_user_email": "bot@acme.test",
        **fields,
    }
    account = PagerDutyAccount(**values)
    db.session.add(account)
    db.session.flush()
    return account


def make_service(
    account: PagerDutyAccount, name: str | None = None, selected: bool = True, **fields: object
) -> PDService:
    n = next(_seq)
    service = PDService(
        workspace_id=account.workspace_id,
        account_id=account.id,
        remote_id=str(fields.pop("remote_id", f"PSVC{n:03d}")),
        name=name or f"Service {n}",
        selected=selected,
        **fields,
    )
    db.session.add(service)
    db.session.flush()
    return service


def make_team(account: PagerDutyAccount, name: str | None = None, **fields: object) -> PDTeam:
    n = next(_seq)
    team = PDTeam(
        workspace_id=account.workspace_id,
        account_id=account.id,
        remote_id=str(fields.pop("remote_id", f"PTEAM{n:03d}")),
        name=name or f"Team {n}",
        **fields,
    )
    db.session.add(team)
    db.session.flush()
    return team


def make_pd_user(
    account: PagerDutyAccount, name: str | None = None, time_zone: str | None = "UTC", **fields: object
) -> PDUser:
    n = next(_seq)
    user = PDUser(
        workspace_id=account.workspace_id,
        account_id=account.id,
        remote_id=str(fields.pop("remote_id", f"PUSR{n:03d}")),
        name=name or f"Responder {n}",
        email=str(fields.pop("email", f"responder{n}@acme.test")),
        time_zone=time_zone,
        **fields,
    )
    db.session.add(user)
    db.session.flush()
    return user
