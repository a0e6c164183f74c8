"""Changing a firing rule: services removed get their incident resolved, services added are paged."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.alerts import manage
from app.alerts.rules import RuleInvalid, parse_rule
from app.extensions import db
from app.models import PDService
from tests.alerts.conftest import TOKEN, rule_body


def test_moving_a_firing_rule_to_another_service(
    sim, workspace, pd_service, make_rule, push, tick, run_jobs
) -> None:
    other = db.session.scalars(
        select(PDService).where(
            PDService.account_id == pd_service.account_id,
            PDService.status == "active",
            PDService.id != pd_service.id,
        )
    ).first()
    assert other is not None
    rule = make_rule()
    push(150)
    tick()
    body = rule_body(pd_service, targets=[{"account": other.account_id, "service": other.remote_id}])
    manage.update_rule(rule, parse_rule(body, manage.choices_for(workspace)))
    run_jobs()
    tick()
    pages = {(i["service_id"], i["status"]) for i in sim.control.created()}
    assert pages == {(pd_service.remote_id, "resolved"), (other.remote_id, "triggered")}
    assert {i["incident_key"] for i in sim.control.created()} == {f"vigil/rule/{rule.uid}/episode/1"}


def test_a_target_can_page_through_another_escalation_policy(sim, workspace, pd_service, push, tick) -> None:
    policies = sim.rest(TOKEN).get("/escalation_policies").json()["escalation_policies"]
    policy = next(p for p in policies if p["id"] != pd_service.escalation_policy_remote_id)
    target = {
        "account": pd_service.account_id,
        "service": pd_service.remote_id,
        "escalation_policy": policy["id"],
    }
    rule = manage.create_rule(
        workspace, parse_rule(rule_body(pd_service, targets=[target]), manage.choices_for(workspace)), None
    )
    assert (rule.targets[0].escalation_policy_remote_id, rule.targets[0].escalation_policy_name) == (
        policy["id"],
        policy["name"],
    )
    push(150)
    tick()
    [created] = sim.control.created()
    incident = sim.rest(TOKEN).get(f"/incidents/{created['id']}").json()["incident"]
    assert incident["escalation_policy"]["id"] == policy["id"]


def test_an_unknown_escalation_policy_is_refused_when_saved(sim, workspace, pd_service) -> None:
    target = {
        "account": pd_service.account_id,
        "service": pd_service.remote_id,
        "escalation_policy": "PNOPE42",
    }
    spec = parse_rule(rule_body(pd_service, targets=[target]), manage.choices_for(workspace))
    with pytest.raises(RuleInvalid) as caught:
        manage.create_rule(workspace, spec, None)
    assert caught.value.errors == {
        "targets[0].escalation_policy": "PagerDuty has no escalation policy PNOPE42 on this account."
    }
