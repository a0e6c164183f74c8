"""Pure decisions about roles: who may change whom. No Flask, no database."""

from __future__ import annotations

from app.models.accounts import Role


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
