"""Sync bookkeeping: one row per run, and where each stream got to."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.pagerduty import PagerDutyAccount
from app.models.types import UTCDateTime, enum_column, utcnow


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
