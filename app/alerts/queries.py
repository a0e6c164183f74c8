"""What the alert pages read: the rules table, the banners, the delivery log and a test alert's steps; each a
handful of queries whatever the number of rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from flask import abort
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from app.accounts.context import current_workspace
from app.alerts.outbox import format_value, format_window
from app.alerts.signals import PUSHED, describe, unit_of
from app.extensions import db
from app.integrations.pagerduty.credentials import workspace_accounts
from app.models import (
    AccountStatus,
    AlertRule,
    AlertTransition,
    Delivery,
    DeliveryStatus,
    PagerDutyAccount,
    PDService,
    PDTeam,
    RuleTarget,
    Workspace,
)
from app.models.types import utcnow

LOG_PER_PAGE = 50
HISTORY_ROWS = 50


def scoped_rule(workspace: Workspace, rule_id: int) -> AlertRule | None:
    rule = db.session.get(AlertRule, rule_id)
    if rule is None or rule.workspace_id != workspace.id or rule.deleted_at is not None:
        return None
    return rule


def get_rule_or_404(rule_id: int) -> AlertRule:
    """A live rule of the current workspace; another workspace's (or a deleted) rule is a 404."""
    rule = scoped_rule(current_workspace(), rule_id)
    if rule is None:
        abort(404)
    return rule


NO_DATA_WORDS = {"ok": "counts as OK", "alert": "fires", "keep": "keeps the state"}


def condition_text(rule: AlertRule) -> str:
    """ "avg(queue.depth) > 100 over 5 min, for 2 min; no data fires"."""
    unit = unit_of(rule)
    text = f"{describe(rule)} {rule.operator} {format_value(rule.threshold, unit)}"
    text += f" over {format_window(rule.window_seconds)}"
    if rule.for_seconds:
        text += f", for {format_window(rule.for_seconds)}"
    if rule.signal == PUSHED or rule.no_data != "ok":
        text += f"; no data {NO_DATA_WORDS.get(rule.no_data, rule.no_data)}"
    return text


def shown_value(rule: AlertRule) -> str:
    if rule.last_evaluated_at is None:
        return "not evaluated yet"
    return value_of(rule, rule.last_value)


def value_of(rule: AlertRule, value: float | None) -> str:
    """A value the rule saw, in its unit ("12 minutes", "40%", "no data")."""
    return format_value(value, unit_of(rule))


def workspace_rules(workspace: Workspace) -> Sequence[AlertRule]:
    return db.session.scalars(
        select(AlertRule)
        .where(AlertRule.workspace_id == workspace.id, AlertRule.deleted_at.is_(None))
        .options(selectinload(AlertRule.targets))
        .order_by(func.lower(AlertRule.name), AlertRule.id)
    ).all()


def last_deliveries(rule_ids: list[int]) -> dict[int, Delivery]:
    """Each rule's most recent delivery (one query for all rules)."""
    if not rule_ids:
        return {}
    latest = select(func.max(Delivery.id)).where(Delivery.rule_id.in_(rule_ids)).group_by(Delivery.rule_id)
    rows = db.session.scalars(select(Delivery).where(Delivery.id.in_(latest)))
    return {d.rule_id: d for d in rows if d.rule_id is not None}


def accounts_needing_attention(workspace: Workspace) -> Sequence[PagerDutyAccount]:
    """Accounts that live targets page through but that cannot page now (needs attention, unlinked)."""
    return db.session.scalars(
        select(PagerDutyAccount)
        .where(
            PagerDutyAccount.workspace_id == workspace.id,
            PagerDutyAccount.status != AccountStatus.ACTIVE,
            PagerDutyAccount.id.in_(
                select(RuleTarget.account_id)
                .join(AlertRule, AlertRule.id == RuleTarget.rule_id)
                .where(RuleTarget.removed_at.is_(None), AlertRule.deleted_at.is_(None))
            ),
        )
        .order_by(PagerDutyAccount.id)
    ).all()


def usable_accounts(workspace: Workspace) -> list[PagerDutyAccount]:
    return [a for a in workspace_accounts(workspace.id) if a.status is not AccountStatus.UNLINKED]


def account_services(workspace: Workspace, account_id: int | None) -> list[PDService]:
    """The synced directory of one account (or of every account), disabled and maintenance ones included:
    the form marks them, and saving one is refused with the reason."""
    query = select(PDService).where(
        PDService.workspace_id == workspace.id, PDService.deleted_remotely.is_(False)
    )
    if account_id is not None:
        query = query.where(PDService.account_id == account_id)
    return list(db.session.scalars(query.order_by(func.lower(PDService.name), PDService.id)))


def workspace_teams(workspace: Workspace) -> Sequence[PDTeam]:
    return db.session.scalars(
        select(PDTeam).where(PDTeam.workspace_id == workspace.id).order_by(func.lower(PDTeam.name))
    ).all()


def transitions(rule: AlertRule) -> Sequence[AlertTransition]:
    return db.session.scalars(
        select(AlertTransition)
        .where(AlertTransition.rule_id == rule.id)
        .order_by(AlertTransition.at.desc(), AlertTransition.id.desc())
        .limit(HISTORY_ROWS)
    ).all()


def rule_deliveries(rule: AlertRule) -> Sequence[Delivery]:
    return db.session.scalars(
        select(Delivery)
        .where(Delivery.rule_id == rule.id)
        .order_by(Delivery.created_at.desc(), Delivery.id.desc())
        .limit(HISTORY_ROWS)
    ).all()


@dataclass(frozen=True)
class LogPage:
    rows: list[Delivery]
    page: int
    pages: int
    total: int


def delivery_log(workspace: Workspace, status: DeliveryStatus | None, page: int) -> LogPage:
    """Failures first (failed, then retrying), then everything else; newest first within each."""
    where = [Delivery.workspace_id == workspace.id]
    if status is not None:
        where.append(Delivery.status == status)
    total = db.session.scalar(select(func.count()).select_from(Delivery).where(*where)) or 0
    pages = max(1, -(-total // LOG_PER_PAGE))
    page = min(max(page, 1), pages)
    rank = case(
        (Delivery.status == DeliveryStatus.FAILED, 0),
        (Delivery.status == DeliveryStatus.RETRYING, 1),
        else_=2,
    )
    rows = db.session.scalars(
        select(Delivery)
        .where(*where)
        .options(selectinload(Delivery.rule))
        .order_by(rank, Delivery.created_at.desc(), Delivery.id.desc())
        .offset((page - 1) * LOG_PER_PAGE)
        .limit(LOG_PER_PAGE)
    ).all()
    return LogPage(list(rows), page, pages, total)


# A test step still waiting this long most likely has no worker to run it: the partial says so.
STALE_TEST = timedelta(seconds=30)


def test_context(trigger: Delivery | None) -> dict[str, object]:
    """What `_test_result.html` needs about one test alert: both steps, whether to poll, whether stale."""
    if trigger is None:
        return {"test": None}
    resolve = db.session.scalars(
        select(Delivery).where(Delivery.parent_id == trigger.id).order_by(Delivery.id).limit(1)
    ).first()
    # Poll while a step can still change: the trigger is not final, or it was sent and its resolve is not.
    polling = not trigger.status.is_final or (
        trigger.status is DeliveryStatus.SENT and (resolve is None or not resolve.status.is_final)
    )
    waiting = resolve if resolve is not None else trigger
    stale = polling and waiting.status is DeliveryStatus.QUEUED and utcnow() - waiting.updated_at > STALE_TEST
    return {"test": trigger, "test_resolve": resolve, "polling": polling, "stale": stale}
