"""Login throttling: too many failures for one account or from one address pause further tries."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select

from app.extensions import db
from app.models import LoginFailure
from app.models.types import utcnow

# An address may be shared (an office NAT), so it gets more room than a single account.
IP_FACTOR = 4


def _settings() -> tuple[int, int]:
    settings = current_app.config["VIGIL"]
    return settings.login_max_failures, settings.login_window_seconds


def _keys(email: str, ip: str | None) -> list[tuple[str, int]]:
    limit, _ = _settings()
    keys = [(f"email:{email.strip().lower()}", limit)]
    if ip:
        keys.append((f"ip:{ip}", limit * IP_FACTOR))
    return keys


def seconds_until_allowed(email: str, ip: str | None) -> int:
    """0 when a login may be tried now, else how long until the oldest counted failure expires."""
    _, window = _settings()
    since = utcnow() - timedelta(seconds=window)
    wait = 0
    for key, limit in _keys(email, ip):
        count, oldest = db.session.execute(
            select(func.count(LoginFailure.id), func.min(LoginFailure.at)).where(
                LoginFailure.key == key, LoginFailure.at >= since
            )
        ).one()
        if count >= limit and oldest is not None:
            if isinstance(oldest, str):  # SQLite returns aggregates of a TypeDecorator column as text
                from datetime import UTC, datetime

                oldest = datetime.fromisoformat(oldest).replace(tzinfo=UTC)
            elif oldest.tzinfo is None:
                from datetime import UTC

                oldest = oldest.replace(tzinfo=UTC)
            remaining = int((oldest + timedelta(seconds=window) - utcnow()).total_seconds()) + 1
            wait = max(wait, remaining)
    return wait


def record_failure(email: str, ip: str | None) -> None:
    for key, _ in _keys(email, ip):
        db.session.add(LoginFailure(key=key))
    db.session.commit()


def clear(email: str) -> None:
    db.session.execute(delete(LoginFailure).where(LoginFailure.key == f"email:{email.strip().lower()}"))
