"""Reading incidents: window, filters, include[], sorting, time zones (API-NOTES §2.5-2.6)."""

from __future__ import annotations

from typing import Any

from pdsim.ids import incident_id, incident_number_from_id
from pdsim.testing import RestSession, RunningSim
from pdsim.timeutil import months_before, parse_iso


def _all(api: RestSession, **params: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    offset = 0
    while True:
        body = api.get("/incidents", params={**params, "limit": 100, "offset": offset}).json()
        out += body["incidents"]
        if not body["more"]:
            return out
        offset += 100


def test_it_defaults_to_the_last_month(sim: RunningSim, api: RestSession) -> None:
    now = sim.sim.clock.now()
    since = months_before(now, 1)
    found = _all(api)
    expected = [i for i in sim.store.all_incidents() if since <= i["created_at"] < now]
    assert [i["incident_number"] for i in found] == [i["number"] for i in expected]
    assert 0 < len(found) < len(sim.store.all_incidents())


def test_it_returns_everything_with_date_range_all(sim: RunningSim, api: RestSession) -> None:
    assert len(_all(api, date_range="all")) == len(sim.store.all_incidents())


def test_it_refuses_a_range_over_six_months(api: RestSession) -> None:
    resp = api.get("/incidents", params={"since": "2026-01-01T00:00:00Z", "until": "2026-08-01T00:00:00Z"})
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] == 2001
    ok = api.get("/incidents", params={"since": "2026-05-04T00:00:00Z", "until": "2026-10-31T00:00:00Z"})
    assert ok.status_code == 200


def test_it_filters_on_creation_time_with_since_and_until(sim: RunningSim, api: RestSession) -> None:
    since, until = "2026-09-01T00:00:00Z", "2026-09-15T00:00:00Z"
    found = _all(api, since=since, until=until)
    lo, hi = parse_iso(since), parse_iso(until)
    assert len(found) == sum(1 for i in sim.store.all_incidents() if lo <= i["created_at"] < hi)
    assert all(lo <= parse_iso(i["created_at"]) < hi for i in found)


def test_it_reads_naive_since_in_the_requested_time_zone(api: RestSession) -> None:
    utc = _all(api, since="2026-09-01T00:00:00Z", until="2026-09-02T00:00:00Z")
    tokyo = _all(api, since="2026-09-01T09:00:00", until="2026-09-02T09:00:00", time_zone="Asia/Tokyo")
    assert [i["id"] for i in tokyo] == [i["id"] for i in utc]


def test_it_filters_by_status_with_repeated_keys(sim: RunningSim, api: RestSession) -> None:
    found = _all(api, date_range="all", **{"statuses[]": ["triggered", "acknowledged"]})
    expected = [i for i in sim.store.all_incidents() if i["status"] != "resolved"]
    assert {i["id"] for i in found} == {i["id"] for i in expected} and found
    assert api.get("/incidents", params={"statuses[]": "snoozed"}).status_code == 400


def test_it_filters_by_service_team_urgency_and_key(sim: RunningSim, api: RestSession) -> None:
    rows = sim.store.all_incidents()
    service, team = rows[0]["service_id"], rows[1]["team_id"]
    assert {i["service"]["id"] for i in _all(api, date_range="all", **{"service_ids[]": service})} == {
        service
    }
    by_team = _all(api, date_range="all", **{"team_ids[]": team})
    assert len(by_team) == sum(1 for r in rows if r["team_id"] == team)
    assert all(i["teams"][0]["id"] == team for i in by_team)
    assert {i["urgency"] for i in _all(api, date_range="all", **{"urgencies[]": "low"})} == {"low"}
    keyed = next(r for r in rows if r["incident_key"])
    found = _all(api, date_range="all", incident_key=keyed["incident_key"])
    assert [i["id"] for i in found] == [keyed["id"]]


def test_it_filters_open_incidents_by_assignee(sim: RunningSim, api: RestSession) -> None:
    open_row = next(r for r in sim.store.all_incidents() if r["status"] != "resolved")
    user = open_row["assignments"].split("@")[0]
    found = _all(api, date_range="all", **{"user_ids[]": user})
    assert open_row["id"] in {i["id"] for i in found}
    assert all(i["status"] != "resolved" for i in found)


