"""Log entries per incident and account-wide (API-NOTES §2.7-2.8)."""

from __future__ import annotations

from typing import Any

from pdsim.testing import RestSession, RunningSim
from pdsim.timeutil import parse_iso


def _incident_with(sim: RunningSim, kind: str) -> dict[str, Any]:
    rows = sim.store.rows(
        "SELECT i.* FROM incidents i JOIN log_entries l ON l.incident = i.number "
        "WHERE l.type = ? ORDER BY i.number DESC LIMIT 1",
        (kind,),
    )
    return rows[0]


def test_it_lists_an_incidents_entries_newest_first(sim: RunningSim, api: RestSession) -> None:
    row = _incident_with(sim, "escalate")
    entries = api.get(f"/incidents/{row['id']}/log_entries", params={"limit": 100}).json()["log_entries"]
    stored = sim.store.log_entries_for(row["number"])
    assert len(entries) == len(stored)
    times = [parse_iso(e["created_at"]) for e in entries]
    assert times == sorted(times, reverse=True)
    assert entries[-1]["type"] == "trigger_log_entry"
    assert (
        entries[-1]["id"]
        == api.get(f"/incidents/{row['id']}").json()["incident"]["first_trigger_log_entry"]["id"]
    )


def test_it_renders_log_entries_in_the_account_time_zone_by_default(api: RestSession) -> None:
    entry = api.get("/log_entries", params={"limit": 1}).json()["log_entries"][0]
    assert entry["created_at"][-6:] in ("-04:00", "-05:00"), "the seeded US account lives in New York"
    utc = api.get("/log_entries", params={"limit": 1, "time_zone": "UTC"}).json()["log_entries"][0]
    assert utc["created_at"].endswith("Z") and parse_iso(utc["created_at"]) == parse_iso(entry["created_at"])


def test_it_writes_every_kind_of_entry_with_agent_and_channel(sim: RunningSim, api: RestSession) -> None:
    found: dict[str, dict[str, Any]] = {}
    for kind in ("trigger", "notify", "acknowledge", "escalate", "assign", "resolve"):
        row = _incident_with(sim, kind)
        entries = api.get(f"/incidents/{row['id']}/log_entries", params={"limit": 100}).json()["log_entries"]
        found[kind] = next(e for e in entries if e["type"] == f"{kind}_log_entry")
    assert (
        found["trigger"]["agent"]["type"] == "service_reference"
        and found["trigger"]["channel"]["type"] == "api"
    )
    assert found["notify"]["user"]["type"] == "user_reference"
    assert found["notify"]["channel"]["type"] in ("sms", "phone", "push", "email")
    assert found["acknowledge"]["agent"]["type"] == "user_reference"
    assert found["escalate"]["assignees"][0]["type"] == "user_reference"
    assert found["assign"]["assignees"] and found["assign"]["agent"]["type"] == "user_reference"
    assert found["resolve"]["agent"]["type"] in ("user_reference", "service_reference")
    for entry in found.values():
        assert entry["incident"]["type"] == "incident_reference"
        assert entry["service"]["type"] == "service_reference"
        assert entry["html_url"].startswith("https://acme.pagerduty.com/incidents/")


def test_it_hides_notifications_in_the_overview(sim: RunningSim, api: RestSession) -> None:
    row = _incident_with(sim, "notify")
    full = api.get(f"/incidents/{row['id']}/log_entries", params={"limit": 100}).json()["log_entries"]
    overview = api.get(
        f"/incidents/{row['id']}/log_entries", params={"limit": 100, "is_overview": "true"}
    ).json()["log_entries"]
    assert any(e["type"] == "notify_log_entry" for e in full)
    assert overview and not any(e["type"] == "notify_log_entry" for e in overview)


def test_it_details_notifications_with_include_channels(sim: RunningSim, api: RestSession) -> None:
    row = _incident_with(sim, "notify")
    entries = api.get(
        f"/incidents/{row['id']}/log_entries", params={"limit": 100, "include[]": "channels"}
    ).json()["log_entries"]
    notify = next(e for e in entries if e["type"] == "notify_log_entry")
    assert notify["channel"]["notification"]["type"] == f"{notify['channel']['type']}_notification"


def test_it_lists_account_wide_entries_in_a_window(sim: RunningSim, api: RestSession) -> None:
    since, until = "2026-10-01T00:00:00Z", "2026-10-02T00:00:00Z"
    body = api.get(
        "/log_entries", params={"since": since, "until": until, "limit": 100, "total": "true"}
    ).json()
    lo, hi = parse_iso(since), parse_iso(until)
    expected = sim.store.rows(
        "SELECT count(*) AS n FROM log_entries WHERE created_at >= ? AND created_at < ?", (lo, hi)
    )[0]["n"]
    assert body["total"] == expected > 0
    assert all(lo <= parse_iso(e["created_at"]) < hi for e in body["log_entries"])


def test_it_filters_account_wide_entries_by_team(sim: RunningSim, api: RestSession) -> None:
    team = sim.store.all_incidents()[0]["team_id"]
    entries = api.get(
        "/log_entries", params={"team_ids[]": team, "limit": 100, "since": "2026-08-01T00:00:00Z"}
    ).json()["log_entries"]
    assert entries and all(e["teams"][0]["id"] == team for e in entries)


def test_it_expands_the_incident_with_include_incidents(api: RestSession) -> None:
    entry = api.get("/log_entries", params={"limit": 1, "include[]": "incidents"}).json()["log_entries"][0]
    assert entry["incident"]["type"] == "incident" and entry["incident"]["incident_number"] > 0


def test_it_shows_one_log_entry_by_id(api: RestSession) -> None:
    entry = api.get("/log_entries", params={"limit": 1}).json()["log_entries"][0]
    shown = api.get(f"/log_entries/{entry['id']}").json()["log_entry"]
    assert shown == entry
    assert api.get("/log_entries/RNOPE").status_code == 404
