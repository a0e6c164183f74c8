"""Delivery against pdsim when things go wrong: duplicates, resolves already done, revoked tokens, faults,
rules stopped while firing, muting — every episode ends with exactly one incident, resolved when owed."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select, update

from app.alerts import delivery as deliver_module
from app.alerts import manage, outbox
from app.alerts.jobs import deliver, requeue_owed
from app.alerts.rules import RuleInvalid, parse_rule
from app.extensions import db
from app.models import (
    AccountStatus,
    AlertRule,
    AlertState,
    Delivery,
    DeliveryAction,
    DeliveryStatus,
    MetricPoint,
    PagerDutyAccount,
    Role,
)
from app.models.types import utcnow
from pdsim.testing import RunningSim
from tests.alerts.conftest import TOKEN, rule_body
from tests.factories import make_user


def deliveries(rule: AlertRule) -> list[Delivery]:
    db.session.expire_all()
    return list(db.session.scalars(select(Delivery).where(Delivery.rule_id == rule.id).order_by(Delivery.id)))


def recover(push, tick) -> None:
    db.session.execute(delete(MetricPoint))
    db.session.commit()
    push(1)
    tick()


def incidents_per_key(sim: RunningSim) -> Counter[str]:
    return Counter(i["incident_key"] for i in sim.control.created())


def test_an_open_incident_with_the_same_key_is_adopted(
    sim: RunningSim, make_rule, push, tick, pd_service
) -> None:
    rule = make_rule()
    key = f"vigil/rule/{rule.uid}/episode/1"
    existing = sim.rest(TOKEN, from_email=sim.admin_email).post(
        "/incidents",
        json={
            "incident": {
                "type": "incident",
                "title": "opened before Vigil recorded it",
                "service": {"id": pd_service.remote_id, "type": "service_reference"},
                "incident_key": key,
            }
        },
    )
    assert existing.status_code == 201
    push(150)
    tick()
    [trigger] = deliveries(rule)
    assert trigger.status is DeliveryStatus.SENT
    assert trigger.pd_incident_id == existing.json()["incident"]["id"]
    assert trigger.note == "adopted the open incident with this key"
    assert incidents_per_key(sim) == {key: 1}
    recover(push, tick)
    assert [i["status"] for i in sim.control.created()] == ["resolved"]


def test_a_resolve_of_an_incident_already_resolved_counts_as_done(
    sim: RunningSim, make_rule, push, tick, workspace, login_as
) -> None:
    rule = make_rule()
    push(150)
    tick()
    [trigger] = deliveries(rule)
    sim.control.incident_action(trigger.pd_incident_id, "resolve")
    recover(push, tick)
    _, resolve = deliveries(rule)
    assert (resolve.status, resolve.note) == (DeliveryStatus.SENT, "already resolved — done")
    # PagerDuty's answer was a 400 (code 1001), but the log must not show a finished resolve as an error.
    assert resolve.http_status is None
    make_user("reader@acme.test", "Rita Reader", workspace, Role.MEMBER)
    db.session.commit()
    page = login_as("reader@acme.test").get("/alerts/deliveries").text
    assert "already resolved — done" in page and "<td>400</td>" not in page


def test_a_revoked_token_fails_visibly_and_marks_the_account(
    sim: RunningSim, make_rule, push, tick, account
) -> None:
    rule = make_rule()
    sim.control.revoke_token(TOKEN)
    push(150)
    tick()
    [trigger] = deliveries(rule)
    assert trigger.status is DeliveryStatus.FAILED
    assert trigger.http_status == 401
    assert trigger.error_message
    db.session.refresh(account)
    assert account.status is AccountStatus.NEEDS_ATTENTION
    assert "revoked" in (account.status_reason or "")
    assert sim.control.created() == []
    # The rule is not disabled behind the admin's back: it still fires, and says why nothing was paged.
    db.session.refresh(rule)
    assert (rule.enabled, rule.state) == (True, AlertState.FIRING)


@pytest.mark.parametrize("how", ["delete", "disable"])
def test_stopping_a_firing_rule_resolves_its_incident(
    sim: RunningSim, make_rule, push, tick, run_jobs, how
) -> None:
    rule = make_rule()
    push(150)
    tick()
    if how == "delete":
        manage.delete_rule(rule)
    else:
        manage.set_switches(rule, enabled=False)
    run_jobs()
    [incident] = sim.control.created()
    assert incident["status"] == "resolved"
    db.session.expire_all()
    assert rule.state is AlertState.OK
    # And a stopped rule is no longer evaluated: nothing new is paged while the value stays high.
    tick()
    assert len(sim.control.created()) == 1


def test_muting_suppresses_new_pages_but_never_an_owed_resolve(
    sim: RunningSim, make_rule, push, tick
) -> None:
    muted = make_rule(name="muted from the start", muted=True)
    paged = make_rule(name="muted after paging")
    push(150)
    tick()
    assert [i["title"].split(":")[0] for i in sim.control.created()] == ["[critical] muted after paging"]
    manage.set_switches(paged, muted=True)
    recover(push, tick)
    assert [i["status"] for i in sim.control.created()] == ["resolved"]
    assert deliveries(muted) == []


def test_unmuting_a_firing_rule_pages_it(sim: RunningSim, make_rule, push, tick) -> None:
    rule = make_rule(muted=True)
    push(150)
    tick()
    assert sim.control.created() == []
    manage.set_switches(rule, muted=False)
    tick()
    assert incidents_per_key(sim) == {f"vigil/rule/{rule.uid}/episode/1": 1}


def test_5xx_errors_are_retried_until_the_page_gets_through(
    sim: RunningSim, make_rule, push, tick, monkeypatch
) -> None:
    monkeypatch.setattr(deliver_module, "MAX_INLINE_WAIT", 0.0)  # every retry goes back through the queue
    monkeypatch.setattr(deliver_module, "_backoff", lambda attempts: 30.0)
    rule = make_rule()
    sim.control.set_faults(error_rate=1.0, error_status=503, paths=["/incidents"])
    push(150)
    tick()
    [trigger] = deliveries(rule)
    assert trigger.status is DeliveryStatus.RETRYING
    assert trigger.http_status == 503 and trigger.error_message
    assert trigger.next_attempt_at is not None
    assert 29 < (trigger.next_attempt_at - trigger.updated_at).total_seconds() <= 30  # the backoff
    sim.control.clear_faults()
    deliver(trigger.id)
    [trigger] = deliveries(rule)
    assert trigger.status is DeliveryStatus.SENT
    assert trigger.attempts == 2 and trigger.error_message is None
    assert len(sim.control.created()) == 1


def test_a_long_rate_limit_is_waited_out_in_the_queue_not_in_the_worker(
    sim: RunningSim, make_rule, push, tick
) -> None:
    rule = make_rule()
    sim.control.set_faults(rate_limit_rate=1.0, rate_limit_burst=1, paths=["/incidents"])
    push(150)
    tick()
    [trigger] = deliveries(rule)
    assert (trigger.status, trigger.http_status) == (DeliveryStatus.RETRYING, 429)
    wait = (trigger.next_attempt_at - utcnow()).total_seconds()  # type: ignore[operator]
    assert 15 < wait <= 20  # pdsim's ratelimit-reset
    sim.control.clear_faults()
    deliver(trigger.id)
    assert deliveries(rule)[0].status is DeliveryStatus.SENT


def test_retries_give_up_after_the_configured_time_and_say_so(sim: RunningSim, make_rule, push, tick) -> None:
    rule = make_rule()
    sim.control.set_faults(error_rate=1.0, error_status=500, paths=["/incidents"])
    push(150)
    tick()
    [trigger] = deliveries(rule)
    db.session.execute(update(Delivery).values(created_at=utcnow() - timedelta(hours=2)))
    db.session.commit()
    deliver(trigger.id)
    [trigger] = deliveries(rule)
    assert trigger.status is DeliveryStatus.FAILED
    assert trigger.error_message and trigger.error_message.startswith("Gave up after")


def test_a_service_disabled_after_the_rule_was_saved_fails_with_pagerdutys_reason(
    sim: RunningSim, make_rule, push, tick, pd_service
) -> None:
    rule = make_rule()
    sim.control.set_service_status(pd_service.remote_id, "disabled")
    push(150)
    tick()
    [trigger] = deliveries(rule)
    assert (trigger.status, trigger.http_status) == (DeliveryStatus.FAILED, 400)
    assert "disabled" in (trigger.error_message or "")
    recover(push, tick)
    assert [d.action for d in deliveries(rule)] == [
        DeliveryAction.TRIGGER
    ]  # nothing opened, nothing to resolve


@pytest.mark.parametrize("status", ["disabled", "maintenance"])
def test_a_rule_paging_a_service_that_cannot_trigger_is_refused_when_saved(
    sim: RunningSim, workspace, pd_service, status
) -> None:
    sim.control.set_service_status(pd_service.remote_id, status)
    spec = parse_rule(rule_body(pd_service), manage.choices_for(workspace))
    with pytest.raises(RuleInvalid) as caught:
        manage.create_rule(workspace, spec, None)
    assert status in caught.value.errors["targets[0].service"]
    assert db.session.scalars(select(AlertRule)).all() == []


def test_a_read_only_token_user_is_refused_when_the_rule_is_saved(workspace, pd_service, account) -> None:
    account.token_user_role = "read_only_user"
    db.session.commit()
    spec = parse_rule(rule_body(pd_service), manage.choices_for(workspace))
    with pytest.raises(RuleInvalid) as caught:
        manage.create_rule(workspace, spec, None)
    assert "cannot create incidents" in caught.value.errors["targets[0].account"]


class Crash(BaseException):
    """The worker dies: nothing after this point runs, and its open transaction is lost."""


def test_a_worker_dying_between_pagerdutys_answer_and_the_commit_still_makes_one_incident(
    sim: RunningSim, make_rule, push, tick, run_jobs, monkeypatch
) -> None:
    rule = make_rule()
    original = deliver_module._finish

    def die(*args: Any, **kwargs: Any) -> None:
        raise Crash

    monkeypatch.setattr(deliver_module, "_finish", die)
    push(150)
    with pytest.raises(Crash):
        from app.alerts.evaluate import evaluate_all

        result = evaluate_all()
        deliver(result.deliveries[0])
    db.session.rollback()
    assert len(sim.control.created()) == 1  # PagerDuty has it; Vigil never recorded the answer
    [trigger] = deliveries(rule)
    assert trigger.status is DeliveryStatus.SENDING and trigger.pd_incident_id is None
    monkeypatch.setattr(deliver_module, "_finish", original)
    # The lease runs out; the next pass's sweep finds the delivery and sends it again.
    db.session.execute(update(Delivery).values(lease_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    _, abandoned = outbox.stale_deliveries(utcnow())
    assert abandoned == [trigger.id]
    assert requeue_owed(utcnow()) == 1
    run_jobs()
    [trigger] = deliveries(rule)
    assert trigger.status is DeliveryStatus.SENT and trigger.note == "adopted the open incident with this key"
    assert trigger.pd_incident_id == sim.control.created()[0]["id"]
    recover(push, tick)
    assert [(i["incident_key"], i["status"]) for i in sim.control.created()] == [
        (f"vigil/rule/{rule.uid}/episode/1", "resolved")
    ]


def test_a_resolve_waits_for_its_trigger(sim: RunningSim, make_rule, push, tick, monkeypatch) -> None:
    monkeypatch.setattr(deliver_module, "MAX_INLINE_WAIT", 0.0)
    monkeypatch.setattr(deliver_module, "_backoff", lambda attempts: 30.0)
    rule = make_rule()
    sim.control.set_faults(error_rate=1.0, error_status=502, paths=["/incidents"])
    push(150)
    tick()
    sim.control.clear_faults()
    recover(push, tick)  # the resolve is created while the trigger is still retrying
    trigger, resolve = deliveries(rule)
    assert trigger.status is DeliveryStatus.RETRYING
    assert (resolve.status, resolve.note) == (
        DeliveryStatus.QUEUED,
        "waiting for the trigger to be delivered",
    )
    deliver(trigger.id)
    db.session.execute(update(Delivery).where(Delivery.id == resolve.id).values(next_attempt_at=utcnow()))
    db.session.commit()
    deliver(resolve.id)
    trigger, resolve = deliveries(rule)
    assert (trigger.status, resolve.status) == (DeliveryStatus.SENT, DeliveryStatus.SENT)
    assert [i["status"] for i in sim.control.created()] == ["resolved"]


def test_test_alert_opens_a_labelled_incident_and_resolves_it(
    sim: RunningSim, make_rule, run_jobs, pd_service
) -> None:
    rule = make_rule()
    test = manage.send_test(rule, rule.targets[0])
    run_jobs()
    [incident] = sim.control.created()
    assert incident["title"].startswith("[TEST] Vigil test alert")
    assert "This is a TEST incident" in incident["body"]
    assert incident["status"] == "resolved" and incident["service_id"] == pd_service.remote_id
    trigger, resolve = deliveries(rule)
    assert (trigger.id, trigger.action, trigger.status) == (
        test.id,
        DeliveryAction.TEST_TRIGGER,
        DeliveryStatus.SENT,
    )
    assert (resolve.action, resolve.status, resolve.parent_id) == (
        DeliveryAction.TEST_RESOLVE,
        DeliveryStatus.SENT,
        trigger.id,
    )


def test_a_needs_attention_account_fails_deliveries_with_its_reason(
    sim, make_rule, push, tick, account
) -> None:
    rule = make_rule()
    db.session.execute(
        update(PagerDutyAccount).values(
            status=AccountStatus.NEEDS_ATTENTION, status_reason="Token was replaced"
        )
    )
    db.session.commit()
    push(150)
    tick()
    [trigger] = deliveries(rule)
    assert trigger.status is DeliveryStatus.FAILED
    assert "needs attention: Token was replaced" in (trigger.error_message or "")
