"""Creating and updating incidents (API-NOTES §2.10-2.12)."""

from __future__ import annotations

from typing import Any

import pytest

from pdsim.testing import RestSession, RunningSim


def _service(sim: RunningSim, status: str = "active") -> str:
    return next(s["id"] for s in sim.store.services() if s["status"] == status)


def _new(service_id: str, title: str = "Disk full on db-01", **extra: Any) -> dict[str, Any]:
    return {
        "incident": {
            "type": "incident",
            "title": title,
            "service": {"id": service_id, "type": "service_reference"},
            **extra,
        }
    }


def _create(sim: RunningSim, api: RestSession, **extra: Any) -> dict[str, Any]:
    resp = api.post("/incidents", json=_new(_service(sim), **extra))
    assert resp.status_code == 201, resp.text
    return resp.json()["incident"]


def _entries(api: RestSession, incident_id: str) -> list[dict[str, Any]]:
    return api.get(f"/incidents/{incident_id}/log_entries", params={"limit": 100}).json()["log_entries"]


def _put(api: RestSession, incident_id: str, **fields: Any) -> Any:
    return api.put(f"/incidents/{incident_id}", json={"incident": {"type": "incident_reference", **fields}})


def test_it_requires_a_from_header(fresh: RunningSim, creds: Any) -> None:
    no_from = fresh.rest(creds.user_token)
    resp = no_from.post("/incidents", json=_new(_service(fresh)))
    assert resp.status_code == 400 and resp.json()["error"]["code"] == 2001
    incident = fresh.store.all_incidents()[-1]["id"]
    assert (
        no_from.put(
            f"/incidents/{incident}",
            json={"incident": {"type": "incident_reference", "status": "acknowledged"}},
        ).status_code
        == 400
    )
    unknown = fresh.rest(creds.account_token, from_email="nobody@example.com")
    assert unknown.post("/incidents", json=_new(_service(fresh))).json()["error"]["code"] == 1008


def test_it_creates_a_triggered_incident_and_pages_the_on_call(fresh: RunningSim, api: RestSession) -> None:
    before = len(fresh.store.all_incidents())
    inc = _create(fresh, api, urgency="low", incident_key="vigil/rule-7/episode-1")
    assert inc["status"] == "triggered" and inc["urgency"] == "low"
    assert inc["incident_number"] == before + 1
    assert inc["incident_key"] == "vigil/rule-7/episode-1"
    assert len(inc["assignments"]) == 1 and inc["acknowledgements"] == []
    kinds = [e["type"] for e in _entries(api, inc["id"])]
    assert kinds[-1] == "trigger_log_entry" and "notify_log_entry" in kinds
    trigger = _entries(api, inc["id"])[-1]
    assert trigger["agent"]["summary"] and trigger["channel"]["type"] == "api"
    created = fresh.control.created()
    assert created[-1]["id"] == inc["id"] and created[-1]["from"] == fresh.admin_email
    assert created[-1]["incident_key"] == "vigil/rule-7/episode-1" and created[-1]["status"] == "triggered"


def test_it_refuses_a_duplicate_key_while_the_first_incident_is_open(
    fresh: RunningSim, api: RestSession
) -> None:
    first = _create(fresh, api, incident_key="dup-key")
    resp = api.post("/incidents", json=_new(_service(fresh), incident_key="dup-key"))
    assert resp.status_code == 400
    assert resp.json() == {
        "error": {
            "message": "Arguments Caused Error",
            "code": 2002,
            "errors": ["Open incident with matching dedup key already exists on this service"],
        }
    }
    assert _put(api, first["id"], status="resolved").status_code == 200
    assert api.post("/incidents", json=_new(_service(fresh), incident_key="dup-key")).status_code == 201


def test_it_refuses_a_title_over_the_limit(fresh: RunningSim, api: RestSession) -> None:
    resp = api.post("/incidents", json=_new(_service(fresh), title="x" * 256))
    assert resp.status_code == 400 and resp.json()["error"]["code"] == 2001
    assert api.post("/incidents", json=_new(_service(fresh), title="x" * 255)).status_code == 201


@pytest.mark.parametrize("status", ["disabled", "maintenance"])
def test_it_creates_nothing_on_a_disabled_or_maintenance_service(
    fresh: RunningSim, api: RestSession, status: str
) -> None:
    before = len(fresh.store.all_incidents())
    resp = api.post("/incidents", json=_new(_service(fresh, status)))
    assert resp.status_code == 400 and resp.json()["error"]["code"] == 2002
    assert len(fresh.store.all_incidents()) == before


def test_it_accepts_only_string_bodies(fresh: RunningSim, api: RestSession) -> None:
    bad = api.post(
        "/incidents", json=_new(_service(fresh), body={"type": "incident_body", "details": {"a": 1}})
    )
    assert bad.status_code == 400
    inc = _create(fresh, api, body={"type": "incident_body", "details": "CPU at 99%"})
    shown = api.get(f"/incidents/{inc['id']}", params={"include[]": "body"}).json()["incident"]
    assert shown["body"] == {"type": "incident_body", "details": "CPU at 99%"}


