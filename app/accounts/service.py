"""Account and workspace operations shared by the views and the CLI. Callers commit."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts import rules
from app.extensions import db
from app.models import Invitation, Membership, Role, User, Workspace
from app.models.types import utcnow

MIN_PASSWORD_LENGTH = 10
INVITATION_LIFETIME = timedelta(days=7)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccountError(ValueError):
    """A request we refuse, with a message meant for the person who made it."""


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        raise AccountError("Enter a valid email address.")
    return email


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Use a password of at least {MIN_PASSWORD_LENGTH} characters.")


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise AccountError(
            f"{name!r} is not a time zone we know (use an IANA name like Europe/Berlin)."
        ) from exc
    return name


def user_count() -> int:
    return db.session.scalar(select(func.count(User.id))) or 0


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def find_workspace(name: str) -> Workspace | None:
    return db.session.scalar(select(Workspace).where(func.lower(Workspace.name) == name.strip().lower()))


def create_user(email: str, password: str, name: str = "") -> User:
    email = normalise_email(email)
    check_password_strength(password)
    if find_user(email) is not None:
        raise AccountError("An account with this email already exists: log in instead.")
    user = User(email=email, name=name.strip()[:120], password_hash=generate_password_hash(password))
    db.session.add(user)
    db.session.flush()
    return user


def create_workspace(name: str, owner: User, timezone: str = "UTC") -> Workspace:
    name = name.strip()
    if not 1 <= len(name) <= 80:
        raise AccountError("A workspace name needs 1 to 80 characters.")
    if find_workspace(name) is not None:
        raise AccountError(f"A workspace called {name!r} already exists: pick another name.")
    workspace = Workspace(name=name, timezone=check_timezone(timezone))
    db.session.add(workspace)
    db.session.flush()
    db.session.add(Membership(user_id=owner.id, workspace_id=workspace.id, role=Role.OWNER))
    db.session.flush()
    return workspace


def set_password(user: User, current: str, new: str) -> None:
    if not check_password_hash(user.password_hash, current):
        raise AccountError("Your current password is not right.")
    check_password_strength(new)
    user.password_hash = generate_password_hash(new)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invitation(
    workspace: Workspace, actor: Membership, role: Role, email: str | None = None
) -> tuple[Invitation, str]:
    refusal = rules.invite_refusal(actor.role, role)
    if refusal:
        raise AccountError(refusal)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        workspace_id=workspace.id,
        token_hash=_hash_token(token),
        email=normalise_email(email) if email else None,
        role=role,
        created_by_id=actor.user_id,
        expires_at=utcnow() + INVITATION_LIFETIME,
    )
    db.session.add(invitation)
    db.session.flush()
    return invitation, token


def find_invitation(token: str) -> Invitation | None:
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == _hash_token(token)))
    if invitation is None or not invitation.is_usable(utcnow()):
        return None
    return invitation


def accept_invitation(invitation: Invitation, user: User) -> Membership:
    if invitation.email and invitation.email != user.email:
        raise AccountError(
            f"This invitation is for {invitation.email}. Log in with that address to accept it."
        )
    existing = db.session.scalar(
        select(Membership).where(
            Membership.workspace_id == invitation.workspace_id, Membership.user_id == user.id
        )
    )
    invitation.accepted_at = utcnow()
    invitation.accepted_by_id = user.id
    if existing is not None:
        return existing
    membership = Membership(user_id=user.id, workspace_id=invitation.workspace_id, role=invitation.role)
    db.session.add(membership)
    db.session.flush()
    return membership


def owner_count(workspace_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count(Membership.id)).where(
                Membership.workspace_id == workspace_id, Membership.role == Role.OWNER
            )
        )
        or 0
    )


def change_role(actor: Membership, target: Membership, new_role: Role) -> None:
    refusal = rules.role_change_refusal(actor.role, target.role, new_role, owner_count(target.workspace_id))
    if refusal:
        raise AccountError(refusal)
    target.role = new_role


def remove_member(actor: Membership, target: Membership) -> None:
    refusal = rules.removal_refusal(actor.role, target.role, owner_count(target.workspace_id))
    if refusal:
        raise AccountError(refusal)
    db.session.delete(target)
