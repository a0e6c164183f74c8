"""Write one page of PagerDuty data: map it, resolve references to local ids, upsert, refresh derived data."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update

from app.extensions import db
from app.integrations.pagerduty.sync import mapping
from app.integrations.pagerduty.sync.derive import DERIVED_FIELDS, derived_values, refresh_derived
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
from app.models.alerts import TEST_ALERT_EXCLUSION_REASON, is_test_alert_key
from app.models.incidents import incident_teams
from app.models.pagerduty import service_teams, team_members
from app.models.types import utcnow

Json = Mapping[str, Any]
LocalFields = Callable[[mapping.LogEntryRow, int | None], dict[str, Any]]


@dataclass(frozen=True)
class AccountIds:
    id: int
    workspace_id: int


@dataclass
class Counts:
    fetched: int = 0
    created: int = 0
    updated: int = 0


MAX_KNOWN_INCIDENTS = 200_000


@dataclass
class Directory:
    """Remote id → local id for the account's services, teams and users, and the incidents met so far."""

    services: dict[str, int] = field(default_factory=dict)
    selected_services: set[str] = field(default_factory=set)
    teams: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    # Filled as incidents are written or looked up: looking up a log entry page's incidents in the upsert cost
    # a third of its time. An incident's id never changes, and a Directory lives for one sync run.
    incidents: dict[str, int] = field(default_factory=dict)

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

    def remember_incidents(self, ids: Mapping[str, int]) -> None:
        if len(self.incidents) + len(ids) > MAX_KNOWN_INCIDENTS:
            self.incidents.clear()  # bounds the worker's memory on a huge account; misses are read again
        self.incidents.update(ids)

    def incident_ids(self, account_id: int, remote_ids: Collection[str]) -> dict[str, int]:
        """The local ids of those of these incidents that Vigil keeps; ones not met yet are read."""
        missing = [remote_id for remote_id in remote_ids if remote_id not in self.incidents]
        if missing:
            # Only found ones are remembered: an incident Vigil does not keep yet may be stored later.
            self.remember_incidents(
                pairs(
                    select(Incident.remote_id, Incident.id).where(
                        Incident.account_id == account_id, Incident.remote_id.in_(missing)
                    )
                )
            )
        known = self.incidents
        return {remote_id: known[remote_id] for remote_id in remote_ids if remote_id in known}


def store_teams(account: PagerDutyAccount, raw: Iterable[Json]) -> Counts:
    rows = [mapping.map_team(item) for item in raw]
    result = upsert_by_remote_id(PDTeam, account.id, account.workspace_id, rows)
    return Counts(len(rows), result.created, result.updated)


def store_services(
    account: PagerDutyAccount, raw: Iterable[Json], teams: Mapping[str, int]
) -> tuple[Counts, int]:
    """Services and their team links; returns counts and how many PagerDuty no longer lists. `selected` is the
    admin's choice and never touched here; a service gone from PagerDuty is kept (its incidents may be synced)
    and flagged `deleted_remotely`."""
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


def store_users(
    account: PagerDutyAccount, raw: Iterable[Json], teams: Mapping[str, int]
) -> tuple[Counts, list[int]]:
    """Users and their team links; returns counts and the people seen before whose zone changed (their
    notifications' local times follow)."""
    rows = [mapping.map_user(item) for item in raw]
    zones_before = pairs(select(PDUser.remote_id, PDUser.time_zone).where(PDUser.account_id == account.id))
    result = upsert_by_remote_id(
        PDUser, account.id, account.workspace_id, [(r.remote_id, r.values) for r in rows]
    )
    rezoned = [
        result.ids[r.remote_id]
        for r in rows
        if r.remote_id in zones_before and zones_before[r.remote_id] != r.values["time_zone"]
    ]
    memberships: dict[int, list[int]] = {team_id: [] for team_id in teams.values()}
    for r in rows:
        for team_id in [teams[t] for t in r.team_remote_ids if t in teams]:
            memberships[team_id].append(result.ids[r.remote_id])
    replace_links(team_members, "team_id", "user_id", memberships)
    return Counts(len(rows), result.created, result.updated), rezoned


def store_priorities(account: PagerDutyAccount, raw: Iterable[Json]) -> Counts:
    rows = [mapping.map_priority(item, rank) for rank, item in enumerate(raw)]
    result = upsert_by_remote_id(PDPriority, account.id, account.workspace_id, rows)
    return Counts(len(rows), result.created, result.updated)


