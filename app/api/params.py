"""The population read strictly from query parameters (metrics, incidents, `flask metrics show`): a bad value
is a 400 naming its field, not a default. Services and teams are PagerDuty ids mapped within the key's
workspace (another workspace's id is unknown); priorities are synced names (P1), `none` meaning no priority.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from app.analytics.population import DEFAULT_DAYS, MAX_DAYS, NO_PRIORITY, URGENCIES, Population
from app.analytics.query import MetricQuery
from app.analytics.windows import local_date
from app.api.errors import bad_request
from app.extensions import db
from app.models import PDPriority, PDService, PDTeam, Workspace
from app.models.types import utcnow


def split_values(values: Sequence[str], field: str) -> list[str]:
    """`?service=A&service=B` and `?service=A,B` both work."""
    parts = [part.strip() for value in values for part in value.split(",") if part.strip()]
    if any("\x00" in part or len(part) > 255 for part in parts):
        # PostgreSQL refuses NUL in text: without this check the database, not the caller, would fail.
        raise bad_request(field, f"{field} holds a value Vigil cannot read.")
    return parts


def parse_date(value: str, field: str) -> date:
    try:
        parsed = date.fromisoformat(value.strip())
    except ValueError:
        raise bad_request(field, f"{field} must be a date as YYYY-MM-DD.") from None
    # Local midnight of year 1 or 9999 has no UTC instant in some zones; no incident is that old anyway.
    if not 1970 <= parsed.year <= 2999:
        raise bad_request(field, f"{field} must be between 1970 and 2999.")
    return parsed


def window_dates(workspace: Workspace, start: str | None, end: str | None) -> tuple[date, date]:
    """Local dates [start, end). Without `end`, up to and including today; without `start`, 30 days before
    `end` (so neither gives the last 30 whole days, today included)."""
    if end:
        end_date = parse_date(end, "end")
    else:
        end_date = local_date(utcnow(), ZoneInfo(workspace.timezone)) + timedelta(days=1)
    start_date = parse_date(start, "start") if start else end_date - timedelta(days=DEFAULT_DAYS)
    if end_date <= start_date:
        raise bad_request("end", "end must be after start (end is exclusive).")
    if (end_date - start_date).days > MAX_DAYS:
        raise bad_request("end", f"The window is at most {MAX_DAYS} days long.")
    return start_date, end_date


def _local_ids(
    model: type[PDService] | type[PDTeam], workspace: Workspace, values: Sequence[str], field: str
) -> tuple[int, ...]:
    wanted = split_values(values, field)
    if not wanted:
        return ()
    rows = db.session.execute(
        select(model.id, model.remote_id).where(
            model.workspace_id == workspace.id, model.remote_id.in_(wanted)
        )
    ).all()
    unknown = sorted(set(wanted) - {row.remote_id for row in rows})
    if unknown:
        raise bad_request(field, f"Unknown {field} id: {', '.join(unknown)}.")
    return tuple(sorted({row.id for row in rows}))


def priority_names(workspace: Workspace, values: Sequence[str]) -> tuple[str, ...]:
    """Priority names synced for the workspace, `none` meaning "no priority"."""
    wanted = list(dict.fromkeys(split_values(values, "priority")))
    if not wanted:
        return ()
    known = set(
        db.session.scalars(
            select(func.distinct(PDPriority.name)).where(
                PDPriority.workspace_id == workspace.id, PDPriority.name.in_(wanted)
            )
        )
    )
    unknown = [name for name in wanted if name != NO_PRIORITY and name not in known]
    if unknown:
        raise bad_request("priority", f"Unknown priority: {', '.join(unknown)}.")
    return tuple(wanted)


def choices(values: Sequence[str], allowed: Sequence[str], field: str) -> tuple[str, ...]:
    wanted = split_values(values, field)
    if any(value not in allowed for value in wanted):
        raise bad_request(field, f"{field} must be one of: {', '.join(allowed)}.")
    return tuple(dict.fromkeys(wanted))


def metric_query(
    workspace: Workspace,
    start: str | None = None,
    end: str | None = None,
    services: Sequence[str] = (),
    teams: Sequence[str] = (),
    urgency: Sequence[str] = (),
    priority: Sequence[str] = (),
) -> MetricQuery:
    """Validate everything a caller may send and build the engine's query; a bad value raises a 400."""
    start_date, end_date = window_dates(workspace, start, end)
    return Population(
        days=None,
        start=start_date,
        end=end_date,
        services=_local_ids(PDService, workspace, services, "service"),
        teams=_local_ids(PDTeam, workspace, teams, "team"),
        urgencies=choices(urgency, URGENCIES, "urgency"),
        priorities=priority_names(workspace, priority),
    ).query(workspace)


def query_from_args(workspace: Workspace, args: MultiDict[str, str]) -> MetricQuery:
    return metric_query(
        workspace,
        args.get("start"),
        args.get("end"),
        args.getlist("service"),
        args.getlist("team"),
        args.getlist("urgency"),
        args.getlist("priority"),
    )
