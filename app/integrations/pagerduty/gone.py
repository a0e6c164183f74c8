"""Alert rule targets whose PagerDuty account is gone (unlinked, being unlinked, or deleted with its data):
what the rule's page and the alerts list say about them before a page fails, and the offer to re-target."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.models import AccountStatus, AlertRule, Delivery, DeliveryAction, DeliveryStatus, RuleTarget

from .link import account_label

# The details of the resolve an unlink sends (unlinking.py): how a target tells its incident was resolved.
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
