"""The "Send test alert" button end to end against pdsim: an incident created then resolved, steps inline."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.alerts.delivery import attempt
from app.extensions import db
from app.models import AccountStatus, AlertRule, Delivery, DeliveryAction, DeliveryStatus, PagerDutyAccount
from pdsim.testing import RunningSim
from tests.alerts.conftest import TOKEN
from tests.alerts.ui_helpers import link_pdsim
from tests.factories import Personas

HX = {"HX-Request": "true"}


@pytest.fixture
def account(personas: Personas, sim: RunningSim) -> PagerDutyAccount:
    return link_pdsim(personas.workspace, sim)


@pytest.fixture
def admin(login_as, personas: Personas, account: PagerDutyAccount) -> FlaskClient:
    return login_as(personas.admin.email)


def send(client: FlaskClient, rule: AlertRule, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return client.post(
        f"/alerts/{rule.id}/targets/{rule.targets[0].id}/test", headers=HX if headers is None else headers
    )


def the_test(rule: AlertRule) -> Delivery:
    db.session.expire_all()
    return db.session.scalars(
        select(Delivery).where(Delivery.rule_id == rule.id, Delivery.action == DeliveryAction.TEST_TRIGGER)
    ).one()


def steps(client: FlaskClient, rule: AlertRule, trigger: Delivery) -> str:
    response = client.get(f"/alerts/{rule.id}/tests/{trigger.id}", headers=HX)
    assert response.status_code == 200
    return response.text


def test_it_creates_then_resolves_a_test_incident_and_shows_each_step(
    admin: FlaskClient, make_rule, sim: RunningSim
) -> None:
    rule = make_rule()
    response = send(admin, rule)
    assert response.status_code == 202
    assert 'hx-trigger="every 1s"' in response.text
    assert '<li class="step step-wait">Creating test incident…' in response.text
    trigger = the_test(rule)

    follow_up = attempt(trigger.id).follow_up  # the worker's first job: the trigger alone
    [incident] = sim.control.created()
    assert incident["title"] == "[TEST] Vigil test alert for rule Queue too deep — no action needed"
    assert (incident["service_id"], incident["status"], incident["urgency"]) == (
        rule.targets[0].service_remote_id,
        "triggered",
        "low",
    )
    assert incident["from"] == sim.admin_email
    middle = steps(admin, rule, trigger)
    assert f">#{incident['id']}</a>" in middle and "Creating test incident… ✓ created" in middle
    assert '<li class="step step-wait">Resolving…' in middle
    assert 'hx-trigger="every 1s"' in middle  # the resolve is still to come

    assert follow_up is not None
    attempt(follow_up)
    [incident] = sim.control.created()
    assert incident["status"] == "resolved"
    done = steps(admin, rule, trigger)
    assert "Resolving… ✓ resolved" in done
    assert "Both steps succeeded: Vigil can page this service." in done
    assert "hx-trigger" not in done  # final: the partial stops polling
    # ...and refreshes the rule's deliveries table out of band, both steps in it.
    assert '<section class="panel" id="rule-deliveries" hx-swap-oob="true">' in done
    assert "Test trigger" in done and "Test resolve" in done
    assert "rule-deliveries" not in middle


def test_the_worker_runs_both_steps(admin: FlaskClient, make_rule, run_jobs, sim: RunningSim) -> None:
    rule = make_rule()
    send(admin, rule)
    run_jobs()
    [incident] = sim.control.created()
    assert incident["status"] == "resolved"
    trigger = the_test(rule)
    resolve = db.session.scalars(select(Delivery).where(Delivery.parent_id == trigger.id)).one()
    assert (trigger.status, resolve.status, resolve.action) == (
        DeliveryStatus.SENT,
        DeliveryStatus.SENT,
        DeliveryAction.TEST_RESOLVE,
    )
    assert "Resolving… ✓ resolved" in steps(admin, rule, trigger)
    # Both steps are in the rule's deliveries history too.
    page = admin.get(f"/alerts/{rule.id}").text
    assert "Test trigger" in page and "Test resolve" in page


def test_it_shows_a_refused_test_with_http_status_and_pagerduty_message(
    admin: FlaskClient, make_rule, run_jobs, sim: RunningSim
) -> None:
    rule = make_rule()
    sim.control.revoke_token(TOKEN)
    send(admin, rule)
    run_jobs()
    trigger = the_test(rule)
    assert trigger.status is DeliveryStatus.FAILED
    page = steps(admin, rule, trigger)
    assert "Creating test incident… ✗ failed: HTTP 401" in page
    assert trigger.error_message and trigger.error_message[:40] in page
    assert "Resolving" not in page and "hx-trigger" not in page
    assert sim.control.created() == []


def test_it_shows_retries_while_pagerduty_errors(admin: FlaskClient, make_rule, sim: RunningSim) -> None:
    rule = make_rule()
    send(admin, rule)
    sim.control.set_faults(error_rate=1.0, error_status=503)
    outcome = attempt(the_test(rule).id)
    assert outcome.retry_in is not None
    trigger = the_test(rule)
    page = steps(admin, rule, trigger)
    assert trigger.status is DeliveryStatus.RETRYING
    assert f"Creating test incident… retrying after attempt {trigger.attempts} (HTTP 503" in page
    assert 'hx-trigger="every 1s"' in page


def test_it_refuses_to_test_through_an_account_that_needs_attention(
    admin: FlaskClient, make_rule, account: PagerDutyAccount
) -> None:
    rule = make_rule()
    account.status, account.status_reason = AccountStatus.NEEDS_ATTENTION, "token revoked"
    db.session.commit()
    response = send(admin, rule)
    assert response.status_code == 409
    assert "✗ Not sent: This PagerDuty account needs attention: token revoked." in response.text
    plain = send(admin, rule, headers={})
    assert plain.status_code == 302
    page = admin.get(plain.headers["Location"]).text
    assert "Test alert not sent: This PagerDuty account needs attention: token revoked." in page
    assert db.session.scalar(select(Delivery.id)) is None


def test_without_javascript_it_lands_on_the_rule_page_with_the_steps(
    admin: FlaskClient, make_rule, run_jobs
) -> None:
    rule = make_rule()
    response = send(admin, rule, headers={})
    trigger = the_test(rule)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/alerts/{rule.id}?test={trigger.id}#targets"
    run_jobs()
    db.session.expire_all()  # the test client shares this session: forget what it saw before the worker ran
    page = admin.get(f"/alerts/{rule.id}?test={trigger.id}").text
    assert "Creating test incident… ✓ created" in page and "Resolving… ✓ resolved" in page


def test_another_rules_test_is_not_shown(admin: FlaskClient, make_rule) -> None:
    rule = make_rule()
    other = make_rule(name="Other")
    send(admin, rule)
    trigger = the_test(rule)
    assert admin.get(f"/alerts/{other.id}/tests/{trigger.id}").status_code == 404


def test_the_steps_address_opened_as_a_page_shows_the_rules_page(admin: FlaskClient, make_rule) -> None:
    rule = make_rule()
    send(admin, rule)
    trigger = the_test(rule)
    response = admin.get(f"/alerts/{rule.id}/tests/{trigger.id}")  # no HX-Request: a link, a reload
    assert response.status_code == 302
    assert response.headers["Location"] == f"/alerts/{rule.id}?test={trigger.id}"


def test_it_says_when_the_test_was_sent_in_the_workspace_zone_without_naming_it(
    admin: FlaskClient, personas: Personas, make_rule
) -> None:
    personas.workspace.timezone = "America/New_York"
    db.session.commit()
    rule = make_rule()
    assert send(admin, rule).status_code == 202
    trigger = the_test(rule)
    local = trigger.created_at.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M:%S")

    partial = steps(admin, rule, trigger)

    assert f", sent {local}</p>" in partial  # the page around the partial names the zone, once
    assert "America/New_York" not in partial and "UTC" not in partial
