"""Create, verify and revoke workspace API keys; the raw key exists only in what `create_key` returns."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from app.accounts.sessions import hash_token
from app.extensions import db
from app.models import ApiKey, User, Workspace
from app.models.types import utcnow

KEY_PREFIX = "vgl_"
VISIBLE_CHARS = 8  # of the secret, after "vgl_"
# Updating last_used_at on every call would turn a busy CI pipeline into a stream of writes to one row.
TOUCH_INTERVAL = timedelta(minutes=1)


class ApiKeyError(Exception):
    """A key cannot be created or revoked as asked (message is for the user)."""


def create_key(workspace: Workspace, name: str, created_by: User | None = None) -> tuple[ApiKey, str]:
    """Add a key (caller commits) and return it with the raw key, which is never stored."""
    name = name.strip()
    if not name:
        raise ApiKeyError("Give the key a name, e.g. the pipeline that will use it.")
    if len(name) > 80:
        raise ApiKeyError("Key names are at most 80 characters.")
    raw = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        workspace_id=workspace.id,
        name=name,
        prefix=raw[: len(KEY_PREFIX) + VISIBLE_CHARS],
        key_hash=hash_token(raw),
        created_by_id=created_by.id if created_by is not None else None,
    )
    db.session.add(key)
    db.session.flush()
    return key, raw


def verify_key(raw: str) -> ApiKey | None:
    """The active key `raw` stands for, else None (unknown, malformed or revoked)."""
    if not raw.startswith(KEY_PREFIX) or len(raw) > 200:
        return None
    key = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_token(raw)))
    return key if key is not None and key.is_active else None


def touch(key: ApiKey, now: datetime | None = None) -> bool:
    """Record a use, at most once per TOUCH_INTERVAL; commits. True when a write happened. The condition is in
    the UPDATE itself, so concurrent requests cannot both write."""
    now = now or utcnow()
    if key.last_used_at is not None and now - key.last_used_at < TOUCH_INTERVAL:
        return False
    result = db.session.execute(
        update(ApiKey)
        .where(
            ApiKey.id == key.id,
            or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at <= now - TOUCH_INTERVAL),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return bool(result.rowcount)


def revoke_key(key: ApiKey) -> None:
    """Revoke (caller commits); revoking twice keeps the first time."""
    if key.revoked_at is None:
        key.revoked_at = utcnow()


def workspace_keys(workspace_id: int) -> Sequence[ApiKey]:
    return db.session.scalars(
        select(ApiKey)
        .where(ApiKey.workspace_id == workspace_id)
        .order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc(), ApiKey.id.desc())
    ).all()


def find_by_prefix(workspace_id: int, prefix: str) -> Sequence[ApiKey]:
    return db.session.scalars(
        select(ApiKey).where(
            ApiKey.workspace_id == workspace_id,
            ApiKey.prefix.startswith(prefix, autoescape=True),
            ApiKey.revoked_at.is_(None),
        )
    ).all()
