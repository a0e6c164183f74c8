"""Alert rules, where they send pages, what they did (transitions) and every page sent (deliveries). Rules and
targets are soft-deleted: a deleted rule may still owe PagerDuty a resolve, and its history stays readable."""

from __future__ import annotations

import enum
import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.accounts import User, Workspace
from app.models.pagerduty import PagerDutyAccount
from app.models.types import UTCDateTime, enum_column, utcnow


class AlertState(enum.StrEnum):
    OK = "ok"
    PENDING = "pending"
    FIRING = "firing"


class DeliveryAction(enum.StrEnum):
    TRIGGER = "trigger"
    RESOLVE = "resolve"
    TEST_TRIGGER = "test_trigger"
    TEST_RESOLVE = "test_resolve"

    @property
    def is_trigger(self) -> bool:
        return self in (DeliveryAction.TRIGGER, DeliveryAction.TEST_TRIGGER)


class DeliveryStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    RETRYING = "retrying"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"  # nothing to do: e.g. a resolve whose trigger never created an incident

    @property
    def is_final(self) -> bool:
        return self in (DeliveryStatus.SENT, DeliveryStatus.FAILED, DeliveryStatus.SKIPPED)


class AlertRule(db.Model):
    __tablename__ = "alert_rules"
    __table_args__ = (
        Index("ix_alert_rules_workspace", "workspace_id", "deleted_at"),
        Index("ix_alert_rules_enabled", "enabled", "deleted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    # Random and never reused: the base of every incident_key this rule sends, so two Vigil installs (or a
    # rule deleted and created again) never adopt each other's PagerDuty incidents.
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    signal: Mapped[str] = mapped_column(String(20))  # "incident" | "pushed"
    metric: Mapped[str] = mapped_column(String(200))  # an incident metric key, or a pushed metric's name
    aggregation: Mapped[str | None] = mapped_column(String(10))  # pushed: avg|min|max|sum|count|last
    labels: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # pushed: points must carry these
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # incident: services/teams/urgencies
    window_seconds: Mapped[int] = mapped_column(Integer)
    operator: Mapped[str] = mapped_column(String(2))
    threshold: Mapped[float]
    for_seconds: Mapped[int] = mapped_column(Integer, default=0)
    severity: Mapped[str] = mapped_column(String(10), default="error")
    no_data: Mapped[str] = mapped_column(String(10), default="ok")  # ok | alert | keep
    enabled: Mapped[bool] = mapped_column(default=True)
    muted: Mapped[bool] = mapped_column(default=False)
    notify_on_resolve: Mapped[bool] = mapped_column(default=True)
    title_template: Mapped[str] = mapped_column(String(255), default="")

    state: Mapped[AlertState] = mapped_column(enum_column(AlertState, 10), default=AlertState.OK)
    state_since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    pending_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Counts firing episodes; (uid, episode) names one episode's PagerDuty incident on each target.
    episode: Mapped[int] = mapped_column(Integer, default=0)
    last_value: Mapped[float | None]
    last_evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    workspace: Mapped[Workspace] = relationship()
    created_by: Mapped[User | None] = relationship()
    # The live targets; removed ones stay in the table for the deliveries that name them.
    targets: Mapped[list[RuleTarget]] = relationship(
        primaryjoin="and_(RuleTarget.rule_id == AlertRule.id, RuleTarget.removed_at.is_(None))",
        order_by="RuleTarget.id",
        viewonly=True,
    )


class RuleTarget(db.Model):
    """Medium "PagerDuty": which account pages which service, how urgently, through which policy."""

    __tablename__ = "alert_rule_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"), index=True)
    # NULL once the account is deleted ("Delete the synced data"): the target stays, so the rule can say
    # which account it paged (account_label) and offer to re-target, rather than silently paging nothing.
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("pd_accounts.id", ondelete="SET NULL"), index=True
    )
    account_label: Mapped[str] = mapped_column(Text, default="", server_default="")
    service_remote_id: Mapped[str] = mapped_column(String(40))
    service_name: Mapped[str] = mapped_column(Text, default="")
    urgency: Mapped[str | None] = mapped_column(String(4))  # None: from the rule's severity
    escalation_policy_remote_id: Mapped[str | None] = mapped_column(String(40))
    escalation_policy_name: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    rule: Mapped[AlertRule] = relationship()
    account: Mapped[PagerDutyAccount | None] = relationship()


