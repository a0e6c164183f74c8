"""The rules table, a rule's page, switches and deleting, for each role; scoped to the workspace."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import (
    AccountStatus,
    AlertState,
    AlertTransition,
    Delivery,
    DeliveryAction,
    DeliveryStatus,
    PagerDutyAccount,
    PDService,
)
from pdsim.testing import RunningSim
from tests.alerts.ui_helpers import link_pdsim
from tests.factories import Personas


@pytest.fixture
def account(personas: Personas, sim: RunningSim) -> PagerDutyAccount:
    return link_pdsim(personas.workspace, sim)


def text_of(client: FlaskClient, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def test_it_explains_rules_when_there_are_none(login_as, personas: Personas, account) -> None:
    admin_page = text_of(login_as(personas.admin.email), "/alerts")
    assert "No alert rules yet" in admin_page
    assert "pages a PagerDuty service when it crosses a threshold" in admin_page
    assert 'href="/alerts/new"' in admin_page


def test_it_tells_members_who_creates_rules(login_as, personas: Personas, account) -> None:
    page = text_of(login_as(personas.member.email), "/alerts")
    assert "No alert rules yet" in page
    assert 'href="/alerts/new"' not in page
    assert "Admins and owners create rules." in page


def test_it_lists_rules_with_condition_state_value_targets_and_last_delivery(
    login_as, personas: Personas, pd_service: PDService, make_rule, push, tick
) -> None:
    rule = make_rule(for_seconds=120)
    quiet = make_rule(name="Heartbeat", metric="worker.beat", no_data="alert", muted=True, enabled=False)
    push(150)
    tick()  # pending (for 2 min): evaluated, nothing sent
    page = text_of(login_as(personas.member.email), "/alerts")
    assert f'href="/alerts/{rule.id}"' in page and f'href="/alerts/{quiet.id}"' in page
    assert "avg(queue.depth) &gt; 100 over 5 min, for 2 min; no data counts as OK" in page
    assert "avg(worker.beat) &gt; 100 over 5 min; no data fires" in page
    assert '<span class="badge warn">Pending</span>' in page
    assert "150" in page and pd_service.name in page
    assert "disabled" in page and "muted" in page
    assert "none yet" in page  # no delivery for either rule


def test_it_shows_the_last_delivery_and_a_banner_for_recent_failures(
    login_as, personas: Personas, make_rule, push, tick, sim: RunningSim
) -> None:
    rule = make_rule()
    sim.control.revoke_token("alerts-test-token")
    push(150)
    tick()
    [trigger] = db.session.scalars(select(Delivery).where(Delivery.rule_id == rule.id)).all()
    assert trigger.status is DeliveryStatus.FAILED
    page = text_of(login_as(personas.member.email), "/alerts")
    assert "1 delivery to PagerDuty failed in the last 24 hours." in page
    assert 'href="/alerts/deliveries?status=failed"' in page
    assert "Trigger" in page and '<span class="badge bad">failed</span> HTTP 401' in page
    # The 401 marked the account: the banner names it and says why.
    assert "PagerDuty account acme needs attention" in page
    assert "PagerDuty no longer accepts this API token" in page


def test_it_shows_a_rule_with_its_history(
    login_as, personas: Personas, make_rule, push, tick, sim: RunningSim
) -> None:
    rule = make_rule()
    push(150)
    tick()
    [incident] = sim.control.created()
    page = text_of(login_as(personas.member.email), f"/alerts/{rule.id}")
    assert '<span class="badge bad">Firing</span>' in page
    assert "avg(queue.depth) &gt; 100 over 5 min" in page
    assert "Send test alert" not in page and "Edit" not in page  # members read only
    assert "<td>ok</td><td>firing</td>\n          <td>150</td>" in page
    assert f">{incident['id']}</a>" in page  # the delivery links its PagerDuty incident
    assert "<td>201</td>" in page


def test_it_shows_times_in_the_workspace_zone(login_as, personas: Personas, make_rule, push, tick) -> None:
    personas.workspace.timezone = "America/New_York"
    db.session.commit()
    rule = make_rule()
    push(150)
    tick()
    at = db.session.scalars(select(AlertTransition.at).where(AlertTransition.rule_id == rule.id)).one()
    sent = db.session.scalars(select(Delivery.created_at).where(Delivery.rule_id == rule.id)).first()
    assert sent is not None
    zone = ZoneInfo("America/New_York")
    client = login_as(personas.member.email)
    for path, instant in ((f"/alerts/{rule.id}", at), ("/alerts", sent)):
        page = text_of(client, path)
        local = instant.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
        assert f'<span class="nowrap">{local}</span>' in page, path  # no zone after each time
        assert "UTC" not in page, path
        assert page.count("America/New_York") == 1, path  # named once, in the footer


def test_it_shows_the_last_evaluation_error(login_as, personas: Personas, make_rule) -> None:
    rule = make_rule()
    rule.last_error = "Cannot compute mttr: OperationalError: boom"
    db.session.commit()
    page = text_of(login_as(personas.member.email), f"/alerts/{rule.id}")
    assert "Last evaluation failed: Cannot compute mttr: OperationalError: boom" in page


def test_members_cannot_change_rules(login_as, personas: Personas, make_rule) -> None:
    rule = make_rule()
    client = login_as(personas.member.email)
    for path in ("/alerts/new", f"/alerts/{rule.id}/edit", f"/alerts/{rule.id}/delete"):
        assert client.get(path).status_code == 403, path
    for path in (
        "/alerts/new",
        f"/alerts/{rule.id}/switch/mute",
        f"/alerts/{rule.id}/delete",
        f"/alerts/{rule.id}/targets/{rule.targets[0].id}/test",
    ):
        assert client.post(path, data={"name": "x"}).status_code == 403, path
    db.session.expire_all()
    assert (rule.muted, rule.deleted_at) == (False, None)
    assert db.session.scalar(select(Delivery.id)) is None


def test_another_workspaces_rule_is_a_404(login_as, personas: Personas, make_rule) -> None:
    rule = make_rule()
    client = login_as(personas.outsider.email)  # owner of Globex
    for path in (f"/alerts/{rule.id}", f"/alerts/{rule.id}/edit", f"/alerts/{rule.id}/delete"):
        assert client.get(path).status_code == 404, path
    for path in (
        f"/alerts/{rule.id}/switch/disable",
        f"/alerts/{rule.id}/delete",
        f"/alerts/{rule.id}/edit",
        f"/alerts/{rule.id}/targets/{rule.targets[0].id}/test",
    ):
        assert client.post(path).status_code == 404, path
    assert "Queue too deep" not in text_of(client, "/alerts")
    db.session.expire_all()
    assert (rule.enabled, rule.deleted_at) == (True, None)


def test_admins_mute_unmute_disable_and_enable(login_as, personas: Personas, make_rule) -> None:
    rule = make_rule()
    client = login_as(personas.admin.email)
    response = client.post(f"/alerts/{rule.id}/switch/mute", follow_redirects=True)
    assert "Rule muted: it pages nothing new, but still resolves what it opened." in response.text
    db.session.expire_all()
    assert rule.muted is True
    client.post(f"/alerts/{rule.id}/switch/unmute")
    client.post(f"/alerts/{rule.id}/switch/disable")
    db.session.expire_all()
    assert (rule.muted, rule.enabled) == (False, False)
    page = text_of(client, f"/alerts/{rule.id}")
    assert "disabled (not evaluated)" in page and ">Enable</button>" in page
    client.post(f"/alerts/{rule.id}/switch/enable")
    db.session.expire_all()
    assert rule.enabled is True
    assert client.post(f"/alerts/{rule.id}/switch/explode").status_code == 404


def test_disabling_a_firing_rule_resolves_its_incident(
    login_as, personas: Personas, make_rule, push, tick, run_jobs, sim: RunningSim
) -> None:
    rule = make_rule()
    push(150)
    tick()
    response = login_as(personas.owner.email).post(f"/alerts/{rule.id}/switch/disable", follow_redirects=True)
    assert "Rule disabled: its open PagerDuty incidents are being resolved." in response.text
    run_jobs()
    [incident] = sim.control.created()
    assert incident["status"] == "resolved"


def test_deleting_a_firing_rule_warns_then_resolves_its_incident(
    login_as, personas: Personas, make_rule, push, tick, run_jobs, sim: RunningSim
) -> None:
    rule = make_rule()
    push(150)
    tick()
    db.session.expire_all()
    assert rule.state is AlertState.FIRING
    client = login_as(personas.admin.email)
    confirm = text_of(client, f"/alerts/{rule.id}/delete")
    assert "This rule is firing. Deleting it resolves the PagerDuty incidents it opened" in confirm
    response = client.post(f"/alerts/{rule.id}/delete")
    assert response.status_code == 302 and response.headers["Location"] == "/alerts"
    run_jobs()
    [incident] = sim.control.created()
    assert incident["status"] == "resolved"
    db.session.expire_all()
    assert rule.deleted_at is not None
    resolve = db.session.scalars(
        select(Delivery).where(Delivery.rule_id == rule.id, Delivery.action == DeliveryAction.RESOLVE)
    ).one()
    assert resolve.status is DeliveryStatus.SENT
    assert text_of(client, f"/alerts/{rule.id}", 404)
    assert "Queue too deep" not in text_of(client, "/alerts")


def test_a_rule_paging_through_an_unlinked_account_gets_a_banner(
    login_as, personas: Personas, make_rule, account: PagerDutyAccount
) -> None:
    make_rule()
    account.status, account.status_reason = AccountStatus.UNLINKED, None
    db.session.commit()
    page = text_of(login_as(personas.member.email), "/alerts")
    assert "PagerDuty account acme is unlinked" in page
    assert f'href="/integrations/pagerduty/{account.id}"' in page
