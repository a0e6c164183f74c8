"""The delivery log: failures first, then retries, then the rest (newest first); filtered and paged."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.alerts import manage, queries
from app.extensions import db
from app.models import AlertRule, Delivery, DeliveryAction, DeliveryStatus, PagerDutyAccount
from app.models.types import utcnow
from pdsim.testing import RunningSim
from tests.alerts.ui_helpers import link_pdsim
from tests.factories import Personas


@pytest.fixture
def account(personas: Personas, sim: RunningSim) -> PagerDutyAccount:
    return link_pdsim(personas.workspace, sim)


def delivery(rule: AlertRule, status: DeliveryStatus, minutes_ago: int, **fields: object) -> Delivery:
    target = rule.targets[0]
    row = Delivery(
        workspace_id=rule.workspace_id,
        rule_id=rule.id,
        target_id=target.id,
        account_id=target.account_id,
        action=DeliveryAction.TRIGGER,
        incident_key=f"vigil/test/{status.value}/{minutes_ago}",
        service_remote_id=target.service_remote_id,
        service_name=target.service_name,
        status=status,
        created_at=utcnow() - timedelta(minutes=minutes_ago),
        note=f"row {status.value} {minutes_ago}",
        **fields,
    )
    db.session.add(row)
    db.session.commit()
    return row


def notes(page: str) -> list[str]:
    return re.findall(r"row (\w+ \d+)", page)


def test_it_lists_failures_then_retries_then_the_rest_newest_first(
    login_as, personas: Personas, make_rule
) -> None:
    rule = make_rule()
    delivery(rule, DeliveryStatus.SENT, 1, http_status=201, pd_incident_id="PABC123", duration_ms=84)
    delivery(rule, DeliveryStatus.FAILED, 50, http_status=400, error_code=2001, error_message="Invalid Input")
    delivery(rule, DeliveryStatus.RETRYING, 5, http_status=503, attempts=3)
    delivery(rule, DeliveryStatus.FAILED, 10, http_status=401, error_message="Unauthorized")
    delivery(rule, DeliveryStatus.QUEUED, 2)
    page = login_as(personas.member.email).get("/alerts/deliveries").text
    assert notes(page) == ["failed 10", "failed 50", "retrying 5", "sent 1", "queued 2"]
    assert "code 2001</span>: Invalid Input" in page
    assert "<td>84 ms</td>" in page.replace('<td class="nowrap">', "<td>") and "<td>PABC123</td>" in page
    assert f'<a href="/alerts/{rule.id}"><bdi class="ut">Queue too deep</bdi></a>' in page
    assert "5 deliveries · page 1 of 1" in page


def test_it_filters_by_status(login_as, personas: Personas, make_rule) -> None:
    rule = make_rule()
    delivery(rule, DeliveryStatus.SENT, 1)
    delivery(rule, DeliveryStatus.FAILED, 2)
    client = login_as(personas.member.email)
    page = client.get("/alerts/deliveries?status=sent").text
    assert notes(page) == ["sent 1"]
    assert '<option value="sent" selected>' in page
    partial = client.get("/alerts/deliveries?status=failed", headers={"HX-Request": "true"}).text
    assert partial.lstrip().startswith('<div id="delivery-log">') and notes(partial) == ["failed 2"]
    assert notes(client.get("/alerts/deliveries?status=bogus").text) == ["failed 2", "sent 1"]
    assert "No skipped deliveries." in client.get("/alerts/deliveries?status=skipped").text


def test_it_pages_the_log(login_as, personas: Personas, make_rule) -> None:
    rule = make_rule()
    for minutes in range(1, queries.LOG_PER_PAGE + 1):
        delivery(rule, DeliveryStatus.SENT, minutes)
    delivery(rule, DeliveryStatus.FAILED, 999)
    client = login_as(personas.member.email)
    first = notes(client.get("/alerts/deliveries").text)
    assert len(first) == queries.LOG_PER_PAGE
    assert first[:2] == ["failed 999", "sent 1"]
    second = client.get("/alerts/deliveries?page=2").text
    assert notes(second) == [f"sent {queries.LOG_PER_PAGE}"]
    assert f"{queries.LOG_PER_PAGE + 1} deliveries · page 2 of 2" in second
    assert 'href="/alerts/deliveries?page=1">← Previous' in second
    assert notes(client.get("/alerts/deliveries?page=99").text) == notes(second)


def test_it_shows_a_deleted_rules_deliveries_as_such(login_as, personas: Personas, make_rule) -> None:
    rule = make_rule()
    delivery(rule, DeliveryStatus.SENT, 1)
    manage.delete_rule(rule)
    page = login_as(personas.member.email).get("/alerts/deliveries").text
    name = '<bdi class="ut">Queue too deep</bdi>'
    deleted = f'<span class="muted">{name}</span> <span class="badge">deleted</span>'
    assert deleted in page
    assert f'href="/alerts/{rule.id}"' not in page


def test_it_shows_only_this_workspaces_deliveries(
    login_as, personas: Personas, make_rule, sim: RunningSim
) -> None:
    rule = make_rule()
    delivery(rule, DeliveryStatus.FAILED, 1)
    page = login_as(personas.outsider.email).get("/alerts/deliveries").text
    assert notes(page) == [] and "Nothing has been sent to PagerDuty yet." in page
    assert "failed in the last 24 hours" not in login_as(personas.outsider.email).get("/alerts").text


def test_the_account_page_says_when_pages_through_it_failed(
    login_as, personas: Personas, make_rule, account
) -> None:
    rule = make_rule()
    client = login_as(personas.member.email)
    page = client.get(f"/integrations/pagerduty/{account.id}").get_data(as_text=True)
    assert "alert-failures" not in page
    delivery(rule, DeliveryStatus.FAILED, 5, http_status=400, error_message="Service is disabled")
    delivery(rule, DeliveryStatus.FAILED, 60 * 25)  # older than a day: not counted
    db.session.commit()
    page = client.get(f"/integrations/pagerduty/{account.id}").get_data(as_text=True)
    assert "1 alert page through this account failed in the last 24 hours." in page
    assert "/alerts/deliveries?status=failed" in page
