"""The exact requests a page makes, asserted at the client seam (no PagerDuty, `responses` only)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import responses
from flask import Flask

from app.alerts import delivery as deliver
from app.alerts import evaluate, outbox
from app.crypto import encrypt
from app.extensions import db
from app.models import AlertRule, AlertState, Delivery, DeliveryStatus, RuleTarget
from tests.factories import make_pd_account, make_workspace

API = "https://api.pagerduty.com"
NOW = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"pagerduty_api_url": API, "base_url": "https://vigil.example/"}


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def rule(app: Flask) -> AlertRule:
    workspace = make_workspace("Acme")
    account = make_pd_account(
        workspace, token_user_email="bot@acme.test", access_token_enc=encrypt("tok-123")
    )
    rule = AlertRule(
        workspace_id=workspace.id,
        uid="0123456789abcdef01234567",
        name="Checkout latency",
        description="Runbook: https://wiki.example/checkout",
        signal="pushed",
        metric="checkout.latency_ms",
        aggregation="max",
        labels={"env": "prod"},
        filters={},
        window_seconds=300,
        operator=">",
        threshold=800,
        for_seconds=120,
        severity="warning",
        state=AlertState.OK,
        state_since=NOW,
    )
    db.session.add(rule)
    db.session.flush()
    db.session.add(
        RuleTarget(
            rule_id=rule.id,
            account_id=account.id,
            service_remote_id="PSVC1",
            service_name="Checkout",
            escalation_policy_remote_id="PEP9",
        )
    )
    db.session.commit()
    db.session.expire_all()
    return rule


def fire(rule: AlertRule, value: float) -> Delivery:
    rule.state, rule.pending_since = AlertState.PENDING, NOW
    db.session.commit()
    result = evaluate.PassResult()
    step = evaluate.states.decide(
        evaluate.rule_state(rule), True, for_seconds=120, no_data="ok", now=NOW.replace(minute=33)
    )
    [delivery] = evaluate.apply_step(rule, step, value, NOW, result)
    db.session.commit()
    return delivery


def test_the_trigger_request(api: responses.RequestsMock, rule: AlertRule) -> None:
    delivery = fire(rule, 912.5)
    api.post(
        f"{API}/incidents",
        json={"incident": {"id": "PINC1", "html_url": "https://acme.pd/incidents/PINC1"}},
        status=201,
    )
    outcome = deliver.attempt(delivery.id)
    assert outcome.status is DeliveryStatus.SENT
    call = api.calls[0]
    assert call.request.headers["From"] == "bot@acme.test"
    assert call.request.headers["Authorization"] == "Token token=tok-123"
    assert call.request.headers["Accept"] == "application/vnd.pagerduty+json;version=2"
    assert json.loads(call.request.body) == {
        "incident": {
            "type": "incident",
            "title": "[warning] Checkout latency: max(checkout.latency_ms{env=prod}) is 912.5 (> 800)",
            "service": {"id": "PSVC1", "type": "service_reference"},
            "urgency": "low",  # warning -> low
            "incident_key": "vigil/rule/0123456789abcdef01234567/episode/1",
            "body": {
                "type": "incident_body",
                "details": (
                    "Rule: Checkout latency\n"
                    "Signal: max(checkout.latency_ms{env=prod})\n"
                    "Value: 912.5 (at 2026-05-04 09:30:00 UTC)\n"
                    "Condition: > 800 over 5 min, for 2 min\n"
                    "Severity: warning\n"
                    f"Rule in Vigil: https://vigil.example/alerts/{rule.id}\n"
                    "\n"
                    "Runbook: https://wiki.example/checkout"
                ),
            },
            "escalation_policy": {"id": "PEP9", "type": "escalation_policy_reference"},
        }
    }
    db.session.refresh(delivery)
    assert (delivery.pd_incident_id, delivery.pd_incident_url) == ("PINC1", "https://acme.pd/incidents/PINC1")


def test_the_resolve_request(api: responses.RequestsMock, rule: AlertRule) -> None:
    trigger = fire(rule, 900)
    api.post(f"{API}/incidents", json={"incident": {"id": "PINC1", "html_url": "u"}}, status=201)
    deliver.attempt(trigger.id)
    resolve_step = evaluate.states.decide(
        evaluate.rule_state(rule), False, for_seconds=0, no_data="ok", now=NOW
    )
    [resolve] = evaluate.apply_step(rule, resolve_step, 120.0, NOW, evaluate.PassResult())
    db.session.commit()
    api.put(f"{API}/incidents/PINC1", json={"incident": {"id": "PINC1", "status": "resolved"}}, status=200)
    assert deliver.attempt(resolve.id).status is DeliveryStatus.SENT
    call = api.calls[1]
    assert call.request.headers["From"] == "bot@acme.test"
    assert json.loads(call.request.body) == {
        "incident": {
            "type": "incident_reference",
            "status": "resolved",
            "resolution": "Resolved by Vigil: the condition cleared (value 120, threshold > 800).",
        }
    }


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("", "[warning] Checkout latency: max(checkout.latency_ms{env=prod}) is 912.5 (> 800)"),
        ("{rule} {value}", "Checkout latency 912.5"),
        ("{rule.__class__} {nope} {{value}}", "{rule.__class__} {nope} {912.5}"),
        ("line\nbreak\x00{value}", "line break 912.5"),
        ("   ", "[warning] Checkout latency: max(checkout.latency_ms{env=prod}) is 912.5 (> 800)"),
        ("x" * 300, "x" * 254 + "…"),
    ],
)
def test_titles_are_safe_and_capped(rule: AlertRule, template: str, expected: str) -> None:
    assert outbox.render_title(template, rule, 912.5) == expected


def test_incident_keys_are_stable_per_episode(rule: AlertRule) -> None:
    assert outbox.incident_key(rule, 3) == outbox.incident_key(rule, 3) != outbox.incident_key(rule, 4)
    assert len(outbox.incident_key(rule, 10**9)) <= 255


def test_backoff_grows_with_attempts_and_is_capped() -> None:
    assert all(1.0 <= deliver._backoff(1) <= 2.0 for _ in range(50))
    assert all(16.0 <= deliver._backoff(5) <= 32.0 for _ in range(50))
    assert all(150.0 <= deliver._backoff(40) <= 300.0 for _ in range(50))