class AlertTransition(db.Model):
    __tablename__ = "alert_transitions"
    __table_args__ = (Index("ix_alert_transitions_rule_at", "rule_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    from_state: Mapped[AlertState] = mapped_column(enum_column(AlertState, 10))
    to_state: Mapped[AlertState] = mapped_column(enum_column(AlertState, 10))
    value: Mapped[float | None]
    episode: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(String(300), default="")


class Delivery(db.Model):
    """One page action (trigger, resolve, test) on one target, with the outcome of its latest attempt. The row
    is the source of truth, the queue only a wake-up: a lost job is found again (app/alerts/outbox.py)."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (
        # One trigger and one resolve per target and episode, however often evaluation runs (tests: NULL).
        UniqueConstraint("target_id", "episode", "action", name="uq_alert_deliveries_target_episode_action"),
        Index("ix_alert_deliveries_workspace_created", "workspace_id", "created_at"),
        Index("ix_alert_deliveries_rule_created", "rule_id", "created_at"),
        Index("ix_alert_deliveries_status", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("alert_rules.id", ondelete="SET NULL"))
    target_id: Mapped[int | None] = mapped_column(ForeignKey("alert_rule_targets.id", ondelete="SET NULL"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("pd_accounts.id", ondelete="SET NULL"))
    # The trigger a resolve resolves (or the test trigger a test resolve closes).
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("alert_deliveries.id", ondelete="SET NULL"))
    action: Mapped[DeliveryAction] = mapped_column(enum_column(DeliveryAction, 20))
    episode: Mapped[int | None] = mapped_column(Integer)
    incident_key: Mapped[str] = mapped_column(String(255))
    service_remote_id: Mapped[str] = mapped_column(String(40))
    service_name: Mapped[str] = mapped_column(Text, default="")
    # What is sent, fixed when the delivery is created so a retry sends exactly the same page.
    title: Mapped[str] = mapped_column(String(255), default="")
    details: Mapped[str] = mapped_column(Text, default="")
    urgency: Mapped[str] = mapped_column(String(4), default="high")
    escalation_policy_remote_id: Mapped[str | None] = mapped_column(String(40))

    status: Mapped[DeliveryStatus] = mapped_column(
        enum_column(DeliveryStatus, 10), default=DeliveryStatus.QUEUED
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    http_status: Mapped[int | None] = mapped_column(Integer)
    error_code: Mapped[int | None] = mapped_column(Integer)
    error_message: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str] = mapped_column(String(300), default="")
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    pd_incident_id: Mapped[str | None] = mapped_column(String(40))
    pd_incident_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    rule: Mapped[AlertRule | None] = relationship()
    target: Mapped[RuleTarget | None] = relationship()
    account: Mapped[PagerDutyAccount | None] = relationship()
    parent: Mapped[Delivery | None] = relationship(remote_side="Delivery.id")


class MetricPoint(db.Model):
    """A point pushed to POST /api/v1/metrics/points. `series` is the labels in canonical form ("a=1,b=2")
    and `minute` the epoch minute of `at`, so evaluation aggregates per series and minute in SQL."""

    __tablename__ = "metric_points"
    __table_args__ = (Index("ix_metric_points_lookup", "workspace_id", "name", "minute"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    labels: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    series: Mapped[str] = mapped_column(String(1000), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    minute: Mapped[int] = mapped_column(BigInteger)
    value: Mapped[float]


# Every test alert Vigil sends carries an incident_key of this shape, so the sync recognises it among
# PagerDuty's incidents and keeps it out of the metrics, whatever became of the rule or its delivery rows.
# Failed pages this recent put a banner on the rules page and on the account page they went through.
RECENT_FAILURES = timedelta(hours=24)
_TEST_ALERT_KEY = re.compile(r"vigil/rule/[^/]+/test/[^/]+")
TEST_ALERT_EXCLUSION_REASON = "Vigil test alert: excluded automatically"


def make_test_alert_key(rule_uid: str, nonce: str) -> str:
    return f"vigil/rule/{rule_uid}/test/{nonce}"


def is_test_alert_key(incident_key: str | None) -> bool:
    return incident_key is not None and _TEST_ALERT_KEY.fullmatch(incident_key) is not None


def recent_failures(workspace_id: int, account_id: int | None = None) -> int:
    """Failed pages within RECENT_FAILURES, of the workspace or only those through one account."""
    query = db.select(db.func.count()).where(
        Delivery.workspace_id == workspace_id,
        Delivery.status == DeliveryStatus.FAILED,
        Delivery.created_at >= utcnow() - RECENT_FAILURES,
    )
    if account_id is not None:
        query = query.where(Delivery.account_id == account_id)
    return db.session.scalar(query) or 0
