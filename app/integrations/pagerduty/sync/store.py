"""Write one page of PagerDuty data: map it, resolve references to local ids, upsert, refresh derived data."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update

from app.analytics import local_times
from app.extensions import db
from app.integrations.pagerduty.sync import mapping
from app.integrations.pagerduty.sync.derive import refresh_derived
from app.integrations.pagerduty.sync.upsert import dialect_insert, pairs, replace_links, upsert_by_remote_id
from app.models import (
    Deployment,
    DeploymentSource,
    Incident,
    IncidentLogEntry,
    PagerDutyAccount,
    PDPriority,
    PDService,
    PDTeam,
    PDUser,
)
from app.models.incidents import incident_teams
from app.models.pagerduty import service_teams, team_members

Json = Mapping[str, Any]


@dataclass
class Counts:
    fetched: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0

    def add(self, other: Counts) -> None:
        self.fetched += other.fetched
        self.created += other.created
        self.updated += other.updated
        self.skipped += other.skipped


@dataclass
class Directory:
    """Remote id → local id for the account's services, teams and users."""

    services: dict[str, int] = field(default_factory=dict)
    selected_services: set[str] = field(default_factory=set)
    teams: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)

    @classmethod
    def load(cls, account: PagerDutyAccount) -> Directory:
        directory = cls()
        for remote_id, local_id, selected in db.session.execute(
            select(PDService.remote_id, PDService.id, PDService.selected).where(
                PDService.account_id == account.id
            )
        ):
            directory.services[remote_id] = local_id
            if selected:
                directory.selected_services.add(remote_id)
        directory.teams = pairs(select(PDTeam.remote_id, PDTeam.id).where(PDTeam.account_id == account.id))
        directory.users = pairs(select(PDUser.remote_id, PDUser.id).where(PDUser.account_id == account.id))
        return directory


def store_teams(account: PagerDutyAccount, raw: Iterable[Json]) -> Counts:
    rows = [mapping.map_team(item) for item in raw]
    result = upsert_by_remote_id(PDTeam, account.id, account.workspace_id, rows)
    return Counts(len(rows), result.created, result.updated)


def store_services(
    account: PagerDutyAccount, raw: Iterable[Json], teams: Mapping[str, int]
) -> tuple[Counts, int]:
    """Services and their team links; returns counts and how many PagerDuty no longer lists.

    `selected` is the admin's choice and never touched here; a service gone from PagerDuty is kept (its
    incidents may be synced) and flagged `deleted_remotely`.
    """
    rows = [mapping.map_service(item) for item in raw]
    values = [(r.remote_id, {**r.values, "deleted_remotely": False}) for r in rows]
    result = upsert_by_remote_id(PDService, account.id, account.workspace_id, values)
    links = {result.ids[r.remote_id]: [teams[t] for t in r.team_remote_ids if t in teams] for r in rows}
    replace_links(service_teams, "service_id", "team_id", links)
    gone = db.session.execute(
        update(PDService)
        .where(
            PDService.account_id == account.id,
            PDService.remote_id.not_in({r.remote_id for r in rows}),
            PDService.deleted_remotely.is_(False),
        )
        .values(deleted_remotely=True)
    )
    removed = int(getattr(gone, "rowcount", 0) or 0)
    return Counts(len(rows), result.created, result.updated + removed), removed


def store_users(account: PagerDutyAccount, raw: Iterable[Json], teams: Mapping[str, int]) -> Counts:
    rows = [mapping.map_user(item) for item in raw]
    zones_before = pairs(select(PDUser.id, PDUser.time_zone).where(PDUser.account_id == account.id))
    result = upsert_by_remote_id(
        PDUser, account.id, account.workspace_id, [(r.remote_id, r.values) for r in rows]
    )
    local_times.refresh_zone_changes(account.workspace_id, zones_before)
    memberships: dict[int, list[int]] = {team_id: [] for team_id in teams.values()}
    for r in rows:
        for team_remote in r.team_remote_ids:
            if team_remote in teams:
                memberships[teams[team_remote]].append(result.ids[r.remote_id])
    replace_links(team_members, "team_id", "user_id", memberships)
    return Counts(len(rows), result.created, result.updated)


def store_priorities(account: PagerDutyAccount, raw: Iterable[Json]) -> Counts:
    rows = [mapping.map_priority(item, rank) for rank, item in enumerate(raw)]
    result = upsert_by_remote_id(PDPriority, account.id, account.workspace_id, rows)
    return Counts(len(rows), result.created, result.updated)


