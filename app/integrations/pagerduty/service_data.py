"""Delete what was synced for one service the admin stopped following: its incidents (with their log entries,
interruption verdicts and team links) and its deployments.

Deselecting only stops the sync (the data stays in reports until deleted here). The database's cascades take
the rows that belong to the incidents along.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, exists, func, select

from app.accounts import audit
from app.analytics import changes
from app.extensions import db
from app.models import AccountStatus, Deployment, Incident, PagerDutyAccount, PDService

from .link import account_label


class ServiceDataError(ValueError):
    """The data cannot be deleted; the message says why and is shown as it is."""


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
        raise ServiceDataError(problem)
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
