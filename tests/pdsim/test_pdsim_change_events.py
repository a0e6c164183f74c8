"""Change events (API-NOTES §1.3, §2.9)."""

from __future__ import annotations

from pdsim.testing import RestSession, RunningSim
from pdsim.timeutil import parse_iso

RETENTION = 90 * 86400


def test_it_answers_with_null_paging_fields_and_no_more(api: RestSession) -> None:
    body = api.get("/change_events").json()
    assert (body["limit"], body["offset"], body["total"], body["more"]) == (None, None, None, False)
    assert body["change_events"]


def test_it_returns_every_event_of_the_last_90_days_newest_first(sim: RunningSim, api: RestSession) -> None:
    now = sim.sim.clock.now()
    events = api.get("/change_events").json()["change_events"]
    expected = [c for c in sim.store.change_events() if now - RETENTION <= c["timestamp"] <= now]
    assert len(events) == len(expected)
    stamps = [parse_iso(e["timestamp"]) for e in events]
    assert stamps == sorted(stamps, reverse=True)
    assert all(e["timestamp"].endswith("Z") and e["type"] == "change_event" for e in events)


def test_it_forgets_events_older_than_90_days(sim: RunningSim, api: RestSession) -> None:
    newest = max(c["timestamp"] for c in sim.store.change_events())
    sim.control.set_clock(offset_seconds=sim.sim.clock.offset + RETENTION + 86400)
    assert newest < sim.sim.clock.now() - RETENTION
    assert api.get("/change_events").json()["change_events"] == []


def test_it_accepts_only_utc_z_timestamps(api: RestSession) -> None:
    assert api.get("/change_events", params={"since": "2026-10-01T00:00:00Z"}).status_code == 200
    for bad in (
        "2026-10-01T00:00:00+00:00",
        "2026-10-01T02:00:00+02:00",
        "2026-10-01",
        "2026-10-01T00:00:00",
    ):
        resp = api.get("/change_events", params={"since": bad})
        assert resp.status_code == 400, bad
        assert resp.json()["error"]["code"] == 2001


def test_it_filters_by_window(api: RestSession) -> None:
    params = {"since": "2026-10-01T00:00:00Z", "until": "2026-10-08T00:00:00Z"}
    events = api.get("/change_events", params=params).json()["change_events"]
    assert events
    assert all("2026-10-01" <= e["timestamp"][:10] < "2026-10-08" for e in events)


def test_it_lists_a_services_change_events(sim: RunningSim, api: RestSession) -> None:
    multi = next(c for c in reversed(sim.store.change_events()) if "," in c["service_ids"])
    second = multi["service_ids"].split(",")[1]
    events = api.get(f"/services/{second}/change_events").json()["change_events"]
    assert multi["id"] in {e["id"] for e in events}
    assert all(second in {s["id"] for s in e["services"]} for e in events)
    assert api.get("/services/PNOPE00/change_events").status_code == 404


def test_it_honours_an_explicit_limit_but_still_says_no_more(api: RestSession) -> None:
    body = api.get("/change_events", params={"limit": 5}).json()
    assert len(body["change_events"]) == 5 and body["more"] is False and body["limit"] is None
