"""The alert side of unlinking a PagerDuty account: resolve what firing rules opened through it.

Alerts sends its pages through integrations, so integrations may not call alerts back: its unlink announces
itself (integrations/pagerduty/unlinking.py) and this module answers, connected when the app is created. The
resolves go through the delivery queue like every resolve (exactly once, retried) while the token still works.
Afterwards the rule's page and the alerts list say which targets' account is gone (`gone_targets`), before a
page fails, and offer to re-target.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from app.alerts import outbox
from app.alerts.jobs import enqueue_deliveries
from app.extensions import db
from app.integrations.pagerduty.link import account_label
from app.integrations.pagerduty.unlinking import Owed, account_unlinking, in_flight, unlink_started
from app.models import (
    AccountStatus,
    AlertRule,
    AlertState,
    Delivery,
    DeliveryAction,
    DeliveryStatus,
    PagerDutyAccount,
    RuleTarget,
)

# The details of the resolve an unlink sends: how a target tells its incident was resolved.
RESOLVE_NOTE = "Resolved by Vigil: the PagerDuty account this rule paged through was unlinked."


@dataclass(frozen=True)
class GoneTarget:
    target: RuleTarget
    label: str  # the account, e.g. "acme (US)"
    state: str  # deleted | unlinked | unlinking
    resolve: Delivery | None  # the resolve the unlink sent for the incident the rule had open there

    @property
    def what(self) -> str:
        service = self.target.service_name or self.target.service_remote_id
        done = {
            "deleted": f"{self.label} was unlinked and its synced data deleted",
            "unlinked": f"{self.label} is unlinked",
            "unlinking": f"{self.label} is being unlinked",
        }[self.state]
        return f"{done}: this rule pages {service} there no more."

    @property
    def outcome(self) -> str | None:
        """What happened to the incident the rule had open through the account when it was unlinked."""
        resolve = self.resolve
        if resolve is None or resolve.status is DeliveryStatus.SKIPPED:
            return None
        if resolve.status is DeliveryStatus.SENT:
            return "The incident Vigil had opened there was resolved before the token was deleted."
        if resolve.status is DeliveryStatus.FAILED:
            why = resolve.error_message or "PagerDuty refused it"
            return (
                f"Vigil could not resolve the incident it had opened there ({why}): resolve it in PagerDuty."
            )
        return "Vigil is resolving the incident it opened there."


def gone_targets(rule: AlertRule) -> list[GoneTarget]:
    gone = []
    for target in rule.targets:
        account = target.account
        if account is None:
            state, label = "deleted", target.account_label or "Its PagerDuty account"
        elif account.status is AccountStatus.UNLINKED:
            state, label = "unlinked", account_label(account)
        elif account.unlink_requested_at is not None:
            state, label = "unlinking", account_label(account)
        else:
            continue
        gone.append(GoneTarget(target, label, state, _unlink_resolve(target)))
    return gone


def _unlink_resolve(target: RuleTarget) -> Delivery | None:
    return db.session.scalar(
        select(Delivery)
        .where(
            Delivery.target_id == target.id,
            Delivery.action == DeliveryAction.RESOLVE,
            Delivery.details == RESOLVE_NOTE,
        )
        .order_by(Delivery.id.desc())
        .limit(1)
    )


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
