"""Creating, changing, stopping and testing alert rules: what the views, the JSON API and the CLI share.

Every function takes the workspace (or a rule already scoped to it) and commits; deliveries a change owes
(resolves when a firing rule is disabled, deleted or loses a target) are enqueued after the commit.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import select

from app.accounts import audit
from app.alerts import evaluate, outbox, signals, states
from app.alerts.jobs import enqueue_deliveries, enqueue_owed
from app.alerts.queries import usable_accounts
from app.alerts.rules import Choices, RuleInvalid, RuleSpec, TargetSpec
from app.extensions import db
from app.integrations.pagerduty.capabilities import POLICY_SCOPE
from app.integrations.pagerduty.credentials import client_for, delivery_problem, record_auth_failure
from app.integrations.pagerduty.errors import PagerDutyError
from app.models import (
    AlertRule,
    AlertState,
    Delivery,
    DeliveryStatus,
    PagerDutyAccount,
    PDService,
    PDTeam,
    RuleTarget,
    User,
    Workspace,
)
from app.models.types import utcnow
from app.queue import QueueNotConfigured

log = logging.getLogger(__name__)

# Fields of AlertRule a RuleSpec sets directly (the switches and targets take more than a copy).
_RULE_FIELDS = tuple(f.name for f in fields(RuleSpec) if f.name not in ("enabled", "muted", "targets"))


def choices_for(workspace: Workspace) -> Choices:
    services = db.session.execute(
        select(PDService.remote_id, PDService.id).where(PDService.workspace_id == workspace.id)
    ).all()
    teams = db.session.execute(
        select(PDTeam.remote_id, PDTeam.id).where(PDTeam.workspace_id == workspace.id)
    ).all()
    accounts = [a.id for a in usable_accounts(workspace)]
    return Choices(dict(services), dict(teams), accounts)  # type: ignore[arg-type]


@dataclass(frozen=True)
class CheckedTarget:
    spec: TargetSpec
    service_name: str
    escalation_policy_name: str | None = None


# A person waits on the form for these checks: few and short tries.
_CHECKING: dict[str, Any] = {"max_attempts": 2, "max_inline_wait": 2.0, "timeout": (3, 10)}


def check_targets(workspace: Workspace, specs: tuple[TargetSpec, ...]) -> list[CheckedTarget]:
    """Refuse, with the reason, a target that cannot be paged: an account that cannot write incidents, a
    service that is disabled, in maintenance or gone. PagerDuty is asked live; the synced directory is the
    fallback when it cannot be reached."""
    errors: dict[str, str] = {}
    checked = []
    for i, spec in enumerate(specs):
        where = f"targets[{i}]"
        account = db.session.get(PagerDutyAccount, spec.account_id)
        if account is None or account.workspace_id != workspace.id:
            errors[f"{where}.account"] = "This PagerDuty account is not linked to the workspace."
            continue
        problem = delivery_problem(account)
        if problem:
            errors[f"{where}.account"] = problem
            continue
        name, problem = _service_status(account, spec.service_remote_id)
        if problem:
            errors[f"{where}.service"] = problem
            continue
        policy_name = None
        if spec.escalation_policy_remote_id:
            policy_name, problem = _policy_name(account, spec.escalation_policy_remote_id)
            if problem:
                errors[f"{where}.escalation_policy"] = problem
                continue
        checked.append(CheckedTarget(spec, name, policy_name))
    if errors:
        raise RuleInvalid(errors)
    return checked


def _service_status(account: PagerDutyAccount, remote_id: str) -> tuple[str, str | None]:
    row = db.session.scalar(
        select(PDService).where(PDService.account_id == account.id, PDService.remote_id == remote_id)
    )
    try:
        remote = client_for(account, **_CHECKING).get_service(remote_id)
        status, name = str(remote.get("status") or "active"), str(remote.get("name") or remote_id)
    except PagerDutyError as err:
        if err.status == 404:
            return remote_id, f"PagerDuty has no service {remote_id} on this account."
        if record_auth_failure(account, err):
            db.session.commit()
            return remote_id, delivery_problem(account)
        if row is None:
            return remote_id, _cannot_check(f"service {remote_id}", err)
        status, name = row.status, row.name
    if status == "disabled":
        return name, f"{name} is disabled in PagerDuty: it would create no incident."
    if status == "maintenance":
        return name, f"{name} is in maintenance in PagerDuty: it would create no incident."
    return name, None


def _cannot_check(what: str, err: PagerDutyError) -> str:
    """A passing failure says to try again; a refusal that will not pass says so."""
    if err.retryable:
        return f"Cannot check {what} with PagerDuty right now ({err.message}). Try again in a minute."
    return f"PagerDuty refused to show {what} ({err.message})."


def _policy_name(account: PagerDutyAccount, policy_id: str) -> tuple[str | None, str | None]:
    """(name, problem): an escalation policy a target names must be one of the account's."""
    try:
        policies = client_for(account, **_CHECKING).list_escalation_policies()
    except PagerDutyError as err:
        if err.status == 403:
            return None, (
                f"This account's PagerDuty grant cannot read escalation policies (it needs {POLICY_SCOPE}): "
                "re-link it with PagerDuty to choose a policy, or leave the policy empty to page the "
                "service's own."
            )
        return None, _cannot_check(f"escalation policy {policy_id}", err)
    for policy in policies:
        if policy.get("id") == policy_id:
            return str(policy.get("name") or policy_id), None
    return None, f"PagerDuty has no escalation policy {policy_id} on this account."