def test_it_creates_an_incident_assigned_to_yourself_acknowledged(
    fresh: RunningSim, api: RestSession
) -> None:
    me = api.get("/users/me").json()["user"]["id"]
    inc = _create(fresh, api, assignments=[{"assignee": {"id": me, "type": "user_reference"}}])
    assert inc["status"] == "acknowledged" and inc["assigned_via"] == "direct_assignment"
    assert "notify_log_entry" not in [e["type"] for e in _entries(api, inc["id"])]


def test_it_acknowledges_and_resolves_writing_log_entries(fresh: RunningSim, api: RestSession) -> None:
    inc = _create(fresh, api)
    acked = _put(api, inc["id"], status="acknowledged").json()["incident"]
    assert acked["status"] == "acknowledged"
    assert acked["acknowledgements"][0]["acknowledger"]["summary"]
    resp = _put(api, inc["id"], status="resolved", resolution="Freed disk space")
    resolved = resp.json()["incident"]
    assert resolved["status"] == "resolved" and resolved["resolved_at"]
    assert resolved["assignments"] == [] and resolved["acknowledgements"] == []
    entries = _entries(api, inc["id"])
    assert [e["type"] for e in entries[:2]] == ["resolve_log_entry", "acknowledge_log_entry"]
    resolve = entries[0]
    assert resolve["note"] == "Freed disk space"
    assert resolve["agent"]["type"] == "user_reference" and resolve["channel"]["type"] == "api"


def test_it_answers_1001_when_resolving_a_resolved_incident(fresh: RunningSim, api: RestSession) -> None:
    inc = _create(fresh, api)
    assert _put(api, inc["id"], status="resolved").status_code == 200
    again = _put(api, inc["id"], status="resolved")
    assert again.status_code == 400 and again.json()["error"]["code"] == 1001


def test_it_reopens_a_resolved_incident_set_to_triggered(fresh: RunningSim, api: RestSession) -> None:
    inc = _create(fresh, api)
    _put(api, inc["id"], status="resolved")
    reopened = _put(api, inc["id"], status="triggered").json()["incident"]
    assert reopened["status"] == "triggered" and reopened["resolved_at"] is None and reopened["assignments"]
    assert _entries(api, inc["id"])[0]["type"] in ("notify_log_entry", "trigger_log_entry")


def test_it_escalates_and_reassigns(fresh: RunningSim, api: RestSession) -> None:
    inc = _create(fresh, api)
    escalated = _put(api, inc["id"], escalation_level=2).json()["incident"]
    entries = _entries(api, inc["id"])
    escalate = next(e for e in entries if e["type"] == "escalate_log_entry")
    assert escalated["assignments"][0]["assignee"]["id"] == escalate["assignees"][0]["id"]
    other = fresh.store.users()[10]["id"]
    reassigned = _put(api, inc["id"], assignments=[{"assignee": {"id": other, "type": "user_reference"}}])
    assert reassigned.json()["incident"]["assignments"][0]["assignee"]["id"] == other
    assign = next(e for e in _entries(api, inc["id"]) if e["type"] == "assign_log_entry")
    assert assign["assignees"][0]["id"] == other
    assert _put(api, inc["id"], status="snoozed").json()["error"]["code"] == 1003


def test_it_sets_priority_by_reference_or_by_name(fresh: RunningSim, api: RestSession) -> None:
    inc = _create(fresh, api)
    assert _put(api, inc["id"], priority="P2").json()["incident"]["priority"]["summary"] == "P2"
    p1 = api.get("/priorities").json()["priorities"][0]
    updated = _put(api, inc["id"], priority={"id": p1["id"], "type": "priority_reference"}).json()["incident"]
    assert updated["priority"]["id"] == p1["id"]


def test_it_updates_many_incidents_at_once(fresh: RunningSim, api: RestSession) -> None:
    a, b = _create(fresh, api), _create(fresh, api)
    body = {
        "incidents": [
            {"id": a["id"], "type": "incident_reference", "status": "resolved"},
            {"id": b["id"], "type": "incident_reference", "status": "acknowledged"},
        ]
    }
    resp = api.put("/incidents", json=body)
    assert resp.status_code == 200
    assert [i["status"] for i in resp.json()["incidents"]] == ["resolved", "acknowledged"]
    assert resp.json()["more"] is False


def test_it_changes_nothing_when_one_item_of_a_bulk_update_is_invalid(
    fresh: RunningSim, api: RestSession
) -> None:
    a, b = _create(fresh, api), _create(fresh, api)
    _put(api, b["id"], status="resolved")
    body = {
        "incidents": [
            {"id": a["id"], "type": "incident_reference", "status": "acknowledged"},
            {"id": b["id"], "type": "incident_reference", "status": "resolved"},
        ]
    }
    assert api.put("/incidents", json=body).status_code == 400
    assert fresh.store.incident(a["id"])["status"] == "triggered"


def test_it_refuses_more_than_250_incidents_in_one_bulk_update(fresh: RunningSim, api: RestSession) -> None:
    ids = [r["id"] for r in fresh.store.all_incidents()[:251]]
    body = {"incidents": [{"id": i, "type": "incident_reference", "status": "resolved"} for i in ids]}
    assert api.put("/incidents", json=body).status_code == 413