def store_incidents(
    account: PagerDutyAccount,
    raw: Iterable[Json],
    directory: Directory,
    template_of: Callable[[str], str],
    only_selected: bool = True,
) -> tuple[Counts, list[int]]:
    """Upsert incidents of known (by default: selected) services; returns counts and the ids written."""
    counts = Counts()
    rows: list[tuple[str, dict[str, Any]]] = []
    teams_of: dict[str, tuple[str, ...]] = {}
    for item in raw:
        counts.fetched += 1
        row = mapping.map_incident(item)
        wanted = directory.selected_services if only_selected else directory.services
        if row.service_remote_id not in wanted:
            counts.skipped += 1
            continue
        values = {
            **row.values,
            "service_id": directory.services[row.service_remote_id],
            "title_template": template_of(row.values["title"])[:500],
        }
        rows.append((row.remote_id, values))
        teams_of[row.remote_id] = row.team_remote_ids
    result = upsert_by_remote_id(Incident, account.id, account.workspace_id, rows)
    counts.created, counts.updated = result.created, result.updated
    links = {
        result.ids[remote_id]: [directory.teams[t] for t in team_ids if t in directory.teams]
        for remote_id, team_ids in teams_of.items()
    }
    replace_links(incident_teams, "incident_id", "team_id", links)
    touched = [result.ids[remote_id] for remote_id, _ in rows]
    counts.updated += refresh_derived(touched) if (result.created or result.updated) else 0
    return counts, touched


def store_log_entries(
    account: PagerDutyAccount,
    raw: Iterable[Json],
    directory: Directory,
    local_fields: Callable[[mapping.LogEntryRow, int | None], dict[str, Any]] | None = None,
) -> Counts:
    """Upsert log entries of incidents Vigil keeps; entries of other incidents are skipped."""
    counts = Counts()
    mapped = []
    for item in raw:
        counts.fetched += 1
        mapped.append(mapping.map_log_entry(item))
    incident_ids = pairs(
        select(Incident.remote_id, Incident.id).where(
            Incident.account_id == account.id,
            Incident.remote_id.in_({m.incident_remote_id for m in mapped}),
        )
    )
    rows = []
    for entry in mapped:
        incident_id = incident_ids.get(entry.incident_remote_id)
        if incident_id is None:
            counts.skipped += 1
            continue
        user_id = directory.users.get(entry.user_remote_id) if entry.user_remote_id else None
        extra = local_fields(entry, user_id) if local_fields else {}
        rows.append(
            (entry.remote_id, {**entry.values, "incident_id": incident_id, "user_id": user_id, **extra})
        )
    result = upsert_by_remote_id(IncidentLogEntry, account.id, account.workspace_id, rows)
    counts.created, counts.updated = result.created, result.updated
    if result.created or result.updated:
        touched = sorted({values["incident_id"] for _, values in rows})
        counts.updated += refresh_derived(touched)
    return counts


def store_change_events(account: PagerDutyAccount, raw: Iterable[Json], directory: Directory) -> Counts:
    """Change events become deployments, one per named service Vigil knows."""
    counts = Counts()
    wanted: dict[tuple[str, int], dict[str, Any]] = {}
    for item in raw:
        counts.fetched += 1
        event = mapping.map_change_event(item)
        services = [directory.services[s] for s in event.service_remote_ids if s in directory.services]
        if not services:
            counts.skipped += 1
        for service_id in services:
            wanted[(event.remote_id, service_id)] = event.values
    if not wanted:
        return counts
    source = DeploymentSource.CHANGE_EVENT
    existing = {
        (row.remote_id, row.service_id): row
        for row in db.session.execute(
            select(
                Deployment.id,
                Deployment.remote_id,
                Deployment.service_id,
                Deployment.at,
                Deployment.summary,
                Deployment.url,
            ).where(
                Deployment.workspace_id == account.workspace_id,
                Deployment.source == source,
                Deployment.remote_id.in_({key[0] for key in wanted}),
            )
        )
    }
    inserts = [
        {
            "workspace_id": account.workspace_id,
            "account_id": account.id,
            "service_id": service_id,
            "source": source,
            "remote_id": remote_id,
            **values,
        }
        for (remote_id, service_id), values in wanted.items()
        if (remote_id, service_id) not in existing
    ]
    updates = [
        {"id": existing[key].id, **values}
        for key, values in wanted.items()
        if key in existing and any(getattr(existing[key], name) != value for name, value in values.items())
    ]
    if inserts:
        db.session.execute(
            dialect_insert(Deployment).on_conflict_do_nothing(
                index_elements=["workspace_id", "source", "remote_id", "service_id"]
            ),
            inserts,
        )
    if updates:
        db.session.execute(update(Deployment), updates)
    counts.created, counts.updated = len(inserts), len(updates)
    return counts
