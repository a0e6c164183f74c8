"""Which pages a rule owes, as Delivery rows: the trigger of an episode on each target, and its resolve.

The text of a page is rendered here, once, when the delivery is created; a retry sends exactly the same
page. Rendering is plain substitution of a few known names (no format specs, no attribute access), capped
and never empty, so a template can neither leak anything nor make PagerDuty refuse the page.

A page whose wake-up was lost (Redis restarted without persistence, a worker SIGKILLed mid-request, an enqueue
that failed after the commit) is still owed here: each evaluation pass asks `stale_deliveries` and enqueues
them again under their stable job ids, a no-op for deliveries whose job is still waiting.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import aliased

from app.alerts.rules import PLACEHOLDERS
from app.alerts.signals import describe, unit_of
from app.extensions import db
from app.models import AlertRule, Delivery, DeliveryAction, DeliveryStatus, RuleTarget
from app.models.alerts import make_test_alert_key

TITLE_LIMIT = 255  # pdsim refuses longer titles (API-NOTES §2.10 leaves the limit undocumented)
DETAILS_LIMIT = 10_000
DEFAULT_TITLE = "[{severity}] {rule}: {metric} is {value} ({operator} {threshold})"
TEST_TITLE = "[TEST] Vigil test alert for rule {rule} — no action needed"
TEST_NOTE = "This is a TEST incident sent from Vigil. Vigil resolves it right away; no action is needed."
_PLACEHOLDER = re.compile(r"\{(" + "|".join(PLACEHOLDERS) + r")\}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
SEVERITY_URGENCY = {"critical": "high", "error": "high", "warning": "low", "info": "low"}


def incident_key(rule: AlertRule, episode: int) -> str:
    return f"vigil/rule/{rule.uid}/episode/{episode}"


def format_value(value: float | None, unit: str = "") -> str:
    if value is None:
        return "no data"
    text = f"{value:.0f}" if float(value).is_integer() else f"{value:.4g}"
    return f"{text} {unit}".strip() if unit and unit != "%" else f"{text}{unit}"


def format_window(seconds: int) -> str:
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


def _values(rule: AlertRule, value: float | None) -> dict[str, str]:
    unit = unit_of(rule)
    return {
        "rule": rule.name,
        "metric": describe(rule),
        "value": format_value(value, unit),
        "threshold": format_value(rule.threshold, unit),
        "operator": rule.operator,
        "severity": rule.severity,
        "window": format_window(rule.window_seconds),
    }


def render_title(template: str, rule: AlertRule, value: float | None) -> str:
    values = _values(rule, value)
    text = _PLACEHOLDER.sub(lambda m: values[m.group(1)], template or DEFAULT_TITLE)
    text = " ".join(_CONTROL.sub(" ", text).split())
    if not text:
        return render_title(DEFAULT_TITLE, rule, value)
    return text if len(text) <= TITLE_LIMIT else text[: TITLE_LIMIT - 1] + "…"


def rule_url(rule: AlertRule) -> str:
    base = current_app.config["VIGIL"].base_url
    # Built from the route itself, also in a worker, where there is no request to build a URL against.
    path = current_app.url_map.bind("").build("alerts.show", {"rule_id": rule.id})
    return f"{base.rstrip('/')}{path}" if base else f"{path} (set VIGIL_BASE_URL for a full link)"


def render_details(rule: AlertRule, value: float | None, now: datetime, *, test: bool = False) -> str:
    """PagerDuty takes a string body (API-NOTES §2.10): the value, the condition and a way back to Vigil."""
    values = _values(rule, value)
    lines = [TEST_NOTE, ""] if test else []
    lines += [
        f"Rule: {rule.name}",
        f"Signal: {values['metric']}",
        f"Value: {values['value']} (at {now:%Y-%m-%d %H:%M:%S} UTC)",
        f"Condition: {rule.operator} {values['threshold']} over {values['window']}"
        + (f", for {format_window(rule.for_seconds)}" if rule.for_seconds else ""),
        f"Severity: {rule.severity}",
        f"Rule in Vigil: {rule_url(rule)}",
    ]
    if rule.description:
        lines += ["", rule.description]
    return "\n".join(lines)[:DETAILS_LIMIT]


def target_urgency(rule: AlertRule, target: RuleTarget) -> str:
    return target.urgency or SEVERITY_URGENCY.get(rule.severity, "high")


def _page(rule: AlertRule, target: RuleTarget, now: datetime, **fields: object) -> Delivery:
    """A trigger-like delivery from `rule` to `target`; `fields` name the action, key and text."""
    return Delivery(
        workspace_id=rule.workspace_id,
        rule_id=rule.id,
        target_id=target.id,
        account_id=target.account_id,
        service_remote_id=target.service_remote_id,
        service_name=target.service_name,
        escalation_policy_remote_id=target.escalation_policy_remote_id,
        status=DeliveryStatus.QUEUED,
        next_attempt_at=now,
        **fields,
    )


def _trigger(rule: AlertRule, target: RuleTarget, value: float | None, now: datetime) -> Delivery:
    return _page(
        rule,
        target,
        now,
        action=DeliveryAction.TRIGGER,
        episode=rule.episode,
        incident_key=incident_key(rule, rule.episode),
        title=render_title(rule.title_template, rule, value),
        details=render_details(rule, value, now),
        urgency=target_urgency(rule, target),
    )


def triggers_for(
    rule: AlertRule, value: float | None, now: datetime, have: set[int] | None = None
) -> list[Delivery]:
    """The current episode's trigger on every target not in `have` (target ids already paged this episode;
    read from the database when not given). Added to the session."""
    if have is None:
        have = paged_targets([rule]).get(rule.id, set())
    created = [_trigger(rule, t, value, now) for t in rule.targets if t.id not in have]
    db.session.add_all(created)
    return created


def paged_targets(rules: Sequence[AlertRule]) -> dict[int, set[int]]:
    """For each rule, the targets that already have a trigger in the rule's current episode (one query)."""
    if not rules:
        return {}
    episodes = {rule.id: rule.episode for rule in rules}
    rows = db.session.execute(
        select(Delivery.rule_id, Delivery.target_id, Delivery.episode).where(
            Delivery.rule_id.in_(list(episodes)), Delivery.action == DeliveryAction.TRIGGER
        )
    )
    found: dict[int, set[int]] = {}
    for rule_id, target_id, episode in rows:
        if episodes.get(rule_id) == episode and target_id is not None:
            found.setdefault(rule_id, set()).add(target_id)
    return found


