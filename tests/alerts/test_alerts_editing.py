"""Changing a firing rule: services removed get their incident resolved, services added are paged."""

from __future__ import annotations

from sqlalchemy import select

from app.alerts import service
from app.alerts.rules import parse_rule
from app.extensions import db
from app.models import PDService
from tests.alerts.conftest import rule_body


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
    service.update_rule(rule, parse_rule(body, service.choices_for(workspace)))
    run_jobs()
    tick()
    pages = {(i["service_id"], i["status"]) for i in sim.control.created()}
    assert pages == {(pd_service.remote_id, "resolved"), (other.remote_id, "triggered")}
    assert {i["incident_key"] for i in sim.control.created()} == {f"vigil/rule/{rule.uid}/episode/1"}
