"""End to end against pdsim: a rule fires, pages the right service as the token user, and resolves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, select

from app.extensions import db
from app.models import (
    AlertRule,
    AlertState,
    AlertTransition,
    Delivery,
    DeliveryAction,
    DeliveryStatus,
    MetricPoint,
    PDService,
)
from pdsim.testing import RunningSim


def created_on(sim: RunningSim) -> list[dict[str, Any]]:
    return sim.control.created()


def deliveries(rule: AlertRule) -> list[Delivery]:
    db.session.expire_all()
    return list(db.session.scalars(select(Delivery).where(Delivery.rule_id == rule.id).order_by(Delivery.id)))


def clear_points() -> None:
    db.session.execute(delete(MetricPoint))
    db.session.commit()


def test_firing_rule_creates_one_incident_on_its_service_from_the_token_user(
    sim: RunningSim, pd_service: PDService, make_rule: Callable[..., AlertRule], push, tick
) -> None:
    rule = make_rule()
    push(150)
    tick()
    db.session.expire_all()
    assert rule.state is AlertState.FIRING
    [incident] = created_on(sim)
    assert incident["service_id"] == pd_service.remote_id
    assert incident["from"] == sim.admin_email
    assert incident["status"] == "triggered"
    assert incident["urgency"] == "high"  # from severity "critical"
    assert incident["incident_key"] == f"vigil/rule/{rule.uid}/episode/1"
    assert incident["title"] == "[critical] Queue too deep: avg(queue.depth) is 150 (> 100)"
    assert "Value: 150" in incident["body"]
    assert f"Rule in Vigil: https://vigil.example/alerts/{rule.id}" in incident["body"]
    [trigger] = deliveries(rule)
    assert trigger.status is DeliveryStatus.SENT
    assert (trigger.pd_incident_id, trigger.http_status, trigger.attempts) == (incident["id"], 201, 1)
    assert trigger.pd_incident_url and incident["id"] in trigger.pd_incident_url
    # Further passes while it still breaches page nothing more.
    tick()
    tick()
    assert len(created_on(sim)) == 1


def test_recovery_resolves_the_incident_with_a_note(sim: RunningSim, make_rule, push, tick) -> None:
    rule = make_rule()
    push(150)
    tick()
    clear_points()
    push(10)
    tick()
    db.session.expire_all()
    assert rule.state is AlertState.OK
    [incident] = created_on(sim)
    assert incident["status"] == "resolved"
    trigger, resolve = deliveries(rule)
    assert (resolve.action, resolve.status, resolve.parent_id) == (
        DeliveryAction.RESOLVE,
        DeliveryStatus.SENT,
        trigger.id,
    )
    assert resolve.pd_incident_id == trigger.pd_incident_id
    transitions = db.session.scalars(select(AlertTransition).order_by(AlertTransition.id)).all()
    assert [(t.from_state, t.to_state, t.value) for t in transitions] == [
        (AlertState.OK, AlertState.FIRING, 150.0),
        (AlertState.FIRING, AlertState.OK, 10.0),
    ]


def test_a_second_episode_opens_a_new_incident(sim: RunningSim, make_rule, push, tick) -> None:
    rule = make_rule()
    for value in (150, 10, 170):
        clear_points()
        push(value)
        tick()
    created = created_on(sim)
    assert [i["incident_key"] for i in created] == [
        f"vigil/rule/{rule.uid}/episode/1",
        f"vigil/rule/{rule.uid}/episode/2",
    ]
    assert [i["status"] for i in created] == ["resolved", "triggered"]


def test_notify_on_resolve_off_leaves_the_incident_open(sim: RunningSim, make_rule, push, tick) -> None:
    rule = make_rule(notify_on_resolve=False)
    push(150)
    tick()
    clear_points()
    push(10)
    tick()
    db.session.expire_all()
    assert rule.state is AlertState.OK
    [incident] = created_on(sim)
    assert incident["status"] == "triggered"
    assert [d.action for d in deliveries(rule)] == [DeliveryAction.TRIGGER]
