"""The synced incident record, its log entries and their interruption verdicts, and deployments (change events
and API-ingested)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.pagerduty import PDService, PDTeam, PDUser
from app.models.types import UTCDateTime, enum_column

incident_teams = Table(
    "incident_teams",
    db.metadata,
    Column("incident_id", ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True),
    Column("team_id", ForeignKey("pd_teams.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_incident_teams_team", "team_id", "incident_id"),
)


# A priority name as stored, on incidents and on pd_priorities alike.
PRIORITY_LENGTH = 255


class Incident(db.Model):
    __tablename__ = "incidents"
    __table_args__ = (
        UniqueConstraint("account_id", "remote_id"),
        # What a log entry's foreign key refers to: the entry's account and workspace are its incident's.
        UniqueConstraint("id", "account_id", "workspace_id"),
        # Every dashboard query starts from (workspace, created_at); on PostgreSQL the index also carries what
        # they filter on and measure, so a window's incidents are read from the index alone, not wide rows.
        Index(
            "ix_incidents_ws_created",
            "workspace_id",
            "created_at",
            postgresql_include=[
                "service_id",
                "status",
                "urgency",
                "priority",
                "excluded",
                "ack_seconds",
                "resolve_seconds",
                "escalation_count",
                "auto_resolved",
            ],
        ),
        # Log entries in a window (interruptions, responder load) are checked against their incident's
        # filters: an index-only probe here per entry, or one narrow scan to hash, rather than the wide rows.
        Index(
            "ix_incidents_ws_id_filters",
            "workspace_id",
            "id",
            postgresql_include=["service_id", "excluded", "urgency", "priority"],
        ),
        # Responder load: the incidents first acknowledged in a window, with who did it, from the index alone.
        Index(
            "ix_incidents_ws_first_ack",
            "workspace_id",
            "first_ack_at",
            postgresql_include=["first_ack_user_id", "service_id", "excluded", "urgency", "priority"],
        ),
        # The incidents after a deployment (CFR, recovery time), read from the index alone.
        Index(
            "ix_incidents_ws_service_created",
            "workspace_id",
            "service_id",
            "created_at",
            postgresql_include=["excluded", "status", "resolved_at", "urgency", "priority"],
        ),
        Index("ix_incidents_ws_status", "workspace_id", "status"),
        # Recurring incidents (app/analytics/recurring.py): "was this template seen on this service in the
        # 30 days before the window" is one seek per group here instead of a scan of the service's history.
        Index(
            "ix_incidents_ws_service_template_created",
            "workspace_id",
            "service_id",
            "title_template",
            "created_at",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("pd_accounts.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(ForeignKey("pd_services.id", ondelete="CASCADE"))
    remote_id: Mapped[str] = mapped_column(String(40))
    number: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(Text)
    # Title with digits, hex, UUIDs, IPs and quoted values replaced by placeholders (recurring incidents).
    title_template: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(20))  # triggered | acknowledged | resolved
    urgency: Mapped[str] = mapped_column(String(10), default="high")
    # The priority's name, e.g. "P1"; indexed, so the sync cuts it to PRIORITY_LENGTH (sync/mapping.py).
    priority: Mapped[str | None] = mapped_column(String(PRIORITY_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_ack_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Who made it (the lowest log entry id at that instant), derived with first_ack_at.
    first_ack_user_id: Mapped[int | None] = mapped_column(ForeignKey("pd_users.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Seconds from created_at, kept beside the timestamps so percentiles need no date arithmetic in SQL
    # (which differs between SQLite and PostgreSQL).
    ack_seconds: Mapped[float | None] = mapped_column()
    resolve_seconds: Mapped[float | None] = mapped_column()
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopen_count: Mapped[int] = mapped_column(default=0)
    escalation_count: Mapped[int] = mapped_column(default=0)
    assignment_count: Mapped[int] = mapped_column(default=0)
    auto_resolved: Mapped[bool] = mapped_column(default=False)
    incident_key: Mapped[str | None] = mapped_column(Text)
    html_url: Mapped[str | None] = mapped_column(Text)
    excluded: Mapped[bool] = mapped_column(default=False)
    excluded_reason: Mapped[str | None] = mapped_column(String(200))
    excluded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    excluded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    service: Mapped[PDService] = relationship()
    teams: Mapped[list[PDTeam]] = relationship(secondary=incident_teams)


class LogEntryType(enum.StrEnum):
    TRIGGER = "trigger_log_entry"
    ACKNOWLEDGE = "acknowledge_log_entry"
    UNACKNOWLEDGE = "unacknowledge_log_entry"
    ESCALATE = "escalate_log_entry"
    ASSIGN = "assign_log_entry"
    NOTIFY = "notify_log_entry"
    RESOLVE = "resolve_log_entry"


class IncidentLogEntry(db.Model):
    __tablename__ = "incident_log_entries"
    __table_args__ = (
        UniqueConstraint("account_id", "remote_id"),
        # One foreign key for the incident, its account and its workspace (which cascade to it through the
        # incident): a backfill writes hundreds of thousands of entries, and each key is a lookup per row.
        ForeignKeyConstraint(
            ["incident_id", "account_id", "workspace_id"],
            ["incidents.id", "incidents.account_id", "incidents.workspace_id"],
            ondelete="CASCADE",
        ),
        # With what interruptions and responder load read, so the window's entries come from the index alone.
        Index(
            "ix_log_entries_ws_type_at",
            "workspace_id",
            "type",
            "at",
            postgresql_include=["id", "incident_id", "user_id", "channel", "local_hour", "local_isoweekday"],
        ),
        Index("ix_log_entries_incident_at", "incident_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column()  # with account_id and incident_id: the key above
    account_id: Mapped[int] = mapped_column()
    incident_id: Mapped[int] = mapped_column()
    remote_id: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(60))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    summary: Mapped[str | None] = mapped_column(Text)
    agent_type: Mapped[str | None] = mapped_column(Text)  # user_reference, service_reference, …
    agent_remote_id: Mapped[str | None] = mapped_column(String(40))
    # The person concerned: who acknowledged/resolved, or who was notified (notify_log_entry).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("pd_users.id", ondelete="SET NULL"), index=True)
    channel: Mapped[str | None] = mapped_column(String(40))  # sms, phone, push, email, api, timeout, auto, …
    # Notifications only: the local hour (0-23) and ISO weekday at which it reached the person, in their zone
    # (else the workspace's). Interruptions are classed by them; kept right by app/analytics/local_times.py.
    local_hour: Mapped[int | None] = mapped_column(SmallInteger)
    local_isoweekday: Mapped[int | None] = mapped_column(SmallInteger)

    incident: Mapped[Incident] = relationship()
    user: Mapped[PDUser | None] = relationship()


class DeploymentSource(enum.StrEnum):
    CHANGE_EVENT = "pagerduty_change_event"
    API = "api"


class Deployment(db.Model):
    __tablename__ = "deployments"
    __table_args__ = (
        # A change event naming several services is one deployment on each of them.
        UniqueConstraint("workspace_id", "source", "remote_id", "service_id"),
        Index("ix_deployments_ws_at", "workspace_id", "at"),
        Index("ix_deployments_service_at", "service_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("pd_accounts.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(ForeignKey("pd_services.id", ondelete="CASCADE"))
    source: Mapped[DeploymentSource] = mapped_column(enum_column(DeploymentSource, 30))
    remote_id: Mapped[str] = mapped_column(String(100))  # change event id, or the caller's id for the API
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    summary: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str | None] = mapped_column(Text)

    service: Mapped[PDService] = relationship()


class Interruption(db.Model):
    """A notification that counts as an interruption (app/analytics/interruption_store.py): decided when
    notifications are written, since it depends on the same person's notifications just before it. A verdict,
    not data of its own: it can always be rebuilt from the log entries."""

    __tablename__ = "interruptions"
    __table_args__ = (
        # The dashboard reads a window's interruptions with their incident (for the filters), person and
        # local time from this index alone.
        Index(
            "ix_interruptions_ws_at",
            "workspace_id",
            "at",
            postgresql_include=["service_id", "incident_id", "user_id", "local_hour", "local_isoweekday"],
        ),
        # Settling re-reads a person's verdicts over a span of time.
        Index("ix_interruptions_user_at", "user_id", "at"),
        # An incident moved to another service takes its verdicts along (interruption_store.settle_account).
        Index("ix_interruptions_incident", "incident_id"),
    )

    # The one foreign key: a verdict goes with its notification. The other columns are copies of the
    # notification's, so writing a verdict checks one key, not four (sync writes them in every commit).
    log_entry_id: Mapped[int] = mapped_column(
        ForeignKey("incident_log_entries.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    workspace_id: Mapped[int] = mapped_column()
    incident_id: Mapped[int] = mapped_column()
    # The incident's service, so the dashboard's usual population (the followed services) needs no join to
    # the incidents; kept right when sync sees an incident move (interruption_store.settle_account).
    service_id: Mapped[int] = mapped_column()
    user_id: Mapped[int] = mapped_column()
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Copied from the log entry (local_times.py keeps both right when a zone changes).
    local_hour: Mapped[int] = mapped_column(SmallInteger)
    local_isoweekday: Mapped[int] = mapped_column(SmallInteger)