def _apply(rule: AlertRule, spec: RuleSpec) -> None:
    for name in _RULE_FIELDS:
        setattr(rule, name, getattr(spec, name))


def create_rule(workspace: Workspace, spec: RuleSpec, user: User | None) -> AlertRule:
    checked = check_targets(workspace, spec.targets)
    rule = AlertRule(workspace_id=workspace.id, uid=secrets.token_hex(12), created_by=user)
    _apply(rule, spec)
    rule.enabled, rule.muted = spec.enabled, spec.muted
    rule.state, rule.state_since = AlertState.OK, utcnow()
    db.session.add(rule)
    db.session.flush()
    for target in checked:
        db.session.add(RuleTarget(rule_id=rule.id, **_target_fields(target)))
    audit.record(workspace, "alert_rule.created", rule.name, rule=rule.id)
    db.session.commit()
    return rule


def _target_fields(checked: CheckedTarget) -> dict[str, Any]:
    return {
        **asdict(checked.spec),
        "service_name": checked.service_name,
        "escalation_policy_name": checked.escalation_policy_name,
    }


def update_rule(rule: AlertRule, spec: RuleSpec) -> AlertRule:
    """Change a rule. A changed condition does not reset its state (the next pass re-decides); targets that
    are removed while the rule fires get their incidents resolved; new ones are paged by the next pass."""
    workspace = rule.workspace
    checked = check_targets(workspace, spec.targets)
    _apply(rule, spec)
    now = utcnow()
    wanted = {(c.spec.account_id, c.spec.service_remote_id): c for c in checked}
    removed = []
    for target in rule.targets:
        found = wanted.pop((target.account_id, target.service_remote_id), None)
        if found is None:
            target.removed_at = now
            removed.append(target.id)
        else:
            for name, value in _target_fields(found).items():
                setattr(target, name, value)
    owed = evaluate.drop_targets(rule, removed, now)
    for target in wanted.values():
        db.session.add(RuleTarget(rule_id=rule.id, **_target_fields(target)))
    owed += _switches(rule, enabled=spec.enabled, muted=spec.muted, now=now)
    audit.record(workspace, "alert_rule.updated", rule.name, rule=rule.id)
    db.session.commit()
    db.session.expire(rule, ["targets"])
    enqueue_owed([d.id for d in owed])
    return rule


def _switches(rule: AlertRule, *, enabled: bool, muted: bool, now: datetime) -> list[Delivery]:
    owed = evaluate.stop_rule(rule, "rule disabled", now) if rule.enabled and not enabled else []
    rule.enabled = enabled
    rule.muted = muted  # unmuting a firing rule pages on the next pass (evaluate._unmuted_firing)
    db.session.flush()
    return owed


def set_switches(rule: AlertRule, *, enabled: bool | None = None, muted: bool | None = None) -> None:
    owed = _switches(
        rule,
        enabled=rule.enabled if enabled is None else enabled,
        muted=rule.muted if muted is None else muted,
        now=utcnow(),
    )
    audit.record(rule.workspace, "alert_rule.updated", rule.name, enabled=rule.enabled, muted=rule.muted)
    db.session.commit()
    enqueue_owed([d.id for d in owed])