def resolves_for(
    rule_id: int, episode: int, now: datetime, note: str, targets: Iterable[int] | None = None
) -> list[Delivery]:
    """A resolve for each of the episode's triggers that may have opened an incident (added to the session).
    A trigger still queued or retrying gets one too: the resolve waits for it (delivery.py), so a page that
    recovers before it was delivered still ends with one incident, resolved."""
    resolve = aliased(Delivery)
    query = select(Delivery).where(
        Delivery.rule_id == rule_id,
        Delivery.episode == episode,
        Delivery.action == DeliveryAction.TRIGGER,
        Delivery.status.not_in([DeliveryStatus.FAILED, DeliveryStatus.SKIPPED]),
        ~exists().where(resolve.parent_id == Delivery.id, resolve.action == DeliveryAction.RESOLVE),
    )
    if targets is not None:
        query = query.where(Delivery.target_id.in_(list(targets)))
    created = [_resolve(trigger, now, note) for trigger in db.session.scalars(query)]
    db.session.add_all(created)
    return created


def _resolve(trigger: Delivery, now: datetime, note: str) -> Delivery:
    return Delivery(
        workspace_id=trigger.workspace_id,
        rule_id=trigger.rule_id,
        target_id=trigger.target_id,
        account_id=trigger.account_id,
        parent_id=trigger.id,
        action=DeliveryAction.RESOLVE
        if trigger.action is DeliveryAction.TRIGGER
        else DeliveryAction.TEST_RESOLVE,
        episode=trigger.episode,
        incident_key=trigger.incident_key,
        service_remote_id=trigger.service_remote_id,
        service_name=trigger.service_name,
        title=trigger.title,
        details=note[:300],
        urgency=trigger.urgency,
        status=DeliveryStatus.QUEUED,
        next_attempt_at=now,
        pd_incident_id=trigger.pd_incident_id,
        pd_incident_url=trigger.pd_incident_url,
    )


def make_test_trigger(rule: AlertRule, target: RuleTarget, now: datetime, nonce: str) -> Delivery:
    """A clearly labelled test incident on the target's service (its resolve is created once it is sent)."""
    delivery = _page(
        rule,
        target,
        now,
        action=DeliveryAction.TEST_TRIGGER,
        episode=None,
        incident_key=make_test_alert_key(rule.uid, nonce),
        title=render_title(TEST_TITLE, rule, rule.last_value),
        details=render_details(rule, rule.last_value, now, test=True),
        urgency="low",
    )
    db.session.add(delivery)
    return delivery


def make_test_resolve(trigger: Delivery, now: datetime) -> Delivery:
    resolve = _resolve(trigger, now, "Vigil test alert: resolved automatically.")
    db.session.add(resolve)
    return resolve


# A queued delivery's job normally starts within seconds; only after this long is it presumed lost.
GRACE = timedelta(seconds=30)


def stale_deliveries(now: datetime) -> tuple[list[int], list[int]]:
    """(ids to enqueue, ids whose job is recorded as started but whose lease ran out: a dead worker)."""
    waiting = db.session.scalars(
        select(Delivery.id).where(
            Delivery.status.in_([DeliveryStatus.QUEUED, DeliveryStatus.RETRYING]),
            or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at < now - GRACE),
        )
    ).all()
    abandoned = db.session.scalars(
        select(Delivery.id).where(Delivery.status == DeliveryStatus.SENDING, Delivery.lease_until < now)
    ).all()
    return list(waiting), list(abandoned)


def unresolved_tests(now: datetime) -> list[int]:
    """Test incidents that were opened but whose resolve was never created (the worker died in between)."""
    child = aliased(Delivery)
    triggers = db.session.scalars(
        select(Delivery)
        .outerjoin(child, and_(child.parent_id == Delivery.id, child.action == DeliveryAction.TEST_RESOLVE))
        .where(
            Delivery.action == DeliveryAction.TEST_TRIGGER,
            Delivery.status == DeliveryStatus.SENT,
            child.id.is_(None),
        )
    ).all()
    created = [make_test_resolve(trigger, now) for trigger in triggers]
    db.session.commit()
    return [d.id for d in created]
