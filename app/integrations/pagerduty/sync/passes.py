"""The two kinds of run: a backfill of the history of newly selected services (or the older period of a
lengthened history) from its resumable plan, kept as plain values in the "backfill" checkpoint (JSON), and an
incremental pass from the per-stream checkpoints, with a re-scan of open incidents so acknowledgements,
resolutions and reopens of old incidents are caught."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from app.extensions import db
from app.integrations.pagerduty.sync import store
from app.integrations.pagerduty.sync.streams import (
    CHANGE_EVENT_RETENTION,
    OVERLAP,
    SyncContext,
    checkpoint,
    sync_change_events,
    sync_directory,
    sync_incidents,
    sync_log_entries,
)
from app.models import Incident, PagerDutyAccount, PDService, SyncCheckpoint
from app.models.types import utcnow

MAX_HEALED_PER_RUN = 100


def rescan_open(ctx: SyncContext) -> None:
    """Open incidents, fetched as they are now; ones Vigil holds open that PagerDuty closed are re-read."""
    selected = sorted(ctx.directory.selected_services)
    if not selected:
        return
    current = list(
        ctx.client.list_incidents(
            all_dates=True, statuses=["triggered", "acknowledged"], service_ids=selected
        )
    )
    ctx.store_incidents(current, fetched=False)
    still_open = {item["id"] for item in current}
    stale = db.session.scalars(
        select(Incident.remote_id)
        .where(
            Incident.account_id == ctx.account.id,
            Incident.status != "resolved",
            Incident.remote_id.not_in(still_open),
        )
        .limit(MAX_HEALED_PER_RUN)
    ).all()
    for remote_id in stale:
        ctx.store_incidents([ctx.client.get_incident(remote_id)], fetched=False)
        entries = ctx.client.list_incident_log_entries(remote_id)
        ctx.record(store.store_log_entries(ctx.account, entries, ctx.directory, ctx.writes.entry_fields))
    ctx.commit()


def needs_backfill(account: PagerDutyAccount, now: datetime | None = None) -> bool:
    plan = db.session.scalar(
        select(SyncCheckpoint).where(
            SyncCheckpoint.account_id == account.id, SyncCheckpoint.stream == "backfill"
        )
    )
    return bool(plan and plan.data) or _new_plan(account, now or utcnow()) is not None


def run_backfill(ctx: SyncContext) -> None:
    sync_directory(ctx, force=True)
    plan_row = checkpoint(ctx.account, "backfill")
    for _ in range(2):  # a plan in progress or for new services, then possibly an extension
        if not plan_row.data:
            plan = _new_plan(ctx.account, ctx.now)
            if plan is None:
                return
            plan_row.data = plan
            ctx.commit(progress=0.0, stage="Planning backfill")
        _run_plan(ctx, plan_row)


def _run_plan(ctx: SyncContext, plan_row: SyncCheckpoint) -> None:
    account = ctx.account
    plan = dict(plan_row.data)
    extend = bool(plan.get("extend"))
    start, end = datetime.fromisoformat(plan["start"]), datetime.fromisoformat(plan["end"])
    span = max((end - start).total_seconds(), 1.0)

    def mark(key: str, weight: float, offset: float) -> Callable[[datetime], None]:
        def on_chunk(until: datetime) -> None:
            plan[key] = until.isoformat()
            plan_row.data = dict(plan)
            ctx.commit(progress=offset + weight * (until - start).total_seconds() / span)

        return on_chunk

    label = "Backfilling older history:" if extend else "Backfilling"
    ctx.commit(stage=f"{label} incidents")
    since = datetime.fromisoformat(plan["incidents_until"])
    live = select(PDService.remote_id).where(
        PDService.account_id == account.id, PDService.deleted_remotely.is_(False)
    )
    all_selected = set(plan["services"]) == set(db.session.scalars(live))
    sync_incidents(
        ctx, since, end, None if all_selected else plan["services"], mark("incidents_until", 0.4, 0.0)
    )
    if extend and "log_entries_end" not in plan:
        plan["log_entries_end"] = _extension_entries_end(account, plan, ctx.now).isoformat()
        plan_row.data = dict(plan)
    ctx.commit(stage=f"{label} log entries")
    sync_log_entries(
        ctx,
        datetime.fromisoformat(plan["log_entries_until"]),
        datetime.fromisoformat(plan.get("log_entries_end", plan["end"])),
        False,
        mark("log_entries_until", 0.5, 0.4),
    )
    services = update(PDService).where(
        PDService.account_id == account.id, PDService.remote_id.in_(plan["services"])
    )
    if extend:
        # Change events older than 90 days are gone from PagerDuty (API-NOTES §2.9), and the incremental
        # checkpoints already cover the recent period: the older incidents are all there is to fetch.
        db.session.execute(services.values(history_from=start))
        plan_row.data = {}
        ctx.commit(progress=1.0, stage="Older history done")
        return
    ctx.commit(stage="Backfilling change events")
    sync_change_events(ctx, end - CHANGE_EVENT_RETENTION, end)
    db.session.execute(services.values(backfilled_at=ctx.now, history_from=start))
    for stream in ("incidents", "log_entries"):
        cp = checkpoint(account, stream)
        cp.position = cp.position or end
    plan_row.data = {}
    ctx.commit(progress=1.0, stage="Backfill done")


def run_incremental(ctx: SyncContext) -> None:
    account = ctx.account
    sync_directory(ctx)
    selected = sorted(ctx.directory.selected_services)
    incidents_cp, entries_cp = checkpoint(account, "incidents"), checkpoint(account, "log_entries")
    default = ctx.now - timedelta(days=1)

    def advance(cp: SyncCheckpoint) -> Callable[[datetime], None]:
        def on_chunk(until: datetime) -> None:
            cp.position = until
            ctx.commit()

        return on_chunk

    ctx.commit(stage="New incidents", progress=0.1)
    if selected:
        sync_incidents(
            ctx, (incidents_cp.position or default) - OVERLAP, ctx.now, selected, advance(incidents_cp)
        )
    ctx.commit(stage="Changes to incidents", progress=0.4)
    sync_log_entries(ctx, (entries_cp.position or default) - OVERLAP, ctx.now, True, advance(entries_cp))
    ctx.commit(stage="Open incidents", progress=0.7)
    rescan_open(ctx)
    ce_cp = checkpoint(account, "change_events")
    ctx.commit(stage="Change events", progress=0.9)
    sync_change_events(ctx, (ce_cp.position or ctx.now - CHANGE_EVENT_RETENTION) - OVERLAP, ctx.now)
    ctx.commit(progress=1.0, stage="Up to date")


def _selected_services(account: PagerDutyAccount, *conditions: Any) -> list[PDService]:
    return list(
        db.session.scalars(
            select(PDService).where(
                PDService.account_id == account.id, PDService.selected.is_(True), *conditions
            )
        )
    )


def _new_plan(account: PagerDutyAccount, now: datetime) -> dict[str, Any] | None:
    """The whole history of the selected services not backfilled yet or, failing those, the older period of a
    lengthened history for the backfilled ones, or None when there is nothing to fetch."""
    start = now - timedelta(days=account.history_days)
    services = _selected_services(account, PDService.backfilled_at.is_(None))
    end, extend = now, False
    if not services:
        # `history_from` is fixed when a backfill ends while the wanted start moves forward with time, so
        # only a lengthened history (not the passing days) puts a backfilled service here.
        services = _selected_services(
            account, PDService.backfilled_at.is_not(None), PDService.history_from > start
        )
        if not services:
            return None
        # One plan for all of them: a service whose history already reaches further back is fetched again over
        # the overlap, which the upserts make harmless.
        end, extend = max(s.history_from for s in services if s.history_from is not None), True
    return {
        "services": sorted(s.remote_id for s in services),
        "start": start.isoformat(),
        "end": end.isoformat(),
        "extend": extend,
        "incidents_until": start.isoformat(),
        "log_entries_until": start.isoformat(),
    }


def _extension_entries_end(account: PagerDutyAccount, plan: dict[str, Any], now: datetime) -> datetime:
    """Where the log entries of an extension's incidents end: one created in the older period may have been
    acknowledged or resolved after it, entries the first backfill skipped (Vigil did not keep the incident
    then). So: the last resolution among them, or now while one is still open."""
    start, end = datetime.fromisoformat(plan["start"]), datetime.fromisoformat(plan["end"])
    population = (
        select(Incident.resolved_at)
        .join(PDService, PDService.id == Incident.service_id)
        .where(
            Incident.account_id == account.id,
            PDService.remote_id.in_(plan["services"]),
            Incident.created_at >= start,
            Incident.created_at < end,
        )
        .subquery()
    )
    open_count, last_resolved = db.session.execute(
        select(func.count().filter(population.c.resolved_at.is_(None)), func.max(population.c.resolved_at))
    ).one()
    if open_count:
        return now
    # A list's `until` leaves out an entry at that very instant, and the resolve entry is at resolved_at.
    return max(end, last_resolved + timedelta(minutes=1)) if last_resolved is not None else end
