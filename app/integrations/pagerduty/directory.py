"""An account's services and teams: fetched on link and on "Refresh services", and which ones are selected.

Rows are keyed on (account, remote id), so a refresh is idempotent; a service PagerDuty no longer lists is
kept (its incidents may be synced) and flagged `deleted_remotely`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import PagerDutyAccount, PDService, PDTeam

from .client import PagerDutyClient
from .errors import PagerDutyError
from .sync import store
from .sync.upsert import pairs

Json = Mapping[str, Any]

# API-NOTES §2.4: 402 when the account lacks the `teams` ability, 403 without the teams.read scope.
_TEAMS_UNAVAILABLE = frozenset({402, 403})


@dataclass(frozen=True)
class DirectoryResult:
    services: int
    teams: int
    added: int
    removed: int


def refresh_directory(account: PagerDutyAccount, client: PagerDutyClient) -> DirectoryResult:
    """Fetch services and teams and upsert them; the caller commits. PagerDutyError goes up."""
    # API-NOTES §2.3: include[]=teams embeds the teams, so there is no request per service.
    services = client.list_services(include=["teams"])
    try:
        teams = client.list_teams()
    except PagerDutyError as err:
        if err.status not in _TEAMS_UNAVAILABLE:
            raise
        teams = []
    # Every team once: from `GET /teams` first, then from the services' `teams[]` (objects or references).
    found: dict[str, Json] = {}
    for doc in [*teams, *(t for s in services for t in s.get("teams") or [])]:
        found.setdefault(str(doc["id"]), doc)
    docs = list(found.values())
    store.store_teams(account, docs)
    team_ids = pairs(select(PDTeam.remote_id, PDTeam.id).where(PDTeam.account_id == account.id))
    counts, removed = store.store_services(account, services, team_ids)
    return DirectoryResult(len(services), len(docs), counts.created, removed)


def filtered_services(account: PagerDutyAccount, query: str = "") -> list[PDService]:
    """The account's services by name, filtered by service or team name (case-insensitive)."""
    statement = (
        select(PDService)
        .where(PDService.account_id == account.id)
        .options(selectinload(PDService.teams))
        .order_by(PDService.deleted_remotely, PDService.name, PDService.id)
    )
    query = query.strip().lower()
    if query:
        name_match = db.func.lower(PDService.name).contains(query, autoescape=True)
        team_match = PDService.teams.any(db.func.lower(PDTeam.name).contains(query, autoescape=True))
        statement = statement.where(or_(name_match, team_match))
    return list(db.session.scalars(statement))


def selection_counts(account: PagerDutyAccount) -> tuple[int, int]:
    """(selected, total) services of the account, counted in SQL."""
    count = select(db.func.count(PDService.id)).where(PDService.account_id == account.id)
    total = db.session.scalar(count) or 0
    chosen = db.session.scalar(count.where(PDService.selected.is_(True)))
    return int(chosen or 0), int(total)
