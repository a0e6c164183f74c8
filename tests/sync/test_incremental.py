"""Incremental sync picks up new incidents and what happened to old ones, for a handful of requests."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.integrations.pagerduty.sync import passes
from app.models import Incident, PagerDutyAccount, PDService, SyncKind
from pdsim.testing import RunningSim
from tests.sync.conftest import make_context, select_all_services


def _backfilled(account: PagerDutyAccount, sim: RunningSim) -> None:
    select_all_services(account, sim)
    passes.run_backfill(make_context(account, sim))


def _incident(remote_id: str) -> Incident:
    db.session.expire_all()
    return db.session.scalars(select(Incident).where(Incident.remote_id == remote_id)).one()


def test_it_picks_up_new_incidents_and_changes_to_old_ones(
    account: PagerDutyAccount, sim: RunningSim
) -> None:
    _backfilled(account, sim)
    rows = sim.store.all_incidents()
    open_one = next(r for r in rows if r["status"] == "triggered")
    resolved_old = min((r for r in rows if r["status"] == "resolved"), key=lambda r: r["created_at"])
    acked = next(r for r in rows if r["status"] == "acknowledged")
    service = db.session.scalars(select(PDService).where(PDService.selected.is_(True))).first()

    new = sim.control.trigger_incident(service.remote_id, "Disk full on db-7 (/var at 97%)")
    sim.control.incident_action(open_one["id"], "acknowledge")
    sim.control.incident_action(acked["id"], "resolve")
    sim.control.incident_action(resolved_old["id"], "reopen")

    ctx = make_context(account, sim, SyncKind.INCREMENTAL)
    passes.run_incremental(ctx)

    created = _incident(new["id"])
    assert (created.status, created.title, created.service_id) == ("triggered", new["title"], service.id)
    assert created.title_template
    was_open = _incident(open_one["id"])
    assert was_open.status == "acknowledged"
    assert was_open.first_ack_at is not None and was_open.ack_seconds is not None
    closed = _incident(acked["id"])
    assert closed.status == "resolved"
    assert closed.resolve_seconds == (closed.resolved_at - closed.created_at).total_seconds()
    reopened = _incident(resolved_old["id"])
    assert (reopened.status, reopened.resolved_at, reopened.resolve_seconds) == ("triggered", None, None)
    assert reopened.reopen_count == 1


def test_it_syncs_nothing_new_in_at_most_five_requests(account: PagerDutyAccount, sim: RunningSim) -> None:
    _backfilled(account, sim)
    ctx = make_context(account, sim, SyncKind.INCREMENTAL)
    passes.run_incremental(ctx)
    assert ctx.client.stats.requests <= 5
    assert (ctx.run.created, ctx.run.updated) == (0, 0)


def test_it_heals_an_incident_whose_changes_it_missed(account: PagerDutyAccount, sim: RunningSim) -> None:
    _backfilled(account, sim)
    open_one = next(r for r in sim.store.all_incidents() if r["status"] == "triggered")
    sim.control.incident_action(open_one["id"], "resolve")
    # The log-entry checkpoint moved past the resolve (e.g. a webhook-driven run lost its job): the re-scan of
    # open incidents still notices PagerDuty closed it.
    from app.integrations.pagerduty.sync.streams import checkpoint
    from app.models.types import utcnow

    checkpoint(account, "log_entries").position = utcnow()
    db.session.commit()
    passes.run_incremental(make_context(account, sim, SyncKind.INCREMENTAL))
    healed = _incident(open_one["id"])
    assert healed.status == "resolved"
    assert healed.resolve_seconds is not None
