"""The `/_sim/` control API."""

from __future__ import annotations

from typing import Any

import pytest

from pdsim.testing import RestSession, RunningSim, SimControlError


def test_it_summarises_its_state(sim: RunningSim) -> None:
    state = sim.control.state()
    assert state["admin_email"] == sim.admin_email
    assert (state["base_url"], state["us_url"], state["eu_url"]) == (sim.base_url, sim.us_url, sim.eu_url)
    assert state["counts"]["incidents"] >= 300 and state["counts"]["users"] == 60
    assert state["seed"]["seed"] == "7"


def test_it_counts_requests_per_token_and_endpoint(sim: RunningSim, api: RestSession, creds: Any) -> None:
    sim.control.clear_requests()
    api.get("/incidents")
    api.get("/incidents/1")
    sim.rest(creds.account_token).get("/users")
    counts = sim.control.requests()
    assert counts["total"] == 3
    assert counts["by_token"] == {creds.user_token: 2, creds.account_token: 1}
    assert counts["by_endpoint"]["GET /incidents/<ident>"] == 1
    assert counts["recent"][-1]["path"] == "/users" and counts["recent"][-1]["status"] == 200


def test_it_acts_as_a_responder_writing_log_entries(fresh: RunningSim, api: RestSession) -> None:
    service = next(s for s in fresh.store.services() if s["status"] == "active")
    incident = fresh.control.trigger_incident(
        service["id"], "Health check failing for web-03", incident_key="hc-3"
    )
    assert incident["status"] == "triggered" and incident["alert_counts"]["all"] == 1
    responder = fresh.store.users()[4]
    acked = fresh.control.incident_action(
        incident["id"], "acknowledge", user_id=responder["id"], channel="sms"
    )
    assert acked["acknowledgements"][0]["acknowledger"]["id"] == responder["id"]
    fresh.control.incident_action(incident["id"], "reassign", user_ids=[fresh.store.users()[9]["id"]])
    resolved = fresh.control.incident_action(incident["id"], "resolve", by="timeout")
    assert resolved["status"] == "resolved"
    entries = api.get(f"/incidents/{incident['id']}/log_entries", params={"limit": 100}).json()["log_entries"]
    kinds = [e["type"] for e in reversed(entries)]
    assert kinds[0] == "trigger_log_entry" and kinds[-1] == "resolve_log_entry"
    assert {"acknowledge_log_entry", "assign_log_entry", "notify_log_entry"} <= set(kinds)
    ack = next(e for e in entries if e["type"] == "acknowledge_log_entry")
    assert ack["channel"]["type"] == "sms" and ack["agent"]["id"] == responder["id"]
    assert entries[0]["agent"]["type"] == "service_reference" and entries[0]["channel"]["type"] == "timeout"
    notified = {e["user"]["id"] for e in entries if e["type"] == "notify_log_entry"}
    assert fresh.store.users()[9]["id"] in notified
    with pytest.raises(SimControlError):
        fresh.control.incident_action(incident["id"], "resolve")


def test_it_resets_to_the_freshly_seeded_state(sim: RunningSim, api: RestSession) -> None:
    sim.control.reset()
    seeded = sim.store.dump_seed()
    service = next(s["id"] for s in sim.store.services() if s["status"] == "active")
    sim.control.trigger_incident(service, "temporary")
    sim.control.add_token("temporary-token")
    sim.control.reset()
    assert sim.store.dump_seed() == seeded
    assert sim.rest("temporary-token").get("/users").status_code == 401
    assert api.get("/users/me").status_code == 200, "tokens registered at start survive a reset"


def test_it_resets_only_the_switches_when_asked(sim: RunningSim, api: RestSession) -> None:
    service = next(s["id"] for s in sim.store.services() if s["status"] == "active")
    kept = sim.control.trigger_incident(service, "kept across a switch reset")
    sim.control.set_faults(error_rate=1.0)
    sim.control.advance_clock(86400)
    sim.control.reset(data=False)
    assert api.get(f"/incidents/{kept['id']}").status_code == 200
    assert not sim.control.faults()["active"]
    assert abs(sim.control.state()["clock_offset"] - sim.sim.initial_clock_offset) < 1


def test_it_moves_the_clock(sim: RunningSim) -> None:
    moved = sim.control.set_clock(now="2026-12-01T00:00:00Z")
    assert abs(moved["now"] - 1796083200) < 5
    before = sim.control.state()["now"]
    sim.control.advance_clock(3600)
    assert sim.control.state()["now"] - before >= 3600


def test_it_changes_a_service_status(fresh: RunningSim, api: RestSession) -> None:
    service = next(s["id"] for s in fresh.store.services() if s["status"] == "active")
    fresh.control.set_service_status(service, "maintenance")
    assert api.get(f"/services/{service}").json()["service"]["status"] == "maintenance"
    body = {
        "incident": {
            "type": "incident",
            "title": "x",
            "service": {"id": service, "type": "service_reference"},
        }
    }
    assert api.post("/incidents", json=body).status_code == 400


def test_it_answers_errors_as_json(sim: RunningSim) -> None:
    with pytest.raises(SimControlError, match="404"):
        sim.control.incident_action("PNOPE00", "acknowledge")
    with pytest.raises(SimControlError, match="400"):
        sim.control.add_token("")


def test_it_keeps_control_paths_off_the_eu_base(sim: RunningSim) -> None:
    assert sim.rest(base_url=sim.eu_url).get("/_sim/state").status_code == 404
