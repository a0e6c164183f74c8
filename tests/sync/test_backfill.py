"""A backfill gives exactly pdsim's data: every incident, every log entry, every derived field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update

from app.extensions import db
from app.integrations.pagerduty.sync import passes, streams
from app.integrations.pagerduty.sync.upsert import pairs
from app.models import Deployment, Incident, IncidentLogEntry, PagerDutyAccount, PDService, PDTeam, PDUser
from pdsim.testing import RunningSim
from tests.sync.conftest import make_context, select_all_services


def _ts(epoch: int | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch is not None else None


def _expected(sim: RunningSim) -> dict[str, dict[str, object]]:
    """Derived facts computed straight from pdsim's own tables (not through its REST API)."""
    expected = {}
    for row in sim.store.all_incidents():
        entries = sim.store.log_entries_for(row["number"])
        acks = [e["created_at"] for e in entries if e["type"] == "acknowledge"]
        first_ack = min(
            (e for e in entries if e["type"] == "acknowledge"), key=lambda e: e["created_at"], default=None
        )
        resolves = [e for e in entries if e["type"] == "resolve"]
        resolved = row["status"] == "resolved"
        last = resolves[-1] if resolves else None
        users = {u["id"] for u in sim.store.users()}
        expected[row["id"]] = {
            "number": row["number"],
            "title": row["title"],
            "status": row["status"],
            "urgency": row["urgency"],
            "created_at": _ts(row["created_at"]),
            "resolved_at": _ts(row["resolved_at"]) if resolved else None,
            "first_ack_at": _ts(min(acks)) if acks else None,
            "reopen_count": max(sum(1 for e in entries if e["type"] == "trigger") - 1, 0),
            "escalation_count": sum(1 for e in entries if e["type"] == "escalate"),
            "assignment_count": sum(1 for e in entries if e["type"] == "assign"),
            # docs/metrics.md: automatic unless a user made the last resolve through a person's channel.
            "auto_resolved": bool(
                resolved
                and last is not None
                and (last["agent"] not in users or last["channel"] in {"timeout", "auto"})
            ),
            "resolved_by_user_via_api": bool(
                resolved and last is not None and last["agent"] in users and last["channel"] == "api"
            ),
            "log_entries": len(entries),
            # Who made the first acknowledgement (responder load), as PagerDuty's user id.
            "first_ack_by": first_ack["agent"] if first_ack and first_ack["agent"] in users else None,
        }
    return expected


def test_it_backfills_exactly_what_pagerduty_holds(account: PagerDutyAccount, sim: RunningSim) -> None:
    select_all_services(account, sim)
    passes.run_backfill(make_context(account, sim))

    expected = _expected(sim)
    incidents = {
        i.remote_id: i for i in db.session.scalars(select(Incident).where(Incident.account_id == account.id))
    }
    assert set(incidents) == set(expected)
    people = pairs(select(PDUser.id, PDUser.remote_id).where(PDUser.account_id == account.id))
    assert any(want["first_ack_by"] for want in expected.values())
    # The seed has people resolving through the API: they are people, not auto-resolves.
    by_api = [remote_id for remote_id, want in expected.items() if want["resolved_by_user_via_api"]]
    assert by_api and not any(incidents[remote_id].auto_resolved for remote_id in by_api)
    assert any(incident.auto_resolved for incident in incidents.values())
    for remote_id, want in expected.items():
        got = incidents[remote_id]
        for name, value in want.items():
            if name in {"log_entries", "resolved_by_user_via_api"}:
                continue
            if name == "first_ack_by":
                assert people.get(got.first_ack_user_id) == value, (remote_id, name)
                continue
            assert getattr(got, name) == value, (remote_id, name)
        if got.first_ack_at is not None:
            assert got.ack_seconds == (got.first_ack_at - got.created_at).total_seconds()
        if got.status == "resolved":
            assert got.resolve_seconds == (got.resolved_at - got.created_at).total_seconds()
        assert got.title_template
    counts = pairs(
        select(Incident.remote_id, func.count(IncidentLogEntry.id))
        .join(IncidentLogEntry, IncidentLogEntry.incident_id == Incident.id)
        .group_by(Incident.remote_id)
    )
    assert {k: v["log_entries"] for k, v in expected.items()} == {k: counts.get(k, 0) for k in expected}
    # The directory came along: every service, team and user; the per-service change events in 90 days.
    assert db.session.scalar(select(func.count(PDService.id))) == len(sim.store.services())
    assert db.session.scalar(select(func.count(PDUser.id))) == len(sim.store.users())
    assert db.session.scalar(select(func.count(PDTeam.id))) >= 8
    # Every change event of the last 90 days is a deployment on each service it names (pdsim, like
    # PagerDuty, says `more: false` even when a page is full: the client must not stop there).
    fringe = datetime.now(UTC) - timedelta(days=90) + timedelta(minutes=5)
    expected = {
        (event["id"], service)
        for event in sim.store.change_events()
        if _ts(event["timestamp"]) >= fringe
        for service in event["service_ids"].split(",")
    }
    assert len(expected) > 100
    synced = {
        (deploy_id, service_id)
        for deploy_id, service_id in db.session.execute(
            select(Deployment.remote_id, PDService.remote_id).join(
                PDService, Deployment.service_id == PDService.id
            )
        )
    }
    assert expected <= synced
    assert len(synced - expected) <= 5  # events in the few minutes at the edge of the 90 days
    assert all(s.backfilled_at is not None for s in db.session.scalars(select(PDService)))


def test_it_writes_nothing_on_a_second_backfill(account: PagerDutyAccount, sim: RunningSim) -> None:
    select_all_services(account, sim)
    passes.run_backfill(make_context(account, sim))
    db.session.execute(update(PDService).values(backfilled_at=None))
    db.session.commit()
    again = make_context(account, sim)
    passes.run_backfill(again)
    assert again.run.fetched > 0
    assert (again.run.created, again.run.updated) == (0, 0)


def test_it_keeps_only_selected_services(account: PagerDutyAccount, sim: RunningSim) -> None:
    ctx = make_context(account, sim)
    streams.sync_directory(ctx, force=True)
    chosen = db.session.scalars(select(PDService).order_by(PDService.remote_id).limit(3)).all()
    for service in chosen:
        service.selected = True
    db.session.commit()
    passes.run_backfill(make_context(account, sim))
    kept = set(db.session.scalars(select(Incident.service_id)).all())
    assert kept and kept <= {s.id for s in chosen}
    want = {
        row["id"] for row in sim.store.all_incidents() if row["service_id"] in {s.remote_id for s in chosen}
    }
    assert set(db.session.scalars(select(Incident.remote_id))) == want
