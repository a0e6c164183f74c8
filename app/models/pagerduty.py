"""A linked PagerDuty account, the directory synced from it (services, teams, users, priorities), and sync
bookkeeping: one row per run, and where each stream got to."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from app.extensions import db
from app.models.accounts import User, Workspace
from app.models.types import UTCDateTime, enum_column, utcnow


class AuthKind(enum.StrEnum):
    OAUTH = "oauth"
    API_TOKEN = "api_token"


class Region(enum.StrEnum):
    US = "us"
    EU = "eu"


class AccountStatus(enum.StrEnum):
    ACTIVE = "active"
    NEEDS_ATTENTION = "needs_attention"
    UNLINKED = "unlinked"


class PagerDutyAccount(db.Model):
    __tablename__ = "pd_accounts"
    __table_args__ = (UniqueConstraint("workspace_id", "region", "subdomain"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    auth_kind: Mapped[AuthKind] = mapped_column(enum_column(AuthKind, 16))
    region: Mapped[Region] = mapped_column(enum_column(Region, 4), default=Region.US)
    subdomain: Mapped[str] = mapped_column(String(100))
    remote_account_id: Mapped[str | None] = mapped_column(String(40))
    # Fernet tokens (app/crypto.py); never rendered, never logged.
    access_token_enc: Mapped[str | None] = mapped_column(Text)
    refresh_token_enc: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The granted scopes as PagerDuty lists them (space-separated); a broad grant runs past 500 characters.
    scopes: Mapped[str] = mapped_column(Text, default="")
    # The token's user: every write to PagerDuty is made `From` this address.
    # PagerDuty's text is stored whole: no value it sends may fail a link or a sync (sync/mapping.py).
    token_user_email: Mapped[str | None] = mapped_column(Text)
    token_user_name: Mapped[str | None] = mapped_column(Text)
    token_user_remote_id: Mapped[str | None] = mapped_column(String(40))
    # The token user's PagerDuty role (API-NOTES §2.2): read-only roles cannot create incidents, so the card
    # can say whether alert delivery will work with an API token, which carries no scopes to read that from.
    token_user_role: Mapped[str | None] = mapped_column(Text)
    status: Mapped[AccountStatus] = mapped_column(
        enum_column(AccountStatus, 20), default=AccountStatus.ACTIVE
    )
    status_reason: Mapped[str | None] = mapped_column(String(500))
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    unlinked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    history_days: Mapped[int] = mapped_column(default=365)
    # Every notification of this account with a log entry id up to here has had its interruption verdict
    # written (app/analytics/interruption_store.py); the ones above it are settled at the next commit.
    interruptions_settled_to: Mapped[int] = mapped_column(default=0, server_default="0")
    last_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_successful_sync_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    webhook_subscription_id: Mapped[str | None] = mapped_column(String(40))
    webhook_secret_enc: Mapped[str | None] = mapped_column(Text)
    # Set while an unlink waits for the resolves it owes PagerDuty (unlinking.py): the token is kept until
    # they are sent, then the unlink finishes with the admin's choice about the synced data.
    unlink_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unlink_keep_data: Mapped[bool | None]

    workspace: Mapped[Workspace] = relationship()
    linked_by: Mapped[User | None] = relationship()


service_teams = Table(
    "pd_service_teams",
    db.metadata,
    Column("service_id", ForeignKey("pd_services.id", ondelete="CASCADE"), primary_key=True),
    Column("team_id", ForeignKey("pd_teams.id", ondelete="CASCADE"), primary_key=True),
)

team_members = Table(
    "pd_team_members",
    db.metadata,
    Column("team_id", ForeignKey("pd_teams.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("pd_users.id", ondelete="CASCADE"), primary_key=True),
)


class SyncedRow:
    """A row of an account's directory: PagerDuty's id is unique within the account."""

    @declared_attr.directive
    def __table_args__(cls) -> tuple[Any, ...]:
        return (UniqueConstraint("account_id", "remote_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("pd_accounts.id", ondelete="CASCADE"))
    remote_id: Mapped[str] = mapped_column(String(40))


class PDService(SyncedRow, db.Model):
    __tablename__ = "pd_services"
    __table_args__ = (
        UniqueConstraint("account_id", "remote_id"),
        Index("ix_pd_services_workspace_selected", "workspace_id", "selected"),
    )

    # Indexed with `selected` above.
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    # active | warning | critical | maintenance | disabled (API-NOTES §2.3); the last two trigger nothing.
    status: Mapped[str] = mapped_column(Text, default="active")
    html_url: Mapped[str | None] = mapped_column(Text)
    escalation_policy_remote_id: Mapped[str | None] = mapped_column(String(40))
    last_incident_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    selected: Mapped[bool] = mapped_column(default=False)
    selected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set once the selected service's history has been fetched; cleared when it is selected again later.
    backfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The start of the history fetched for it: when the account's history is lengthened past this, the next
    # sync fetches the older period alone (passes.run_backfill), not the whole history again.
    history_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_remotely: Mapped[bool] = mapped_column(default=False)

    account: Mapped[PagerDutyAccount] = relationship()
    teams: Mapped[list[PDTeam]] = relationship(secondary=service_teams, back_populates="services")

    @property
    def can_trigger(self) -> bool:
        return self.status not in {"disabled", "maintenance"}


class PDTeam(SyncedRow, db.Model):
    __tablename__ = "pd_teams"

    name: Mapped[str] = mapped_column(Text)
    html_url: Mapped[str | None] = mapped_column(Text)

    services: Mapped[list[PDService]] = relationship(secondary=service_teams, back_populates="teams")
    members: Mapped[list[PDUser]] = relationship(secondary=team_members, back_populates="teams")


class PDUser(SyncedRow, db.Model):
    __tablename__ = "pd_users"

    name: Mapped[str] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    # IANA zone; None means the PagerDuty account's zone (API-NOTES §2.2), which we treat as the workspace's.
    time_zone: Mapped[str | None] = mapped_column(Text)
    role: Mapped[str | None] = mapped_column(Text)
    html_url: Mapped[str | None] = mapped_column(Text)

    teams: Mapped[list[PDTeam]] = relationship(secondary=team_members, back_populates="members")


class PDPriority(SyncedRow, db.Model):
    __tablename__ = "pd_priorities"

    # Cut by the sync (mapping.py) like the incidents' priority it must equal (incidents.PRIORITY_LENGTH).
    name: Mapped[str] = mapped_column(String(255))
    rank: Mapped[int] = mapped_column(default=0)


class SyncKind(enum.StrEnum):
    BACKFILL = "backfill"
    INCREMENTAL = "incremental"
    WEBHOOK = "webhook"
    MANUAL = "manual"


class SyncStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    WAITING = "waiting"  # rate limited: re-enqueued to continue later
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class SyncRun(db.Model):
    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_account_started", "account_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("pd_accounts.id", ondelete="CASCADE"))
    kind: Mapped[SyncKind] = mapped_column(enum_column(SyncKind, 20))
    status: Mapped[SyncStatus] = mapped_column(enum_column(SyncStatus, 20), default=SyncStatus.QUEUED)
    stage: Mapped[str] = mapped_column(String(100), default="")
    progress: Mapped[float] = mapped_column(default=0.0)  # 0..1
    fetched: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    requests: Mapped[int] = mapped_column(default=0)
    rate_limited: Mapped[int] = mapped_column(default=0)
    # How often the run re-enqueued itself after a retryable failure (long rate limit, 5xx storm).
    continuations: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    account: Mapped[PagerDutyAccount] = relationship()

    @property
    def duration_seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


class SyncCheckpoint(db.Model):
    """How far a stream (incidents, log_entries, change_events, …) has been synced for an account."""

    __tablename__ = "sync_checkpoints"
    __table_args__ = (UniqueConstraint("account_id", "stream"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("pd_accounts.id", ondelete="CASCADE"))
    stream: Mapped[str] = mapped_column(String(60))
    position: Mapped[datetime | None] = mapped_column(UTCDateTime)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
