"""Account and workspace operations shared by the views and the CLI. Callers commit, unless said otherwise."""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from blinker import Namespace
from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.exc import InvalidRequestError
from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts import audit, sessions
from app.accounts.sessions import hash_token
from app.extensions import db
from app.models import Invitation, Membership, Role, User, Workspace
from app.models.types import utcnow

MIN_PASSWORD_LENGTH = 10
INVITATION_LIFETIME = timedelta(days=7)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# common_passwords.txt was written for Vigil (no dependency). "Password123!" and "2024dragon" are still the
# common word: guessers try these decorations first.
_COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")
_DECORATION = re.compile(r"^[\d\W_]+|[\d\W_]+$")

# Accounts sits below analytics, so a settings change is announced, not told: update_settings sends
# settings_changed(workspace, zone_changed=...) before its commit; app/analytics/changes.py listens.
settings_changed = Namespace().signal("workspace-settings-changed")


# Who may change whom: pure decisions on roles, no database.
def role_change_refusal(actor: Role, target: Role, new: Role, owner_count: int) -> str | None:
    """Why `actor` may not move a member from `target` to `new`, or None when allowed."""
    if not actor.at_least(Role.ADMIN):
        return "Only owners and admins can change roles."
    if Role.OWNER in (target, new) and actor is not Role.OWNER:
        return "Only an owner can grant or take away the owner role."
    if target is Role.OWNER and new is not Role.OWNER and owner_count <= 1:
        return "A workspace needs at least one owner: make someone else owner first."
    return None


def removal_refusal(actor: Role, target: Role, owner_count: int) -> str | None:
    """Why `actor` may not remove a member whose role is `target`, or None when allowed."""
    if not actor.at_least(Role.ADMIN):
        return "Only owners and admins can remove members."
    if target is Role.OWNER and actor is not Role.OWNER:
        return "Only an owner can remove another owner."
    if target is Role.OWNER and owner_count <= 1:
        return "You cannot remove the last owner of a workspace."
    return None


def invite_refusal(actor: Role, role: Role) -> str | None:
    if not actor.at_least(Role.ADMIN):
        return "Only owners and admins can invite people."
    if role is Role.OWNER and actor is not Role.OWNER:
        return "Only an owner can invite another owner."
    return None


class AccountError(ValueError):
    """A request we refuse, with a message meant for the person who made it."""


class MembershipGone(AccountError):
    """A membership the request loaded was removed meanwhile (by a concurrent request)."""


def normalise_email(email: str) -> str:
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        raise AccountError("Enter a valid email address.")
    return email