def test_it_empties_assignments_and_acknowledgements_once_resolved(api: RestSession) -> None:
    found = _all(api, date_range="all")
    resolved = [i for i in found if i["status"] == "resolved"]
    assert resolved and all(i["assignments"] == [] and i["acknowledgements"] == [] for i in resolved)
    assert all(i["resolved_at"] and i["last_status_change_at"] == i["resolved_at"] for i in resolved)
    acked = [i for i in found if i["status"] == "acknowledged"]
    assert acked and all(i["acknowledgements"] and i["resolved_at"] is None for i in acked)
    triggered = [i for i in found if i["status"] == "triggered"]
    assert triggered and all(i["acknowledgements"] == [] and i["assignments"] for i in triggered)
    assert all(i["last_status_change_at"] == i["updated_at"] for i in triggered)


def test_it_swaps_references_for_objects_with_include(api: RestSession) -> None:
    plain = api.get("/incidents", params={"date_range": "all", "limit": 5}).json()["incidents"][0]
    assert plain["service"]["type"] == "service_reference"
    assert plain["first_trigger_log_entry"]["type"] == "trigger_log_entry_reference"
    params = {
        "date_range": "all",
        "limit": 5,
        "include[]": ["services", "first_trigger_log_entries", "teams", "escalation_policies", "agents"],
    }
    full = api.get("/incidents", params=params).json()["incidents"][0]
    assert full["service"]["type"] == "service" and full["service"]["name"]
    assert full["first_trigger_log_entry"]["type"] == "trigger_log_entry"
    assert full["teams"][0]["type"] == "team"
    assert full["escalation_policy"]["type"] == "escalation_policy"
    assert full["last_status_change_by"]["type"] in ("user", "service")
    assert api.get("/incidents", params={"include[]": "everything"}).status_code == 400


def test_it_expands_assignees_and_acknowledgers(api: RestSession) -> None:
    params = {
        "date_range": "all",
        "limit": 100,
        "include[]": ["assignees", "acknowledgers"],
        "statuses[]": ["acknowledged"],
    }
    inc = api.get("/incidents", params=params).json()["incidents"][0]
    assert inc["assignments"][0]["assignee"]["type"] == "user"
    assert inc["acknowledgements"][0]["acknowledger"]["type"] == "user"


def test_it_sorts_by_up_to_two_fields(api: RestSession) -> None:
    found = api.get(
        "/incidents", params={"date_range": "all", "limit": 100, "sort_by": "urgency:desc,created_at:desc"}
    ).json()["incidents"]
    keys = [(i["urgency"], i["created_at"]) for i in found]
    assert keys == sorted(keys, reverse=True)
    assert api.get("/incidents", params={"sort_by": "title"}).status_code == 400
    assert api.get("/incidents", params={"sort_by": "a,b,c"}).status_code == 400


def test_it_renders_timestamps_in_utc_unless_a_time_zone_is_given(api: RestSession) -> None:
    utc = api.get("/incidents", params={"date_range": "all", "limit": 1}).json()["incidents"][0]
    local = api.get(
        "/incidents", params={"date_range": "all", "limit": 1, "time_zone": "Asia/Kolkata"}
    ).json()["incidents"][0]
    assert utc["created_at"].endswith("Z")
    assert local["created_at"].endswith("+05:30")
    assert parse_iso(local["created_at"]) == parse_iso(utc["created_at"])
    assert api.get("/incidents", params={"time_zone": "Mars/Olympus"}).status_code == 400


def test_it_shows_one_incident_by_id_or_number(sim: RunningSim, api: RestSession) -> None:
    row = sim.store.all_incidents()[-1]
    by_id = api.get(f"/incidents/{row['id']}").json()["incident"]
    by_number = api.get(f"/incidents/{row['number']}").json()["incident"]
    assert by_id == by_number
    assert by_id["incident_number"] == row["number"] and by_id["summary"].startswith(f"[#{row['number']}]")
    resp = api.get("/incidents/PNOTHING")
    assert resp.status_code == 404 and resp.json()["error"]["code"] == 2100


def test_it_gives_older_incidents_short_ids_and_newer_ones_long_ids() -> None:
    short, long_ = incident_id(1999), incident_id(2000)
    assert (len(short), short[0], len(long_), long_[0]) == (7, "P", 14, "Q")
    assert incident_number_from_id(short) == 1999 and incident_number_from_id(long_) == 2000
    assert len({incident_id(n) for n in range(1, 5000)}) == 4999
