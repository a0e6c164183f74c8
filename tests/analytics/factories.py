"""Incidents, log entries and deployments for the metric tests, derived columns filled as sync would."""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.analytics import interruption_store, local_times
from app.analytics.query import MetricQuery
from app.extensions import db
from app.integrations.pagerduty.sync.mapping import normalise_title
from app.models import (
    Deployment,
    DeploymentSource,
    Incident,
    IncidentLogEntry,
    Interruption,
    LogEntryType,
    PagerDutyAccount,
    PDPriority,
    PDService,
    PDTeam,
    PDUser,
    Workspace,
)
from tests.factories import make_pd_account, make_pd_user, make_service, make_team, make_workspace

_seq = itertools.count(1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@dataclass
class World:
    """A workspace with one account, two selected services, one unselected service and a team."""

    workspace: Workspace
    account: PagerDutyAccount
    api: PDService
    web: PDService
    legacy: PDService  # not selected: out of the default population
    team: PDTeam


def make_world(timezone: str = "UTC", name: str | None = None, **settings: object) -> World:
    workspace = make_workspace(name, timezone=timezone)
    for key, value in settings.items():
        setattr(workspace, key, value)
    account = make_pd_account(workspace, subdomain=f"acct{next(_seq)}")
    world = World(
        workspace=workspace,
        account=account,
        api=make_service(account, "api"),
        web=make_service(account, "web"),
        legacy=make_service(account, "legacy", selected=False),
        team=make_team(account, "Payments"),
    )
    db.session.flush()
    return world


def query(world: World, start: datetime, end: datetime, **filters: object) -> MetricQuery:
    return MetricQuery(world.workspace.id, start, end, world.workspace.timezone, **filters)  # type: ignore[arg-type]


def make_incident(
    service: PDService,
    created_at: datetime,
    *,
    ack_after: float | None = None,
    resolve_after: float | None = None,
    status: str | None = None,
    urgency: str = "high",
    priority: str | None = None,
    escalation_count: int = 0,
    auto_resolved: bool = False,
    reopen_count: int = 0,
    title: str = "Something broke",
    teams: Sequence[PDTeam] = (),
    excluded: bool = False,
) -> Incident:
    """ack_after / resolve_after are seconds after created_at, as sync derives them from log entries."""
    n = next(_seq)
    incident = Incident(
        workspace_id=service.workspace_id,
        account_id=service.account_id,
        service_id=service.id,
        remote_id=f"PINC{n:05d}",
        number=n,
        title=title,
        title_template=normalise_title(title),
        status=status
        or ("resolved" if resolve_after is not None else "acknowledged" if ack_after else "triggered"),
        urgency=urgency,
        priority=priority,
        created_at=created_at,
        first_ack_at=created_at + timedelta(seconds=ack_after) if ack_after is not None else None,
        ack_seconds=ack_after,
        resolved_at=created_at + timedelta(seconds=resolve_after) if resolve_after is not None else None,
        resolve_seconds=resolve_after,
        escalation_count=escalation_count,
        auto_resolved=auto_resolved,
        reopen_count=reopen_count,
        excluded=excluded,
    )
    incident.teams = list(teams)
    db.session.add(incident)
    db.session.flush()
    return incident


def make_log_entry(
    incident: Incident,
    kind: LogEntryType,
    at: datetime,
    user: PDUser | None = None,
    channel: str | None = None,
) -> IncidentLogEntry:
    entry = IncidentLogEntry(
        workspace_id=incident.workspace_id,
        account_id=incident.account_id,
        incident_id=incident.id,
        remote_id=f"PLOG{next(_seq):06d}",
        type=kind.value,
        at=at,
        user_id=user.id if user is not None else None,
        channel=channel,
    )
    if user is not None and kind is LogEntryType.NOTIFY:  # as sync computes them with each entry
        local = at.astimezone(local_times.zones_by_user(incident.workspace_id).get(user.id, UTC))
        entry.local_hour, entry.local_isoweekday = local.hour, local.isoweekday()
    db.session.add(entry)
    db.session.flush()
    if kind is LogEntryType.ACKNOWLEDGE and (incident.first_ack_at is None or at < incident.first_ack_at):
        # As sync derives it: the incident's first acknowledgement is its earliest (the first written, at
        # the same instant), with who made it.
        incident.first_ack_at = at
        incident.first_ack_user_id = user.id if user is not None else None
        incident.ack_seconds = (at - incident.created_at).total_seconds()
    interruption_store.settle_account(entry.account_id)  # as sync does before it commits
    return entry


def make_notification(
    incident: Incident, user: PDUser, at: datetime, channel: str = "sms"
) -> IncidentLogEntry:
    return make_log_entry(incident, LogEntryType.NOTIFY, at, user, channel)


def make_deployment(
    service: PDService, at: datetime, summary: str = "deploy", source: DeploymentSource = DeploymentSource.API
) -> Deployment:
    deployment = Deployment(
        workspace_id=service.workspace_id,
        account_id=service.account_id,
        service_id=service.id,
        source=source,
        remote_id=f"DEP{next(_seq):05d}",
        at=at,
        summary=summary,
    )
    db.session.add(deployment)
    db.session.flush()
    return deployment


def make_responder(world: World, name: str, time_zone: str | None = "UTC") -> PDUser:
    return make_pd_user(world.account, name, time_zone=time_zone)


def expected_interruptions(workspace_id: int) -> set[int]:
    """The log entry ids that should count, worked out from scratch by the rule in docs/metrics.md: each
    person's SMS/phone/push notifications of incidents not excluded, in time order over their whole history,
    the first counting and each later one counting 60 s or more after the last that counted."""
    from app.analytics.interruptions import INTERRUPTING_CHANNELS, counted_indices

    entry = IncidentLogEntry
    rows = db.session.execute(
        select(entry.id, entry.user_id, entry.at)
        .join(Incident, Incident.id == entry.incident_id)
        .where(
            entry.workspace_id == workspace_id,
            entry.type == LogEntryType.NOTIFY.value,
            entry.channel.in_(INTERRUPTING_CHANNELS),
            entry.user_id.is_not(None),
            Incident.excluded.is_(False),
        )
        .order_by(entry.user_id, entry.at, entry.id)
    ).all()
    by_user: dict[int, list[tuple[int, datetime]]] = {}
    for row in rows:
        by_user.setdefault(row.user_id, []).append((row.id, row.at))
    return {notes[i][0] for notes in by_user.values() for i in counted_indices([at for _id, at in notes])}


def stored_interruptions(workspace_id: int) -> set[int]:
    return set(
        db.session.scalars(select(Interruption.log_entry_id).where(Interruption.workspace_id == workspace_id))
    )


def make_priority(world: World, name: str, rank: int = 0) -> PDPriority:
    """A priority as sync stores it from GET /priorities (rank = its place in PagerDuty's list)."""
    priority = PDPriority(
        workspace_id=world.workspace.id,
        account_id=world.account.id,
        remote_id=f"PPRI{next(_seq):04d}",
        name=name,
        rank=rank,
    )
    db.session.add(priority)
    db.session.flush()
    return priority


def clear_of_midnight(zone: str, margin: float = 60) -> None:
    """A dashboard view's window ends at the next local midnight, so a view asked for just after one is not
    the view the job kept just before it (CI once ran such a test across 00:00 UTC): start after it."""
    now = datetime.now(ZoneInfo(zone))
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), now.tzinfo)
    left = (midnight - now).total_seconds()
    if left < margin:
        time.sleep(left + 1)
