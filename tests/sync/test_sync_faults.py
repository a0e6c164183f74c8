"""Whole syncs against pdsim while it misbehaves: a 429 storm without rate-limit headers, a token revoked
mid-run, and PagerDuty's 6-month window limit. Each ends with exactly pdsim's data."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from app.extensions import db
from app.integrations.pagerduty import link
from app.integrations.pagerduty.sync import runner
from app.models import AccountStatus, Incident, IncidentLogEntry, PagerDutyAccount, SyncCheckpoint, SyncStatus
from pdsim.testing import RunningSim
from tests.sync.conftest import select_all_services


def _exactly_pdsims_data(sim: RunningSim) -> None:
    everything = {row["id"]: row for row in sim.store.all_incidents()}
    assert set(db.session.scalars(select(Incident.remote_id))) == set(everything)
    synced = dict(
        db.session.execute(
            select(Incident.remote_id, func.count(IncidentLogEntry.id))
            .join(IncidentLogEntry, IncidentLogEntry.incident_id == Incident.id)
            .group_by(Incident.remote_id)
        ).all()
    )
    want = {i: len(sim.store.log_entries_for(row["number"])) for i, row in everything.items()}
    assert synced == {i: n for i, n in want.items() if n}


def test_it_rides_out_a_429_storm_without_headers(account: PagerDutyAccount, sim: RunningSim) -> None:
    select_all_services(account, sim)
    # Every log-entry request is refused with a bare 429 (no ratelimit-reset to go by): the client backs off
    # a few times, then the run waits to be continued instead of holding the worker.
    sim.control.set_faults(rate_limit_rate=1.0, rate_limit_headers=False, paths=["/log_entries"])
    assert runner.run(account.id) == "waiting"
    db.session.expire_all()
    waiting = runner.latest_runs(account, 1)[0]
    assert waiting.status is SyncStatus.WAITING and "Waiting" in (waiting.error or "")
    stormed = waiting.rate_limited
    assert stormed >= 4
    assert db.session.scalar(select(func.count(Incident.id))) == len(sim.store.all_incidents())
    # The storm thins out to occasional bare 429s, which are ridden out inline.
    sim.control.set_faults(rate_limit_rate=0.03, rate_limit_headers=False, seed=4)
    assert runner.run(account.id, waiting.id) == "succeeded"
    db.session.expire_all()
    done = runner.latest_runs(account, 1)[0]
    assert (done.id, done.status) == (waiting.id, SyncStatus.SUCCEEDED)
    assert done.rate_limited > stormed  # the continuation counts on
    _exactly_pdsims_data(sim)


def _revoke_after(sim: RunningSim, token: str, route: str, served: int) -> threading.Thread:
    """Revoke `token` in pdsim once it has served `served` requests of `route` (from another thread)."""

    def watch() -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if sim.control.requests(recent=0)["by_endpoint"].get(route, 0) >= served:
                sim.control.revoke_token(token)
                return
            time.sleep(0.005)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_it_stops_on_a_token_revoked_mid_run_and_resumes_after_relinking(
    account: PagerDutyAccount, sim: RunningSim
) -> None:
    from tests.sync.conftest import TOKEN

    select_all_services(account, sim)
    sim.control.clear_requests()
    sim.control.set_faults(latency_ms=40, paths=["/log_entries"])  # time for the watcher to act mid-stream
    watcher = _revoke_after(sim, TOKEN, "GET /log_entries", 3)
    assert runner.run(account.id) == "failed"
    watcher.join(5)
    db.session.expire_all()
    failed = runner.latest_runs(account, 1)[0]
    assert failed.status is SyncStatus.FAILED and "refused the token (401)" in (failed.error or "")
    account = db.session.get(PagerDutyAccount, account.id)
    assert account.status is AccountStatus.NEEDS_ATTENTION
    assert "no longer accepts this API token" in (account.status_reason or "")
    # What was committed stays: every incident (fetched before the log entries), and the plan to resume.
    assert db.session.scalar(select(func.count(Incident.id))) == len(sim.store.all_incidents())
    plan = db.session.scalar(select(SyncCheckpoint).where(SyncCheckpoint.stream == "backfill"))
    assert plan is not None and plan.data
    assert runner.run(account.id) == "failed"  # still refused until re-linked

    sim.control.clear_faults()
    sim.control.add_token("fresh-token", user_email=sim.admin_email)
    link.link_with_token(account.workspace, "fresh-token", "us", None, account)
    db.session.expire_all()
    assert db.session.get(PagerDutyAccount, account.id).status is AccountStatus.ACTIVE
    assert runner.run(account.id) == "succeeded"
    _exactly_pdsims_data(sim)


def test_it_keeps_every_request_within_the_6_month_limit(account: PagerDutyAccount, sim: RunningSim) -> None:
    """pdsim refuses /incidents ranges over 180 days with a 400; a year's backfill asks in smaller windows."""
    account.history_days = 730
    db.session.commit()
    select_all_services(account, sim)
    sim.control.clear_requests()
    assert runner.run(account.id) == "succeeded"
    statuses = sim.control.requests(recent=0)["by_status"]
    assert set(statuses) == {"200"}, statuses
    _exactly_pdsims_data(sim)
