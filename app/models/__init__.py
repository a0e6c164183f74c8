"""Every model, imported here so Alembic and `db.create_all` see them all."""

from app.models.accounts import AuditEvent, Invitation, LoginFailure, Membership, Role, User, Workspace
from app.models.alerts import (
    AlertRule,
    AlertState,
    AlertTransition,
    Delivery,
    DeliveryAction,
    DeliveryStatus,
    MetricPoint,
    RuleTarget,
)
from app.models.api import ApiKey
from app.models.incidents import Deployment, DeploymentSource, Incident, IncidentLogEntry, LogEntryType
from app.models.interruptions import Interruption
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
from app.models.sessions import UserSession
from app.models.sync import SyncCheckpoint, SyncKind, SyncRun, SyncStatus

__all__ = [
    "AccountStatus",
    "AlertRule",
    "AlertState",
    "AlertTransition",
    "ApiKey",
    "AuditEvent",
    "AuthKind",
    "Delivery",
    "DeliveryAction",
    "DeliveryStatus",
    "Deployment",
    "DeploymentSource",
    "Incident",
    "IncidentLogEntry",
    "Interruption",
    "Invitation",
    "LogEntryType",
    "LoginFailure",
    "Membership",
    "MetricPoint",
    "PDPriority",
    "PDService",
    "PDTeam",
    "PDUser",
    "PagerDutyAccount",
    "Region",
    "Role",
    "RuleTarget",
    "SyncCheckpoint",
    "SyncKind",
    "SyncRun",
    "SyncStatus",
    "User",
    "UserSession",
    "Workspace",
]
