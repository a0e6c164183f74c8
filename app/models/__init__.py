"""Every model, imported here so Alembic and `db.create_all` see them all."""

from app.models.accounts import AuditEvent, Invitation, LoginFailure, Membership, Role, User, Workspace

__all__ = ["AuditEvent", "Invitation", "LoginFailure", "Membership", "Role", "User", "Workspace"]
