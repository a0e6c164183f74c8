"""The alert side of unlinking a PagerDuty account: resolve what firing rules opened through it.

Alerts sends its pages through integrations, so integrations may not call alerts back: its unlink announces
itself (integrations/pagerduty/unlinking.py) and this module answers, connected when the app is created. The
resolves go through the delivery queue like every resolve (exactly once, retried) while the token still works.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.alerts import outbox
from app.alerts.jobs import enqueue_deliveries
from app.extensions import db
from app.integrations.pagerduty.gone import RESOLVE_NOTE
from app.integrations.pagerduty.link import account_label
from app.integrations.pagerduty.unlinking import Owed, account_unlinking, in_flight, unlink_started
from app.models import AlertRule, AlertState, Delivery, PagerDutyAccount, RuleTarget


@account_unlinking.connect
def resolve_open_incidents(account: PagerDutyAccount, now: datetime) -> Owed:
    """What removing the account's targets from their rules owes (evaluate.drop_targets' path, with a note
    saying why): a resolve of each incident the current episode of a firing rule opened through it."""
    targets = db.session.scalars(
        select(RuleTarget)
        .join(AlertRule, AlertRule.id == RuleTarget.rule_id)
        .where(
            RuleTarget.account_id == account.id,
            RuleTarget.removed_at.is_(None),
            AlertRule.deleted_at.is_(None),
        )
        .order_by(RuleTarget.id)
    ).all()
    by_rule: dict[int, list[RuleTarget]] = {}
    for target in targets:
        # The rule's page names the account even after its row is deleted.
        target.account_label = account_label(account)
        by_rule.setdefault(target.rule_id, []).append(target)
    owed = Owed([], [], [])
    for rule_targets in by_rule.values():
        rule = rule_targets[0].rule
        if rule.state is not AlertState.FIRING:
            continue
        if not rule.notify_on_resolve:
            owed.left_open.append(rule.name)
            continue
        ids = [t.id for t in rule_targets]
        created = outbox.resolves_for(rule.id, rule.episode, now, RESOLVE_NOTE, targets=ids)
        owed.deliveries.extend(created)
        its_resolves = (
            Delivery.rule_id == rule.id,
            Delivery.episode == rule.episode,
            Delivery.target_id.in_(ids),
        )
        if created or in_flight(*its_resolves):
            owed.resolving.append(rule.name)
    db.session.flush()
    return owed


@unlink_started.connect
def send_resolves(account: PagerDutyAccount, owed: Owed) -> None:
    enqueue_deliveries([d.id for d in owed.deliveries])
