"""What a backfill fetches: the whole history of newly selected services, or, after the account's history was
lengthened, only the older period not fetched yet for the services already backfilled.

A plan is stored in the "backfill" checkpoint (JSON) and resumed from it, so it must hold plain values.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from app.extensions import db
from app.models import Incident, PagerDutyAccount, PDService


def history_start(account: PagerDutyAccount, now: datetime) -> datetime:
    return now - timedelta(days=account.history_days)


def pending_backfill(account: PagerDutyAccount) -> list[PDService]:
    """Selected services whose history has not been fetched at all."""
    return list(
        db.session.scalars(
            select(PDService).where(
                PDService.account_id == account.id,
                PDService.selected.is_(True),
                PDService.backfilled_at.is_(None),
            )
        )
    )


def pending_extension(account: PagerDutyAccount, now: datetime) -> list[PDService]:
    """Backfilled selected services whose fetched history starts later than the account's history asks.

    `history_from` is fixed when a backfill ends while the wanted start moves forward with time, so only a
    lengthened history (not the passing days) puts a service here.
    """
    return list(
        db.session.scalars(
            select(PDService).where(
                PDService.account_id == account.id,
                PDService.selected.is_(True),
                PDService.backfilled_at.is_not(None),
                PDService.history_from > history_start(account, now),
            )
        )
    )


def new_plan(account: PagerDutyAccount, now: datetime) -> dict[str, Any] | None:
    start = history_start(account, now)
    services = pending_backfill(account)
    end, extend = now, False
    if not services:
        services = pending_extension(account, now)
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


def extension_entries_end(account: PagerDutyAccount, plan: dict[str, Any], now: datetime) -> datetime:
    """Where the log entries of an extension's incidents end.

    An incident created in the older period may have been acknowledged or resolved after it, and the first
    backfill skipped those entries (Vigil did not keep the incident then). So: up to the last resolution among
    them, or now while one of them is still open."""
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
