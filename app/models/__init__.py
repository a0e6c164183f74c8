"""Every model, imported here so Alembic and `db.create_all` see them all."""

from app.models.accounts import AuditEvent, Invitation, LoginFailure, Membership, Role, User, Workspace
from app.models.api import ApiKey
from app.models.incidents import Deployment, DeploymentSource, Incident, IncidentLogEntry, LogEntryType
from app.models.pagerduty import (
    AccountStatus,
    AuthKind,
    PagerDutyAccount,
    PDPriority,
    PDService,
    PDTeam,
    PDUser,
    Region,
)
from app.models.sync import SyncCheckpoint, SyncKind, SyncRun, SyncStatus

__all__ = [
    "AccountStatus",
    "ApiKey",
    "AuditEvent",
    "AuthKind",
    "Deployment",
    "DeploymentSource",
    "Incident",
    "IncidentLogEntry",
    "Invitation",
    "LogEntryType",
    "LoginFailure",
    "Membership",
    "PDPriority",
    "PDService",
    "PDTeam",
    "PDUser",
    "PagerDutyAccount",
    "Region",
    "Role",
    "SyncCheckpoint",
    "SyncKind",
    "SyncRun",
    "SyncStatus",
    "User",
    "Workspace",
]