def check_password_strength(password: str, email: str) -> None:
    """Refuse what a guesser tries first: short, the address itself, well-known ones, one repeated key."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Use a password of at least {MIN_PASSWORD_LENGTH} characters.")
    lowered = password.lower()
    email = email.strip().lower()
    local_part = email.split("@", 1)[0]
    if email in lowered or (len(local_part) >= 4 and local_part in lowered):
        raise AccountError("Do not use your email address in your password.")
    if len(set(lowered)) <= 2:
        raise AccountError("Use more than two different characters in your password.")
    if is_common_password(password):
        raise AccountError("This password is one of the most common ones: choose one nobody else would.")


@functools.cache
def _common_passwords() -> frozenset[str]:
    lines = _COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def is_common_password(password: str) -> bool:
    lowered = password.strip().lower()
    return lowered in _common_passwords() or _DECORATION.sub("", lowered) in _common_passwords()


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
    check_password_strength(password, email)
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
    """Change the password and end every other login of the user (the caller's own stays). Callers commit."""
    if not check_password_hash(user.password_hash, current):
        raise AccountError("Your current password is not right.")
    check_password_strength(new, user.email)
    user.password_hash = generate_password_hash(new)
    sessions.end_others(user)


@functools.cache
def _decoy_hash() -> str:
    # Hashed like every stored password, so checking against it costs what a real check costs.
    return generate_password_hash(secrets.token_urlsafe(24))


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None. The hash runs for an unknown address too:
    answering it faster would tell a guesser which addresses are worth guessing passwords for."""
    user = find_user(email)
    matches = check_password_hash(user.password_hash if user is not None else _decoy_hash(), password)
    return user if user is not None and user.active and matches else None


def create_invitation(
    workspace: Workspace, actor: Membership, role: Role, email: str | None = None
) -> tuple[Invitation, str]:
    refusal = invite_refusal(actor.role, role)
    if refusal:
        raise AccountError(refusal)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        workspace_id=workspace.id,
        token_hash=hash_token(token),
        email=normalise_email(email) if email else None,
        role=role,
        created_by_id=actor.user_id,
        expires_at=utcnow() + INVITATION_LIFETIME,
    )
    db.session.add(invitation)
    db.session.flush()
    return invitation, token


def _usable(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """Invitation.is_usable in SQL: neither accepted, revoked nor expired."""
    return Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None), Invitation.expires_at > now


def pending_invitations(workspace: Workspace) -> Sequence[Invitation]:
    return db.session.scalars(
        select(Invitation)
        .where(Invitation.workspace_id == workspace.id, *_usable(utcnow()))
        .order_by(Invitation.created_at.desc())
    ).all()


def find_invitation(token: str) -> Invitation | None:
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token)))
    return invitation if invitation is not None and invitation.is_usable(utcnow()) else None


def accept_invitation(invitation: Invitation, user: User) -> Membership:
    """Use the invitation up and make `user` a member. Callers commit (or roll back on AccountError)."""
    if invitation.email and invitation.email != user.email:
        raise AccountError(
            f"This invitation is for {invitation.email}. Log in with that address to accept it."
        )
    now = utcnow()
    # One conditional UPDATE, not a read then a write: of several people accepting one link at once, the
    # database lets exactly one change the row; the others' condition no longer holds when their turn comes.
    claimed = db.session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, *_usable(now))
        .values(accepted_at=now, accepted_by_id=user.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        raise AccountError("This invitation has already been used, was revoked or has expired.")
    existing = db.session.scalar(
        select(Membership).where(
            Membership.workspace_id == invitation.workspace_id, Membership.user_id == user.id
        )
    )
    if existing is not None:
        return existing
    membership = Membership(user_id=user.id, workspace_id=invitation.workspace_id, role=invitation.role)
    db.session.add(membership)
    db.session.flush()
    return membership


def workspace_members(workspace: Workspace) -> Sequence[Membership]:
    return db.session.scalars(
        select(Membership).where(Membership.workspace_id == workspace.id).order_by(Membership.id)
    ).all()


def owner_count(workspace_id: int) -> int:
    owners = select(func.count(Membership.id)).where(
        Membership.workspace_id == workspace_id, Membership.role == Role.OWNER
    )
    return db.session.scalar(owners) or 0


def _revoke_invitations_beyond(membership: Membership, role: Role | None) -> None:
    """Revoke the pending invitations `membership`'s user made that `role` (None: removed) could not make, so
    a removed or demoted admin keeps no way back in through a link they made."""
    pending = db.session.scalars(
        select(Invitation).where(
            Invitation.workspace_id == membership.workspace_id,
            Invitation.created_by_id == membership.user_id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
    )
    now = utcnow()
    for invitation in pending:
        if role is None or invite_refusal(role, invitation.role) is not None:
            invitation.revoked_at = now


def _lock(target: Membership, actor: Membership | None) -> None:
    """Serialise role changes and removals in `target`'s workspace until the transaction ends, then re-read
    both memberships. Two owners demoting each other at once each counted two owners and each went ahead.
    A write rather than SELECT … FOR UPDATE, which SQLite ignores: the write takes PostgreSQL's row lock and
    SQLite's database write lock alike."""
    db.session.execute(update(Workspace).where(Workspace.id == target.workspace_id).values(id=Workspace.id))
    for membership in (actor, target):
        try:
            if membership is not None:
                db.session.refresh(membership)
        except InvalidRequestError as exc:
            raise MembershipGone("That membership no longer exists: reload the page.") from exc


def assign_role(target: Membership, new_role: Role, actor: Membership | None = None) -> None:
    """Give `target` a role on `actor`'s authority (None: the operator at the CLI, with an owner's rights),
    keeping at least one owner. Callers commit."""
    _lock(target, actor)
    acting = actor.role if actor is not None else Role.OWNER
    refusal = role_change_refusal(acting, target.role, new_role, owner_count(target.workspace_id))
    if refusal:
        raise AccountError(refusal)
    target.role = new_role
    _revoke_invitations_beyond(target, new_role)


def remove_member(actor: Membership, target: Membership) -> None:
    _lock(target, actor)
    refusal = removal_refusal(actor.role, target.role, owner_count(target.workspace_id))
    if refusal:
        raise AccountError(refusal)
    _revoke_invitations_beyond(target, None)
    db.session.delete(target)


def update_settings(
    workspace: Workspace,
    *,
    name: str,
    timezone: str,
    business_day_start: int,
    business_day_end: int,
    business_days: Iterable[str],
    cfr_attribution_hours: int,
) -> None:
    """Check, apply, audit and commit; AccountError says what is wrong (nothing is changed then)."""
    name = name.strip()
    other = find_workspace(name)
    if other is not None and other.id != workspace.id:
        raise AccountError(f"A workspace called {name!r} already exists.")
    timezone = check_timezone(timezone.strip())
    if business_day_end <= business_day_start:
        raise AccountError("The business day must end after it starts.")
    before = {"name": workspace.name, "timezone": workspace.timezone}
    workspace.name = name
    workspace.timezone = timezone
    workspace.business_day_start = business_day_start
    workspace.business_day_end = business_day_end
    workspace.business_days = ",".join(sorted(business_days, key=int))
    workspace.cfr_attribution_hours = cfr_attribution_hours
    settings_changed.send(workspace, zone_changed=timezone != before["timezone"])
    audit.record(workspace, "workspace.settings_changed", workspace.name, before=before)
    db.session.commit()
