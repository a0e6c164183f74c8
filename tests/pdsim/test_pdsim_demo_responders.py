"""The demo responders: a demo switch under which people answer the pages clients send (docs/pdsim.md)."""

from __future__ import annotations

from typing import Any

import pytest

from pdsim.control_client import SimControlError
from pdsim.demo_responders import HAND_RESOLVE_NOTE, ResponderConfig, plan_for
from pdsim.testing import RestSession, RunningSim

LONGEST_WAIT = 5 * (120 + 300) + 60  # every delay is at most five times its median


def _page(sim: RunningSim, api: RestSession, key: str) -> dict[str, Any]:
    service = next(s["id"] for s in sim.store.services() if s["status"] == "active")
    body = {
        "incident": {
            "type": "incident",
            "title": f"Vigil: error rate above 5 % ({key})",
            "service": {"id": service, "type": "service_reference"},
            "incident_key": key,
        }
    }
    resp = api.post("/incidents", json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()["incident"]


def _entries(api: RestSession, incident_id: str) -> list[dict[str, Any]]:
    entries = api.get(f"/incidents/{incident_id}/log_entries", params={"limit": 100}).json()["log_entries"]
    return list(reversed(entries))  # oldest first


def _settle(sim: RunningSim) -> None:
    sim.control.advance_clock(LONGEST_WAIT)
    sim.control.tick_responders()


def test_it_is_off_unless_turned_on(fresh: RunningSim, api: RestSession) -> None:
    incident = _page(fresh, api, "off-1")
    _settle(fresh)
    assert fresh.control.responders()["enabled"] is False
    assert api.get(f"/incidents/{incident['id']}").json()["incident"]["status"] == "triggered"


def test_a_responder_acknowledges_as_the_assignee_after_a_delay(fresh: RunningSim, api: RestSession) -> None:
    fresh.control.set_responders(enabled=True, acknowledge=1.0, resolve_by_hand=0.0)
    incident = _page(fresh, api, "ack-1")
    assignee = incident["assignments"][0]["assignee"]["id"]

    fresh.control.tick_responders()
    assert api.get(f"/incidents/{incident['id']}").json()["incident"]["status"] == "triggered"

    _settle(fresh)
    _settle(fresh)  # a second pass does not acknowledge twice
    after = api.get(f"/incidents/{incident['id']}").json()["incident"]
    assert after["status"] == "acknowledged"
    assert [a["acknowledger"]["id"] for a in after["acknowledgements"]] == [assignee]
    acks = [e for e in _entries(api, incident["id"]) if e["type"] == "acknowledge_log_entry"]
    assert len(acks) == 1 and acks[0]["agent"]["id"] == assignee
    assert fresh.control.responders()["acted"] == [
        {"incident": incident["id"], "action": "acknowledge", "user_id": assignee}
    ]


def test_a_responder_resolves_by_hand_with_a_note(fresh: RunningSim, api: RestSession) -> None:
    fresh.control.set_responders(enabled=True, acknowledge=0.0, resolve_by_hand=1.0)
    incident = _page(fresh, api, "hand-1")
    assignee = incident["assignments"][0]["assignee"]["id"]
    _settle(fresh)

    assert api.get(f"/incidents/{incident['id']}").json()["incident"]["status"] == "resolved"
    kinds = [(e["type"], e.get("agent", {}).get("id")) for e in _entries(api, incident["id"])]
    assert ("acknowledge_log_entry", assignee) in kinds and ("resolve_log_entry", assignee) in kinds
    resolve = next(e for e in _entries(api, incident["id"]) if e["type"] == "resolve_log_entry")
    assert resolve["note"] == HAND_RESOLVE_NOTE


def test_ignored_pages_and_pages_the_client_resolved_are_left_alone(
    fresh: RunningSim, api: RestSession
) -> None:
    fresh.control.set_responders(enabled=True, acknowledge=0.0, resolve_by_hand=0.0)
    ignored = _page(fresh, api, "ignored-1")
    _settle(fresh)
    assert api.get(f"/incidents/{ignored['id']}").json()["incident"]["status"] == "triggered"

    fresh.control.set_responders(acknowledge=1.0)
    cleared = _page(fresh, api, "cleared-1")
    resp = api.put(
        f"/incidents/{cleared['id']}", json={"incident": {"type": "incident_reference", "status": "resolved"}}
    )
    assert resp.status_code == 200, resp.text
    _settle(fresh)
    entries = _entries(api, cleared["id"])
    assert [e["type"] for e in entries if e["type"] in ("acknowledge_log_entry", "resolve_log_entry")] == [
        "resolve_log_entry"
    ]


def test_incidents_from_before_the_switch_and_from_integrations_are_not_answered(
    fresh: RunningSim, api: RestSession
) -> None:
    before = _page(fresh, api, "before-1")
    fresh.control.advance_clock(5)
    fresh.control.set_responders(enabled=True, acknowledge=1.0, resolve_by_hand=0.0)
    service = before["service"]["id"]
    integration = fresh.control.trigger_incident(service, "CPU high on web-3")
    _settle(fresh)
    for incident in (before, integration):
        assert api.get(f"/incidents/{incident['id']}").json()["incident"]["status"] == "triggered"


def test_acknowledging_fires_the_webhook(fresh: RunningSim, api: RestSession, receiver: Any) -> None:
    sub = api.post(
        "/webhook_subscriptions",
        json={
            "webhook_subscription": {
                "type": "webhook_subscription",
                "delivery_method": {"type": "http_delivery_method", "url": receiver.url},
                "events": ["incident.acknowledged"],
                "filter": {"type": "account_reference"},
            }
        },
    )
    assert sub.status_code == 200, sub.text
    fresh.control.set_responders(enabled=True, acknowledge=1.0, resolve_by_hand=0.0)
    incident = _page(fresh, api, "webhook-1")
    _settle(fresh)
    fresh.control.wait_webhooks()
    events = [b["event"] for b in receiver.bodies()]
    assert [(e["event_type"], e["data"]["id"]) for e in events] == [("incident.acknowledged", incident["id"])]


def test_reset_of_the_switches_puts_back_the_start_up_setting(sim: RunningSim) -> None:
    sim.control.set_responders(enabled=True)
    sim.control.reset(data=False)
    assert sim.control.responders()["enabled"] is False


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"acknowledge": 0.9, "resolve_by_hand": 0.3}, "add up to at most 1"),
        ({"enabled": "yes"}, "true or false"),
        ({"acknowledge": "half"}, "must be a number"),
        ({"ack_median_seconds": 0}, "positive"),
        ({"bogus": 1}, "unknown settings: bogus"),
    ],
)
def test_bad_settings_are_refused(sim: RunningSim, settings: dict[str, Any], message: str) -> None:
    with pytest.raises(SimControlError, match=message):
        sim.control.set_responders(**settings)
    assert sim.control.responders()["enabled"] is False


def test_plans_are_deterministic_and_follow_the_shares() -> None:
    config = ResponderConfig(enabled=True, seed=3, acknowledge=0.5, resolve_by_hand=0.2)
    plans = [plan_for(config, f"Q{n:013d}", 1_000_000.0) for n in range(3000)]
    assert plans == [plan_for(config, f"Q{n:013d}", 1_000_000.0) for n in range(3000)]
    shares = {
        fate: sum(p.fate == fate for p in plans) / len(plans) for fate in ("acknowledge", "resolve_by_hand")
    }
    assert abs(shares["acknowledge"] - 0.5) < 0.04 and abs(shares["resolve_by_hand"] - 0.2) < 0.04
    acked = [p for p in plans if p.ack_at is not None]
    assert all(24 <= p.ack_at - 1_000_000.0 <= 600 for p in acked)
    assert all(p.resolve_at is None or 60 <= p.resolve_at - p.ack_at <= 1500 for p in acked)
    other_seed = ResponderConfig(enabled=True, seed=4, acknowledge=0.5, resolve_by_hand=0.2)
    assert plans != [plan_for(other_seed, f"Q{n:013d}", 1_000_000.0) for n in range(3000)]
