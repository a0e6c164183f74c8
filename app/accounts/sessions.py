"""Login sessions kept on the server, and how the list of them names a browser.

Both cookies carry a random token per login (User.get_id() returns it); the database keeps only its SHA-256,
so deleting the row revokes both at once.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from flask import current_app, g, request, session
from flask_login import login_user, logout_user
from sqlalchemy import ColumnElement, delete, or_, select, update

from app.extensions import db
from app.models import User, UserSession
from app.models.types import utcnow

# "Last seen" is shown to the person, not used for billing: writing it on every request would turn each page
# view (and each HTMX poll) into a database write.
LAST_SEEN_EVERY = timedelta(minutes=5)


def hash_token(token: str) -> str:
    """What is stored in place of a random token: a login's, an invitation link's, an API key."""
    return hashlib.sha256(token.encode()).hexdigest()


def _expired_clause(now: datetime) -> ColumnElement[bool]:
    settings = current_app.config["VIGIL"]
    return or_(
        UserSession.last_seen_at < now - timedelta(seconds=settings.session_idle_seconds),
        UserSession.created_at < now - timedelta(seconds=settings.session_lifetime_seconds),
    )


def start(user: User, remember: bool = False) -> UserSession:
    """Record a new login for `user` and sign the browser in with its token. The caller commits."""
    now = utcnow()
    # Housekeeping for this person only: their expired logins would otherwise stay listed forever.
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id, _expired_clause(now)))
    previous = session.get("_user_id")
    if isinstance(previous, str):
        # A browser holds one login: one it replaces (signing in again, or as someone else) ends here.
        db.session.execute(delete(UserSession).where(UserSession.token_hash == hash_token(previous)))
    token = secrets.token_urlsafe(32)
    record = UserSession(
        user_id=user.id,
        token_hash=hash_token(token),
        remember=remember,
        user_agent=(request.user_agent.string or "")[:300],
        ip=request.remote_addr,
        created_at=now,
        last_seen_at=now,
    )
    db.session.add(record)
    db.session.flush()
    user.session_token = token  # type: ignore[attr-defined]
    g.user_session = record
    login_user(user, remember=remember)
    return record


def load(token: str) -> User | None:
    """Flask-Login's user_loader: the user of a live login; None for a revoked, expired or unknown token."""
    now = utcnow()
    found = db.session.execute(
        select(UserSession, _expired_clause(now)).where(UserSession.token_hash == hash_token(token))
    ).first()
    if found is None:
        return None
    record, expired = found
    if expired:
        db.session.delete(record)
        db.session.commit()
        return None
    if now - record.last_seen_at >= LAST_SEEN_EVERY:
        db.session.execute(update(UserSession).where(UserSession.id == record.id).values(last_seen_at=now))
        db.session.commit()
    user = record.user
    if not user.active:
        return None
    user.session_token = token  # type: ignore[attr-defined]
    g.user_session = record
    return user


def current() -> UserSession | None:
    return g.get("user_session")


def end_current() -> None:
    """Sign out this browser: the row goes, so a copy of either cookie is worthless too."""
    record = current()
    if record is not None:
        db.session.execute(delete(UserSession).where(UserSession.id == record.id))
        db.session.commit()
        g.user_session = None
    logout_user()


def end_one(user: User, session_id: int) -> bool:
    """Sign out one of `user`'s logins; False when it is not theirs (or already gone)."""
    result = db.session.execute(
        delete(UserSession).where(UserSession.id == session_id, UserSession.user_id == user.id)
    )
    return bool(result.rowcount)


def end_others(user: User) -> int:
    """Sign out every login of `user` except the current one; how many ended."""
    query = delete(UserSession).where(UserSession.user_id == user.id)
    record = current()
    if record is not None:
        query = query.where(UserSession.id != record.id)
    return int(db.session.execute(query).rowcount)


def active_for(user: User) -> Sequence[UserSession]:
    return db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id)
        .where(~_expired_clause(utcnow()))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    ).all()


# Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari", iOS browsers also say "Safari".
_BROWSERS = [
    ("Edge", r"Edg(?:e|A|iOS)?/"),
    ("Opera", r"OPR/|Opera"),
    ("Firefox", r"Firefox/|FxiOS/"),
    ("Chrome", r"Chrome/|CriOS/|Chromium/"),
    ("Safari", r"Safari/"),
    ("curl", r"^curl/"),
]
_SYSTEMS = [
    ("iOS", r"iPhone|iPad|iPod"),
    ("Android", r"Android"),
    ("ChromeOS", r"CrOS"),
    ("Windows", r"Windows"),
    ("macOS", r"Macintosh|Mac OS X"),
    ("Linux", r"Linux|X11"),
]


def _first(patterns: list[tuple[str, str]], user_agent: str) -> str | None:
    return next((name for name, pattern in patterns if re.search(pattern, user_agent)), None)


def describe_agent(user_agent: str) -> str:
    """A person-readable "Firefox on Windows" from a User-Agent header, for the list of one's sessions."""
    browser, system = _first(_BROWSERS, user_agent), _first(_SYSTEMS, user_agent)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown browser"
