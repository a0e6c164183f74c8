"""One evaluation pass over every enabled rule (the scheduler runs it each minute), and stopping a rule.

A pass reads all signals in a few batched queries (signals.py), lets the pure state machine decide
(states.py), writes the transitions and the pages owed (outbox.py) in one commit, and only then enqueues the
deliveries, so a page exists in the database before any worker can send it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import selectinload

from app.alerts import outbox, signals, states
from app.extensions import db
from app.models import AlertRule, AlertState, AlertTransition, Delivery
from app.models.types import utcnow

log = logging.getLogger(__name__)


@dataclass
class PassResult:
    rules: int = 0
    transitions: int = 0
    triggers: int = 0
    resolves: int = 0
    errors: int = 0
    seconds: float = 0.0
    deliveries: list[int] = field(default_factory=list)


def rule_state(rule: AlertRule) -> states.RuleState:
    return states.RuleState(rule.state, rule.state_since, rule.pending_since, rule.episode)


def _record(rule: AlertRule, step: states.Step, value: float | None, now: datetime) -> None:
    transition = AlertTransition(
        workspace_id=rule.workspace_id,
        rule_id=rule.id,
        at=now,
        from_state=rule.state,
        to_state=step.new.state,
        value=value,
        episode=step.new.episode,
        note=step.note[:300],
    )
    rule.state = step.new.state
    rule.state_since = step.new.since
    rule.pending_since = step.new.pending_since
    rule.episode = step.new.episode
    db.session.add(transition)


def apply_step(
    rule: AlertRule, step: states.Step, value: float | None, now: datetime, result: PassResult
) -> list[Delivery]:
    """Write what `step` decided for `rule`; return the deliveries it owes (not yet flushed)."""
    if not step.changed:
        return []
    previous_episode = rule.episode
    _record(rule, step, value, now)
    result.transitions += 1
    if step.action == "trigger" and not rule.muted:
        # A new episode: none of its targets can have been paged yet.
        created = outbox.triggers_for(rule, value, now, have=set())
        result.triggers += len(created)
        return created
    if step.action == "resolve" and rule.notify_on_resolve:
        # Muted or not: a resolve owed for an incident already opened is always sent.
        created = outbox.resolves_for(rule.id, previous_episode, now, _resolution_note(rule, value, step))
        result.resolves += len(created)
        return created
    return []


def _resolution_note(rule: AlertRule, value: float | None, step: states.Step) -> str:
    why = step.note or "the condition cleared"
    shown = outbox.format_value(value, signals.unit_of(rule))
    return f"Resolved by Vigil: {why} (value {shown}, threshold {rule.operator} {rule.threshold:g})."


def evaluate_all(now: datetime | None = None) -> PassResult:
    started = time.perf_counter()
    now = now or utcnow()
    rules = db.session.scalars(
        select(AlertRule)
        .where(AlertRule.enabled.is_(True), AlertRule.deleted_at.is_(None))
        .options(selectinload(AlertRule.targets))
        .order_by(AlertRule.id)
    ).all()
    result = PassResult(rules=len(rules))
    observations = signals.observe(rules, now)
    owed: list[Delivery] = []
    readings: list[dict[str, object]] = []
    for rule in rules:
        seen = observations[rule.id]
        # An unreadable signal keeps the last value it had, and says why next to it.
        value = rule.last_value if seen.error is not None else seen.value
        readings.append({"rule_id": rule.id, "value": value, "error": seen.error, "at": now})
        owed += evaluate_rule(rule, seen, now, result)
    owed += _unmuted_firing(rules, observations, now, result)
    if readings:
        # Every rule's reading in one executemany rather than an ORM UPDATE per rule; `updated_at` is the
        # time a person changed the rule, so a pass leaves it alone.
        db.session.execute(_RECORD_READING, readings)
    db.session.commit()
    result.deliveries = [d.id for d in owed]
    result.seconds = time.perf_counter() - started
    log.info(
        "alert pass: %d rules, %d transitions, %d triggers, %d resolves, %d errors in %.2fs",
        result.rules,
        result.transitions,
        result.triggers,
        result.resolves,
        result.errors,
        result.seconds,
    )
    return result


_rules = AlertRule.__table__
_RECORD_READING = (
    update(_rules)
    .where(_rules.c.id == bindparam("rule_id"))
    .values(
        last_value=bindparam("value"),
        last_error=bindparam("error"),
        last_evaluated_at=bindparam("at"),
        updated_at=_rules.c.updated_at,
    )
)


def evaluate_rule(
    rule: AlertRule, observation: signals.Observation, now: datetime, result: PassResult
) -> list[Delivery]:
    """Decide one rule on what was seen (evaluate_all writes every rule's reading at once)."""
    if observation.error is not None:
        # The state is kept: an unreadable signal neither pages nor resolves.
        result.errors += 1
        return []
    breach = states.breaches(observation.value, rule.operator, rule.threshold)
    step = states.decide(
        rule_state(rule),
        breach,
        for_seconds=rule.for_seconds,
        no_data=rule.no_data,  # type: ignore[arg-type]
        now=now,
    )
    return apply_step(rule, step, observation.value, now, result)


def _unmuted_firing(
    rules: Sequence[AlertRule], seen: dict[int, signals.Observation], now: datetime, result: PassResult
) -> list[Delivery]:
    """A rule unmuted (or given a new target) while firing pages now for the episode it is in."""
    firing = [r for r in rules if r.state is AlertState.FIRING and not r.muted and r.targets]
    paged = outbox.paged_targets(firing)
    created: list[Delivery] = []
    for rule in firing:
        value = seen[rule.id].value if seen[rule.id].error is None else rule.last_value
        found = outbox.triggers_for(rule, value, now, have=paged.get(rule.id, set()))
        result.triggers += len(found)
        created += found
    return created


def stop_rule(rule: AlertRule, why: str, now: datetime | None = None) -> list[Delivery]:
    """Disabling or deleting a rule: a pending or firing rule goes back to ok and resolves what it opened
    (when notify-on-resolve is on). The caller commits, then enqueues the returned deliveries."""
    now = now or utcnow()
    step = states.stop(rule_state(rule), now, why)
    return apply_step(rule, step, rule.last_value, now, PassResult())


def drop_targets(rule: AlertRule, target_ids: Sequence[int], now: datetime | None = None) -> list[Delivery]:
    """Targets removed from a firing rule: resolve what the current episode opened on them."""
    if rule.state is not AlertState.FIRING or not rule.notify_on_resolve or not target_ids:
        return []
    note = "Resolved by Vigil: this service was removed from the alert rule."
    return outbox.resolves_for(rule.id, rule.episode, now or utcnow(), note, targets=target_ids)
