"""A whole backfill against pdsim when a window holds more than PagerDuty's 10,000-result cap.

PagerDuty answers 400 to any page with offset + limit over 10,000 (API-NOTES §1.1), and pdsim does the same.
Here 10,300 incidents (and some 70,000 log entries) fall in ten days, so the first 30-day window of both
streams is over the cap and must be split until each part fits. Ends with exactly pdsim's data and no
refused request."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.integrations.pagerduty.sync import runner
from app.models import Incident, IncidentLogEntry, PagerDutyAccount, SyncStatus
from pdsim.testing import RunningSim
from tests.pdsim_support import PdsimAccount, linked_account
from tests.sync.conftest import TOKEN, select_all_services

INCIDENTS = 10_300


@pytest.fixture
def pdsim_account() -> PdsimAccount:
    return PdsimAccount.of(5, INCIDENTS, 10, [TOKEN], {"sync_lock_seconds": 30}, rate_limit=1_000_000)


def test_a_backfill_splits_windows_past_the_10000_cap(app: object, sim: RunningSim) -> None:
    account = linked_account(sim, TOKEN, history_days=30)
    select_all_services(account, sim)
    sim.control.clear_requests()

    assert runner.run(account.id) == "succeeded"

    db.session.expire_all()
    run = runner.latest_runs(db.session.get(PagerDutyAccount, account.id), 1)[0]
    assert run.status is SyncStatus.SUCCEEDED, run.error
    log = sim.control.requests(recent=2000)
    assert set(log["by_status"]) == {"200"}, log["by_status"]  # no page was refused past the cap

    everything = sim.store.all_incidents()
    assert len(everything) == INCIDENTS
    assert set(db.session.scalars(select(Incident.remote_id))) == {row["id"] for row in everything}
    log_entries = sum(len(sim.store.log_entries_for(row["number"])) for row in everything)
    assert log_entries > 10_000
    assert db.session.scalar(select(func.count(IncidentLogEntry.id))) == log_entries

    # Each stream asked for narrower windows than the first one, and none of them paged past the cap.
    for path in ("/incidents", "/log_entries"):
        pages = [parse_qs(r["query"]) for r in log["recent"] if r["path"] == path]
        assert pages, path
        assert max(int(p.get("offset", ["0"])[0]) + int(p.get("limit", ["25"])[0]) for p in pages) <= 10_000
        assert len({(p["since"][0], p["until"][0]) for p in pages if "since" in p}) > 1, path