def store_incidents(
    account: PagerDutyAccount | AccountIds,
    raw: Iterable[Json],
    directory: Directory,
    only_selected: bool = True,
) -> tuple[Counts, list[int]]:
    """Upsert incidents of known (by default: selected) services; returns counts and the ids of those seen
    before (one may have moved to another service, and its interruption verdicts carry the service). A new
    incident is inserted with its derived columns set from its own fields (it has no log entries yet); one
    that changed is refreshed from its log entries afterwards."""
    counts = Counts()
    rows: list[tuple[str, dict[str, Any]]] = []
    teams_of: dict[str, tuple[str, ...]] = {}
    inexact: set[str] = set()  # PagerDuty sent a resolved_at the derived one drops: refreshed even when new
    wanted = directory.selected_services if only_selected else directory.services
    for item in raw:
        counts.fetched += 1
        row = mapping.map_incident(item)
        if row.service_remote_id not in wanted:
            continue
        values = {**row.values, "service_id": directory.services[row.service_remote_id]}
        derived = derived_values(values["created_at"], values["status"], values["resolved_at"], None)
        if derived["resolved_at"] != values["resolved_at"]:
            inexact.add(row.remote_id)
        rows.append((row.remote_id, {**derived, **values, **_exclusion_of(values)}))
        teams_of[row.remote_id] = row.team_remote_ids
    result = upsert_by_remote_id(
        Incident, account.id, account.workspace_id, rows, insert_only=_INSERT_ONLY_DERIVED
    )
    counts.created, counts.updated = result.created, result.updated
    directory.remember_incidents(result.ids)
    links = {
        result.ids[remote_id]: [directory.teams[t] for t in team_ids if t in directory.teams]
        for remote_id, team_ids in teams_of.items()
    }
    fresh = {result.ids[remote_id] for remote_id in result.created_ids}
    replace_links(incident_teams, "incident_id", "team_id", links, fresh=fresh)
    stale = [result.ids[r] for r in result.written if r not in result.created_ids or r in inexact]
    counts.updated += refresh_derived(stale)
    return counts, [i for i in result.ids.values() if i not in fresh]


# Derived columns a later write of the incident leaves to refresh_derived (resolved_at is also PagerDuty's),
# and the exclusion a new incident starts with, which only a person changes later.
_EXCLUSION_FIELDS = ("excluded", "excluded_reason", "excluded_at")
_INSERT_ONLY_DERIVED = frozenset(DERIVED_FIELDS) - {"resolved_at"} | frozenset(_EXCLUSION_FIELDS)


def _exclusion_of(values: Mapping[str, Any]) -> dict[str, Any]:
    """Vigil's own test alerts start excluded from every metric (visibly, and a person may include them)."""
    if is_test_alert_key(values["incident_key"]):
        return {"excluded": True, "excluded_reason": TEST_ALERT_EXCLUSION_REASON, "excluded_at": utcnow()}
    return {"excluded": False, "excluded_reason": None, "excluded_at": None}


def store_log_entries(
    account: PagerDutyAccount | AccountIds,
    raw: Iterable[Json],
    directory: Directory,
    local_fields: LocalFields | None = None,
) -> Counts:
    """Upsert log entries of incidents Vigil keeps, then refresh the derived columns of those changed."""
    counts, _, changed = upsert_log_entries(account, raw, directory, local_fields)
    counts.updated += refresh_derived(changed)
    return counts


def upsert_log_entries(
    account: PagerDutyAccount | AccountIds,
    raw: Iterable[Json],
    directory: Directory,
    local_fields: LocalFields | None = None,
) -> tuple[Counts, set[int], set[int]]:
    """Upsert log entries of incidents Vigil keeps (others are skipped), without refreshing derived columns;
    returns counts, the incidents the entries belong to, and the incidents whose entries were written."""
    mapped = [mapping.map_log_entry(item) for item in raw]
    counts = Counts(fetched=len(mapped))
    incident_ids = directory.incident_ids(account.id, {m.incident_remote_id for m in mapped})
    rows = []
    for entry in mapped:
        incident_id = incident_ids.get(entry.incident_remote_id)
        if incident_id is None:
            continue
        user_id = directory.users.get(entry.user_remote_id) if entry.user_remote_id else None
        extra = local_fields(entry, user_id) if local_fields else {}
        rows.append(
            (entry.remote_id, {**entry.values, "user_id": user_id, **extra, "incident_id": incident_id})
        )
    result = upsert_by_remote_id(IncidentLogEntry, account.id, account.workspace_id, rows, want_ids=False)
    counts.created, counts.updated = result.created, result.updated
    seen = {values["incident_id"] for _, values in rows}
    changed = {values["incident_id"] for remote_id, values in rows if remote_id in result.written}
    return counts, seen, changed


def store_change_events(
    account: PagerDutyAccount | AccountIds, raw: Iterable[Json], directory: Directory
) -> Counts:
    """Change events become deployments, one per named service Vigil knows."""
    counts = Counts()
    wanted: dict[tuple[str, int], dict[str, Any]] = {}
    for item in raw:
        counts.fetched += 1
        event = mapping.map_change_event(item)
        for remote_service in event.service_remote_ids:
            if remote_service in directory.services:
                wanted[(event.remote_id, directory.services[remote_service])] = event.values
    if not wanted:
        return counts
    source = DeploymentSource.CHANGE_EVENT
    existing = {
        (row.remote_id, row.service_id): row
        for row in db.session.scalars(
            select(Deployment).where(
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
