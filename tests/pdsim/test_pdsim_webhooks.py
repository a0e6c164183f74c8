"""Webhook subscriptions and v3 deliveries (API-NOTES §6)."""

from __future__ import annotations

import json
from typing import Any

from pdsim.testing import RestSession, RunningSim
from pdsim.webhooks.payload import verify

EVENTS = [
    "incident.triggered",
    "incident.acknowledged",
    "incident.unacknowledged",
    "incident.escalated",
    "incident.reassigned",
    "incident.resolved",
    "incident.reopened",
]


def _subscribe(api: RestSession, url: str, flt: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    body = {
        "webhook_subscription": {
            "type": "webhook_subscription",
            "description": "Vigil",
            "delivery_method": {
                "type": "http_delivery_method",
                "url": url,
                "custom_headers": [{"name": "X-Vigil-Workspace", "value": "ws-1"}],
            },
            "events": EVENTS,
            "filter": flt or {"type": "account_reference"},
            **extra,
        }
    }
    resp = api.post("/webhook_subscriptions", json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()["webhook_subscription"]


def _open_incident(sim: RunningSim) -> str:
    service = next(s["id"] for s in sim.store.services() if s["status"] == "active")
    return sim.control.trigger_incident(service, "Queue backlog at 5000 messages")["id"]


def test_it_returns_the_secret_only_on_create(fresh: RunningSim, api: RestSession, receiver: Any) -> None:
    sub = _subscribe(api, receiver.url)
    assert sub["delivery_method"]["secret"] and sub["type"] == "webhook_subscription"
    shown = api.get(f"/webhook_subscriptions/{sub['id']}").json()["webhook_subscription"]
    assert shown["delivery_method"]["secret"] is None
    assert shown["delivery_method"]["custom_headers"] == [
        {"name": "X-Vigil-Workspace", "value": "-- redacted --"}
    ]
    listed = api.get("/webhook_subscriptions").json()
    assert [s["id"] for s in listed["webhook_subscriptions"]] == [sub["id"]] and listed["more"] is False
    assert listed["webhook_subscriptions"][0]["delivery_method"]["secret"] is None


def test_it_deletes_a_subscription(fresh: RunningSim, api: RestSession, receiver: Any) -> None:
    sub = _subscribe(api, receiver.url)
    assert api.delete(f"/webhook_subscriptions/{sub['id']}").status_code == 204
    assert api.get(f"/webhook_subscriptions/{sub['id']}").status_code == 404


def test_it_pings_with_pagey(fresh: RunningSim, api: RestSession, receiver: Any) -> None:
    sub = _subscribe(api, receiver.url)
    assert api.post(f"/webhook_subscriptions/{sub['id']}/ping").status_code == 202
    fresh.control.wait_webhooks()
    event = receiver.bodies()[0]["event"]
    assert event["event_type"] == "pagey.ping"
    assert verify(
        receiver.received[0]["body"],
        receiver.received[0]["headers"]["X-Pagerduty-Signature"],
        sub["delivery_method"]["secret"],
    )


def test_it_delivers_one_signed_event_per_incident_change(
    fresh: RunningSim, api: RestSession, receiver: Any
) -> None:
    sub = _subscribe(api, receiver.url)
    secret = sub["delivery_method"]["secret"]
    incident = _open_incident(fresh)
    ctl = fresh.control
    ctl.incident_action(incident, "acknowledge")
    ctl.incident_action(incident, "unacknowledge")
    ctl.incident_action(incident, "escalate")
    ctl.incident_action(incident, "reassign", user_ids=[fresh.store.users()[7]["id"]])
    ctl.incident_action(incident, "resolve")
    ctl.incident_action(incident, "reopen")
    ctl.wait_webhooks()
    got = [b["event"]["event_type"] for b in receiver.bodies()]
    assert got == [
        "incident.triggered",
        "incident.acknowledged",
        "incident.unacknowledged",
        "incident.escalated",
        "incident.reassigned",
        "incident.resolved",
        "incident.reopened",
    ]
    for request in receiver.received:
        headers = request["headers"]
        assert verify(request["body"], headers["X-Pagerduty-Signature"], secret)
        assert headers["X-Pagerduty-Signature"].count("v1=") == 1
        assert headers["Content-Type"] == "application/json"
        assert headers["User-Agent"] == "PagerDuty-Webhook/V3.0"
        assert headers["X-Webhook-Subscription"] == sub["id"] and headers["X-Webhook-Id"]
        assert headers["X-Vigil-Workspace"] == "ws-1"
    event = receiver.bodies()[1]["event"]
    assert event["resource_type"] == "incident" and event["agent"]["type"] == "user_reference"
    assert len(event["occurred_at"]) == len("2026-11-01T00:00:00.000Z")
    data = event["data"]
    assert data["id"] == incident and data["type"] == "incident" and data["number"] > 0
    assert data["status"] == "acknowledged" and "acknowledgements" not in data and "resolved_at" not in data
    assert {"title", "service", "assignees", "escalation_policy", "teams", "priority", "urgency"} <= set(data)


def test_it_delivers_changes_made_through_the_rest_api(
    fresh: RunningSim, api: RestSession, receiver: Any
) -> None:
    _subscribe(api, receiver.url)
    incident = _open_incident(fresh)
    api.put(f"/incidents/{incident}", json={"incident": {"type": "incident_reference", "status": "resolved"}})
    fresh.control.wait_webhooks()
    resolved = receiver.bodies()[-1]["event"]
    assert resolved["event_type"] == "incident.resolved" and resolved["data"]["status"] == "resolved"


def test_it_signs_with_both_secrets_during_a_rotation(
    fresh: RunningSim, api: RestSession, receiver: Any
) -> None:
    sub = _subscribe(api, receiver.url)
    old = sub["delivery_method"]["secret"]
    new = fresh.control.rotate_webhook_secret(sub["id"])["secret"]
    _open_incident(fresh)
    fresh.control.wait_webhooks()
    header = receiver.received[-1]["headers"]["X-Pagerduty-Signature"]
    assert header.count("v1=") == 2
    assert verify(receiver.received[-1]["body"], header, old) and verify(
        receiver.received[-1]["body"], header, new
    )
    fresh.control.finish_webhook_rotation(sub["id"])
    _open_incident(fresh)
    fresh.control.wait_webhooks()
    header = receiver.received[-1]["headers"]["X-Pagerduty-Signature"]
    assert header.count("v1=") == 1 and not verify(receiver.received[-1]["body"], header, old)


def test_it_retries_with_the_same_webhook_id(fresh: RunningSim, api: RestSession, receiver: Any) -> None:
    _subscribe(api, receiver.url)
    receiver.respond_with(500, 429)
    _open_incident(fresh)
    deliveries = fresh.control.wait_webhooks()
    assert len(receiver.received) == 3
    ids = {r["headers"]["X-Webhook-Id"] for r in receiver.received}
    assert len(ids) == 1
    assert deliveries[-1]["state"] == "delivered" and [a["status"] for a in deliveries[-1]["attempts"]] == [
        500,
        429,
        200,
    ]


def test_it_drops_without_retrying_on_other_client_errors(
    fresh: RunningSim, api: RestSession, receiver: Any
) -> None:
    _subscribe(api, receiver.url)
    receiver.respond_with(410)
    _open_incident(fresh)
    deliveries = fresh.control.wait_webhooks()
    assert len(receiver.received) == 1 and deliveries[-1]["state"] == "dropped"


def test_it_disables_a_subscription_after_three_dropped_events(
    fresh: RunningSim, api: RestSession, receiver: Any
) -> None:
    sub = _subscribe(api, receiver.url)
    receiver.respond_with(*[503] * 12)
    for _ in range(3):
        _open_incident(fresh)
        fresh.control.wait_webhooks()
    shown = api.get(f"/webhook_subscriptions/{sub['id']}").json()["webhook_subscription"]
    assert shown["delivery_method"]["temporarily_disabled"] is True
    count = len(receiver.received)
    assert count == 12, "three events, each tried four times"
    _open_incident(fresh)
    fresh.control.wait_webhooks()
    assert len(receiver.received) == count, "a disabled subscription gets nothing"
    assert api.post(f"/webhook_subscriptions/{sub['id']}/enable").status_code == 200
    _open_incident(fresh)
    fresh.control.wait_webhooks()
    assert len(receiver.received) == count + 1


def test_it_sends_only_what_the_filter_selects(fresh: RunningSim, api: RestSession, receiver: Any) -> None:
    services = [s for s in fresh.store.services() if s["status"] == "active"]
    _subscribe(api, receiver.url, {"type": "service_reference", "id": services[1]["id"]})
    fresh.control.trigger_incident(services[0]["id"], "not for us")
    fresh.control.trigger_incident(services[1]["id"], "for us")
    fresh.control.wait_webhooks()
    assert [b["event"]["data"]["title"] for b in receiver.bodies()] == ["for us"]


def test_it_refuses_a_subscription_without_events_or_url(fresh: RunningSim, api: RestSession) -> None:
    body = {
        "webhook_subscription": {
            "type": "webhook_subscription",
            "events": [],
            "delivery_method": {"type": "http_delivery_method"},
            "filter": {"type": "account_reference"},
        }
    }
    assert api.post("/webhook_subscriptions", json=body).status_code == 400
    assert json.loads(api.post("/webhook_subscriptions", json={}).text)["error"]["code"] == 2001
