"""Vigil's own test alerts, synced back from PagerDuty, never count in the metrics unless a person says so."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select, update

from app.alerts.delivery import attempt
from app.analytics.exclusion import include_incident
from app.extensions import db
from app.integrations.pagerduty.sync import runner
from app.models import AlertRule, Delivery, DeliveryAction, Incident, PagerDutyAccount, PDService
from app.models.alerts import TEST_ALERT_EXCLUSION_REASON
from pdsim.testing import RunningSim
from tests.alerts.ui_helpers import link_pdsim
from tests.factories import Personas


@pytest.fixture
def account(personas: Personas, sim: RunningSim) -> PagerDutyAccount:
    return link_pdsim(personas.workspace, sim)


def _send_test_alert(client: FlaskClient, rule: AlertRule) -> str:
    target = rule.targets[0]
    assert client.post(f"/alerts/{rule.id}/targets/{target.id}/test").status_code in {200, 202, 302}
    trigger = db.session.scalars(
        select(Delivery).where(Delivery.rule_id == rule.id, Delivery.action == DeliveryAction.TEST_TRIGGER)
    ).one()
    follow_up = attempt(trigger.id).follow_up
    assert follow_up is not None
    attempt(follow_up)
    db.session.expire_all()
    assert trigger.pd_incident_id is not None
    return trigger.pd_incident_id


def _sync(account: PagerDutyAccount, service_remote_id: str) -> None:
    db.session.execute(
        update(PDService)
        .where(PDService.account_id == account.id, PDService.remote_id == service_remote_id)
        .values(selected=True)
    )
    db.session.commit()
    assert runner.run(account.id) == "succeeded"
    db.session.expire_all()


def test_it_excludes_a_synced_test_alert_and_leaves_it_to_a_person_to_include(
    login_as, personas: Personas, account: PagerDutyAccount, make_rule, sim: RunningSim
) -> None:
    admin = login_as(personas.admin.email)
    rule = make_rule()
    remote_id = _send_test_alert(admin, rule)
    service = rule.targets[0].service_remote_id

    _sync(account, service)
    incident = db.session.scalars(select(Incident).where(Incident.remote_id == remote_id)).one()
    assert incident.excluded and incident.excluded_reason == TEST_ALERT_EXCLUSION_REASON
    others = db.session.scalars(select(Incident).where(Incident.remote_id != remote_id)).all()
    assert others and not any(other.excluded for other in others)
    # Shown as any exclusion is, on the incident's page.
    page = admin.get(f"/incidents/{incident.id}")
    assert page.status_code == 200 and TEST_ALERT_EXCLUSION_REASON in page.text

    include_incident(incident)
    db.session.commit()
    _sync(account, service)
    assert not db.session.get(Incident, incident.id).excluded  # type: ignore[union-attr]
