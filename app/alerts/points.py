"""Pushed metric points: validation of a POST /api/v1/metrics/points body and its all-or-nothing insert.

A request holds up to MAX_POINTS points; one bad point refuses the whole request (400 naming the point and
field) so a sender never has to work out which half of its batch was kept.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from app.alerts.rules import MAX_LABELS, METRIC_NAME
from app.alerts.signals import epoch_minute, series_key
from app.extensions import db
from app.inputs import parse_at
from app.models import MetricPoint, Workspace
from app.models.types import utcnow

MAX_POINTS = 1000
# Clocks drift: a point a little in the future is accepted; one far ahead is a bug on the sender's side.
MAX_FUTURE = timedelta(minutes=5)


class PointsInvalid(ValueError):
    """The body is refused; `field` names the point and field at fault (None: the body as a whole)."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class PointIn:
    name: str
    value: float
    at: datetime
    labels: dict[str, str]


def _point(raw: Any, where: str, now: datetime, oldest: datetime) -> PointIn:
    if not isinstance(raw, dict):
        raise PointsInvalid(where, f"{where} must be an object with name and value.")
    name = raw.get("name")
    if not isinstance(name, str) or not METRIC_NAME.match(name):
        raise PointsInvalid(
            f"{where}.name",
            f"{where}.name must be a metric name: letters, digits, _ . : - (starting with a letter), "
            "at most 200 characters.",
        )
    value = raw.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise PointsInvalid(f"{where}.value", f"{where}.value must be a finite number.")
    at = now
    if raw.get("at") is not None:
        try:
            at = parse_at(raw.get("at"))
        except ValueError as exc:
            raise PointsInvalid(f"{where}.at", f"{where}.{exc}") from None
        if at > now + MAX_FUTURE:
            raise PointsInvalid(f"{where}.at", f"{where}.at is more than 5 minutes in the future.")
        if at < oldest:
            raise PointsInvalid(f"{where}.at", f"{where}.at is older than the retention period.")
    labels = raw.get("labels") or {}
    if not isinstance(labels, dict) or len(labels) > MAX_LABELS:
        raise PointsInvalid(
            f"{where}.labels", f"{where}.labels must be an object of at most {MAX_LABELS} labels."
        )
    for key, text in labels.items():
        if not key or len(key) > 100 or not isinstance(text, str) or len(text) > 200 or "\x00" in key + text:
            raise PointsInvalid(
                f"{where}.labels",
                f"{where}.labels: each label is a name (up to 100 characters) and a text value (up to 200).",
            )
    return PointIn(name, float(value), at, dict(labels))


def parse_points(body: Any, retention_days: int, now: datetime | None = None) -> list[PointIn]:
    if not isinstance(body, dict):
        raise PointsInvalid(None, 'The body must be a JSON object: {"points": [...]}.')
    raw = body.get("points")
    if not isinstance(raw, list) or not raw:
        raise PointsInvalid("points", "points must be a non-empty list.")
    if len(raw) > MAX_POINTS:
        raise PointsInvalid("points", f"points holds at most {MAX_POINTS} points per request.")
    now = now or utcnow()
    oldest = now - timedelta(days=retention_days)
    return [_point(item, f"points[{i}]", now, oldest) for i, item in enumerate(raw)]


def store_points(workspace: Workspace, points: list[PointIn]) -> int:
    rows = [
        {
            "workspace_id": workspace.id,
            "name": p.name,
            "labels": p.labels,
            "series": series_key(p.labels),
            "at": p.at.astimezone(UTC),
            "minute": epoch_minute(p.at),
            "value": p.value,
        }
        for p in points
    ]
    db.session.execute(insert(MetricPoint), rows)
    db.session.commit()
    return len(rows)
