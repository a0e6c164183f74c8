"""An account's synced history: how far back its sync fetches (the admin's setting, its bounds, what a change
means), and deleting what was synced for a service the admin stopped following.

PagerDuty documents no limit on how far back incidents can be listed, only that one request may span at most
6 months (API-NOTES §2.5; the sync asks in 30-day chunks anyway) and that change events are kept 90 days
(§2.9). The upper bound keeps a backfill finite; the lower one keeps the dashboard's longest preset (90 days)
and its comparison with the 90 days before it meaningful.

Deselecting a service only stops the sync: its incidents (with their log entries, interruption verdicts and
team links, which the database's cascades take along) and deployments stay in reports until deleted here.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, exists, func, select

from app.accounts import audit
from app.analytics import changes
from app.extensions import db
from app.models import AccountStatus, Deployment, Incident, PagerDutyAccount, PDService

from .link import account_label

MIN_DAYS = 30
MAX_DAYS = 1825  # 5 years
BOUNDS_MESSAGE = f"History must be a whole number of days from {MIN_DAYS} to {MAX_DAYS} (5 years)."


class HistoryError(ValueError):
    """A setting that cannot be saved or data that cannot be deleted; the message is shown as it is."""


@dataclass(frozen=True)
class HistoryChange:
    previous: int
    days: int

    @property
    def lengthened(self) -> bool:
        return self.days > self.previous

    def describe(self) -> str:
        if self.days == self.previous:
            return f"Unchanged: Vigil keeps {self.days} days of history."
        if self.lengthened:
            return (
                f"Saved: {self.days} days of history. The next sync fetches the older incidents of the "
                "services you follow."
            )
        return (
            f"Saved: {self.days} days of history for services followed from now on. Incidents already "
            "synced from further back are kept."
        )


def set_history_days(account: PagerDutyAccount, days: int, via: str = "web") -> HistoryChange:
    """Save the setting (audited, committed). A lengthened history is fetched by the next sync
    (`sync/passes.py`); a shortened one deletes nothing."""
    if account.status is AccountStatus.UNLINKED:
        raise HistoryError("This account is unlinked: re-link it to change its history.")
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise HistoryError(BOUNDS_MESSAGE)
    change = HistoryChange(previous=account.history_days, days=days)
    if change.days != change.previous:
        account.history_days = days
        audit.record(
            account.workspace,
            "pagerduty.history_changed",
            account_label(account),
            days=days,
            previous=change.previous,
            via=via,
        )
        db.session.commit()
    return change


@dataclass(frozen=True)
class ServiceData:
    incidents: int
    deployments: int

    def describe(self) -> str:
        return f"{_plural(self.incidents, 'incident')} and {_plural(self.deployments, 'deployment')}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def data_of(service: PDService) -> ServiceData:
    incidents = db.session.scalar(select(func.count(Incident.id)).where(Incident.service_id == service.id))
    deployments = db.session.scalar(
        select(func.count(Deployment.id)).where(Deployment.service_id == service.id)
    )
    return ServiceData(int(incidents or 0), int(deployments or 0))


def deselected_with_data(account: PagerDutyAccount) -> set[int]:
    """Ids of the account's services not followed that still hold incidents or deployments."""
    has_incidents = exists().where(Incident.service_id == PDService.id)
    has_deployments = exists().where(Deployment.service_id == PDService.id)
    return set(
        db.session.scalars(
            select(PDService.id).where(
                PDService.account_id == account.id,
                PDService.selected.is_(False),
                has_incidents | has_deployments,
            )
        )
    )


def refusal(account: PagerDutyAccount, service: PDService) -> str | None:
    """Why the service's data may not be deleted now, or None. A followed service would be fetched again by
    the next sync; an unlinked account's data goes as a whole (unlinking.py)."""
    if account.status is AccountStatus.UNLINKED:
        return "This account is unlinked: delete its synced data as a whole from its card."
    if service.selected:
        return f"{service.name} is followed: stop following it first, then delete its data."
    return None


def delete_service_data(account: PagerDutyAccount, service: PDService, via: str = "web") -> ServiceData:
    """Delete (audited, committed) and return what was deleted; refused for the reasons `refusal` gives."""
    if service.account_id != account.id:
        raise ValueError("the service belongs to another account")
    problem = refusal(account, service)
    if problem is not None:
        raise HistoryError(problem)
    deleted = data_of(service)
    for model in (Incident, Deployment):
        db.session.execute(
            delete(model).where(model.service_id == service.id).execution_options(synchronize_session=False)
        )
    # Following it again later fetches its whole history anew.
    service.backfilled_at, service.history_from = None, None
    changes.rows_changed(account.workspace_id)
    audit.record(
        account.workspace,
        "pagerduty.service_data_deleted",
        account_label(account),
        service=service.name,
        incidents=deleted.incidents,
        deployments=deleted.deployments,
        via=via,
    )
    db.session.commit()
    return deleted
