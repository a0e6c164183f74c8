"""Excluding an incident from every metric (a test page, a drill) and taking it back: the incident keeps its
row, only `excluded` and who/when/why change, and every change is audited, so an exclusion is visible and
reversible. Callers load the incident scoped to the current workspace and commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, true

from app.accounts import audit
from app.analytics import changes
from app.extensions import db
from app.inputs import text_problem
from app.models import Incident, User, Workspace
from app.models.types import utcnow

MAX_REASON_LENGTH = 200  # Incident.excluded_reason's size


class ExclusionError(ValueError):
    """A request we refuse, with a message meant for the person who made it."""


def exclude_incident(incident: Incident, user: User | None, reason: str, now: datetime | None = None) -> None:
    reason = reason.strip()
    if not reason:
        raise ExclusionError("Say why this incident should not count (e.g. “test page”).")
    if len(reason) > MAX_REASON_LENGTH:
        raise ExclusionError(f"Keep the reason under {MAX_REASON_LENGTH} characters.")
    if (problem := text_problem(reason)) is not None:
        raise ExclusionError(f"The reason {problem}")
    incident.excluded = True
    incident.excluded_reason = reason
    incident.excluded_at = now or utcnow()
    incident.excluded_by_id = user.id if user is not None else None
    changes.exclusion_changed(incident)
    _audit(incident, "incident.excluded", reason=reason)


def include_incident(incident: Incident) -> None:
    if not incident.excluded:
        return
    incident.excluded = False
    incident.excluded_reason = None
    incident.excluded_at = None
    incident.excluded_by_id = None
    changes.exclusion_changed(incident)
    _audit(incident, "incident.included")


def excluded_incidents(workspace_id: int, limit: int = 200) -> list[Incident]:
    """The workspace's excluded incidents, most recently excluded first."""
    return list(
        db.session.scalars(
            select(Incident)
            .where(Incident.workspace_id == workspace_id, Incident.excluded == true())
            .order_by(Incident.excluded_at.desc(), Incident.id.desc())
            .limit(limit)
        )
    )


def _audit(incident: Incident, action: str, **details: str) -> None:
    workspace = db.session.get(Workspace, incident.workspace_id)
    assert workspace is not None  # an incident always belongs to a workspace
    audit.record(workspace, action, target=f"incident:{incident.id}", number=str(incident.number), **details)