def delete_rule(rule: AlertRule) -> None:
    """Soft delete: the rule disappears from lists, but resolves it owes are still sent and its deliveries
    stay in the log."""
    now = utcnow()
    owed = evaluate.stop_rule(rule, "rule deleted", now) if rule.enabled else []
    rule.deleted_at = now
    rule.enabled = False
    audit.record(rule.workspace, "alert_rule.deleted", rule.name, rule=rule.id)
    db.session.commit()
    enqueue_owed([d.id for d in owed])


class QueueUnavailable(Exception):
    """The job queue did not take the work; nothing was sent and nothing will be."""


QUEUE_DOWN = "Vigil's job queue is unreachable, so nothing was sent to PagerDuty; try again shortly."


def send_test(rule: AlertRule, target: RuleTarget) -> Delivery:
    """A labelled test incident on the target's service, resolved as soon as it is created (delivery.py).

    Raises QueueUnavailable when the queue does not take it: the test is then recorded as failed, so the
    sweep never sends it later and a second click pages once, not twice."""
    now = utcnow()
    delivery = outbox.make_test_trigger(rule, target, now, secrets.token_hex(6))
    # The sweep leaves a delivery alone for its grace after this, the time to mark it failed if need be.
    delivery.next_attempt_at = now
    audit.record(rule.workspace, "alert_rule.test_sent", rule.name, service=target.service_name)
    db.session.commit()
    try:
        enqueue_deliveries([delivery.id])
    except (RedisError, QueueNotConfigured) as exc:
        log.warning("test alert %s not enqueued: %s", delivery.id, exc)
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
        delivery.error_message = QUEUE_DOWN
        db.session.commit()
        raise QueueUnavailable(QUEUE_DOWN) from exc
    return delivery


@dataclass(frozen=True)
class Preview:
    value: float | None
    error: str | None
    would_breach: bool | None
    unit: str
    shown: str


def preview(workspace: Workspace, spec: RuleSpec, now: datetime | None = None) -> Preview:
    """The signal's value right now and whether the condition holds (no rule is saved, nothing is sent)."""
    now = now or utcnow()
    rule = AlertRule(workspace_id=workspace.id, id=0, labels={}, filters={})
    _apply(rule, spec)
    observation = signals.observe([rule], now)[0]
    unit = signals.unit_of(rule)
    breach = states.breaches(observation.value, spec.operator, spec.threshold)
    if breach is None and spec.no_data != "keep":
        breach = spec.no_data == "alert"
    return Preview(
        observation.value, observation.error, breach, unit, outbox.format_value(observation.value, unit)
    )


def rule_to_dict(rule: AlertRule) -> dict[str, Any]:
    """The JSON API's shape of a rule (PagerDuty ids for services and teams, as the API takes them)."""
    filters = rule.filters or {}
    return {
        "id": rule.id,
        **{name: getattr(rule, name) for name in _RULE_FIELDS},
        "labels": rule.labels or {},
        "filters": {
            "services": _remote_ids(PDService, filters.get("services", [])),
            "teams": _remote_ids(PDTeam, filters.get("teams", [])),
            "urgencies": filters.get("urgencies", []),
        },
        "enabled": rule.enabled,
        "muted": rule.muted,
        "targets": [
            {
                "id": t.id,
                "account": t.account_id,
                "service": t.service_remote_id,
                "service_name": t.service_name,
                "urgency": t.urgency,
                "escalation_policy": t.escalation_policy_remote_id,
            }
            for t in rule.targets
        ],
        "state": rule.state.value,
        "state_since": rule.state_since.isoformat() if rule.state_since else None,
        "episode": rule.episode,
        "last_value": rule.last_value,
        "last_evaluated_at": rule.last_evaluated_at.isoformat() if rule.last_evaluated_at else None,
        "last_error": rule.last_error,
        "created_at": rule.created_at.isoformat() if rule.created_at else None,
    }


def _remote_ids(model: type[PDService] | type[PDTeam], local_ids: list[int]) -> list[str]:
    if not local_ids:
        return []
    return list(
        db.session.scalars(select(model.remote_id).where(model.id.in_(local_ids)).order_by(model.remote_id))
    )
