"""Interruptions: notifications that reach a person by SMS, phone or push, classed by the hour they arrived.

Definitions (docs/metrics.md, "Interruptions"): notifications by sms, phone or push (never email) for
incidents not excluded; one per person per 60 s over the person's whole history (the verdict belongs to the
notification, so windows and services add up); counted in the window it was sent in, for incidents that pass
the filters; classed in the person's own zone, else the workspace's: *business* inside business hours on a
business day, else *sleep* from 22:00 to 08:00, else *off-hours*.

The 60-second rule is decided when notifications are written (interruption_store.py): one `interruptions` row
per notification that counts, with its local hour and weekday and its incident's service. Reading counts those
rows in the window (ix_interruptions_ws_at) grouped by a CASE over the two integers (business hours are
settings that may change); only a team, urgency or priority filter joins the incidents.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select

from app.analytics.filters import incident_attribute_conditions, service_condition
from app.analytics.query import MetricQuery, WorkspaceSettings, workspace_settings
from app.extensions import db
from app.models import Incident, Interruption

INTERRUPTING_CHANNELS = (
    "sms",
    "phone",
    "push",
    "sms_notification",
    "phone_notification",
    "push_notification",
)
BURST_GAP = timedelta(seconds=60)
SLEEP_START_HOUR = 22
SLEEP_END_HOUR = 8


class InterruptionClass(enum.StrEnum):
    BUSINESS = "business"
    OFF_HOURS = "off_hours"
    SLEEP = "sleep"


@dataclass(frozen=True)
class Interruptions:
    business: int = 0
    off_hours: int = 0
    sleep: int = 0

    @property
    def total(self) -> int:
        return self.business + self.off_hours + self.sleep

    def __add__(self, other: Interruptions) -> Interruptions:
        return Interruptions(
            self.business + other.business, self.off_hours + other.off_hours, self.sleep + other.sleep
        )

    def to_dict(self) -> dict[str, int]:
        return {"business": self.business, "off_hours": self.off_hours, "sleep": self.sleep}


def classify(local_hour: int, isoweekday: int, settings: WorkspaceSettings) -> InterruptionClass:
    """The class of a notification that arrived at `local_hour` on ISO weekday `isoweekday`, local time."""
    if (
        isoweekday in settings.business_days
        and settings.business_day_start <= local_hour < settings.business_day_end
    ):
        return InterruptionClass.BUSINESS
    if local_hour >= SLEEP_START_HOUR or local_hour < SLEEP_END_HOUR:
        return InterruptionClass.SLEEP
    return InterruptionClass.OFF_HOURS


def counted_indices(times: Sequence[datetime], gap: timedelta = BURST_GAP) -> list[int]:
    """Which of one person's notifications (in time order) count: the first, then each one at least `gap`
    after the last counted one."""
    counted: list[int] = []
    last: datetime | None = None
    for index, at in enumerate(times):
        if last is None or at - last >= gap:
            counted.append(index)
            last = at
    return counted


def class_case(hour: Any, weekday: Any, settings: WorkspaceSettings) -> ColumnElement[str]:
    """`classify` as SQL; the two must agree (tests check every hour of the week against each other)."""
    return case(
        (
            and_(
                weekday.in_(settings.business_days),
                hour >= settings.business_day_start,
                hour < settings.business_day_end,
            ),
            literal(InterruptionClass.BUSINESS.value),
        ),
        (or_(hour >= SLEEP_START_HOUR, hour < SLEEP_END_HOUR), literal(InterruptionClass.SLEEP.value)),
        else_=literal(InterruptionClass.OFF_HOURS.value),
    )


def interruptions(query: MetricQuery, settings: WorkspaceSettings | None = None) -> Interruptions:
    """The window's totals by class. Counted by class alone: grouping by person too (as the responders
    panel needs) doubles the time on a busy account, for totals that are the same."""
    settings = settings or workspace_settings(query.workspace_id)
    cls = class_case(Interruption.local_hour, Interruption.local_isoweekday, settings).label("cls")
    statement = _counted(query, select(cls, func.count().label("n"))).group_by(cls)
    # The classes are named as Interruptions' fields.
    return Interruptions(**{result.cls: int(result.n) for result in db.session.execute(statement)})


def interruptions_by_user(
    query: MetricQuery, settings: WorkspaceSettings | None = None
) -> dict[int, Interruptions]:
    settings = settings or workspace_settings(query.workspace_id)
    row = Interruption
    cls = class_case(row.local_hour, row.local_isoweekday, settings).label("cls")
    statement = _counted(query, select(row.user_id, cls, func.count().label("n"))).group_by(row.user_id, cls)
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for result in db.session.execute(statement):
        counts[result.user_id][result.cls] = int(result.n)
    return {user_id: Interruptions(**by_class) for user_id, by_class in counts.items()}


def _counted(query: MetricQuery, statement: Select[Any]) -> Select[Any]:
    """`statement` narrowed to the verdicts that count for the query: its window and its filters."""
    row = Interruption
    statement = statement.where(
        row.workspace_id == query.workspace_id,
        row.at >= query.start,
        row.at < query.end,
        # A verdict carries its incident's service, and excluded incidents have none: the usual view (the
        # followed services) is read from ix_interruptions_ws_at alone.
        service_condition(query, row.service_id),
    )
    if query.teams or query.urgencies or query.priorities:
        statement = statement.join(Incident, Incident.id == row.incident_id).where(
            Incident.workspace_id == query.workspace_id,
            *incident_attribute_conditions(query, services=False),
        )
    return statement
