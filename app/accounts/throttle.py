"""Login throttling: too many failures for one account or from one address pause further tries.

Each try is recorded, and committed, *before* its password is checked: checking first would let concurrent
tries all pass before any is counted, while this way at most `limit` tries per window reach the password.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, func, select, type_coerce

from app.extensions import db
from app.models import LoginFailure
from app.models.types import UTCDateTime, utcnow

# An address may be shared (an office NAT), so it gets more room than a single account.
IP_FACTOR = 4


@dataclass(frozen=True)
class Attempt:
    """A recorded login try: `wait` seconds until tries are allowed again, 0 when this one may go ahead."""

    email: str
    row_ids: tuple[int, ...]
    wait: int


def _email_key(email: str) -> str:
    return f"email:{email.strip().lower()}"


def begin(email: str, ip: str | None) -> Attempt:
    """Record a try for `email` from `ip` and say whether it may check a password now. Commits."""
    settings = current_app.config["VIGIL"]
    window = timedelta(seconds=settings.login_window_seconds)
    limits = {_email_key(email): settings.login_max_failures}
    if ip:
        limits[f"ip:{ip}"] = settings.login_max_failures * IP_FACTOR
    rows = [LoginFailure(key=key) for key in limits]
    db.session.add_all(rows)
    db.session.commit()
    row_ids = tuple(row.id for row in rows)
    now = utcnow()
    wait = 0
    for key, limit in limits.items():
        count, oldest = db.session.execute(
            select(func.count(LoginFailure.id), type_coerce(func.min(LoginFailure.at), UTCDateTime)).where(
                LoginFailure.key == key, LoginFailure.at >= now - window
            )
        ).one()
        if count > limit and oldest is not None:
            wait = max(wait, int((oldest + window - now).total_seconds()) + 1)
    if wait:
        # A refused try checked nothing: it must not make the pause longer.
        db.session.execute(delete(LoginFailure).where(LoginFailure.id.in_(row_ids)))
        db.session.commit()
    return Attempt(email=email, row_ids=row_ids, wait=wait)


def succeeded(attempt: Attempt) -> None:
    """The password was right: forget this try and the account's earlier failures. The caller commits."""
    db.session.execute(
        delete(LoginFailure).where(
            (LoginFailure.id.in_(attempt.row_ids)) | (LoginFailure.key == _email_key(attempt.email))
        )
    )
