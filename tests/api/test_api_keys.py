"""Key creation, hashing, verification, revocation and the once-a-minute last-used write."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select, text

from app.accounts import api_keys as keys
from app.extensions import db
from app.models import ApiKey
from app.models.types import utcnow
from tests.analytics.factories import World


def test_it_stores_only_a_hash_and_a_short_prefix(world: World) -> None:
    key, raw = keys.create_key(world.workspace, "deploys")
    db.session.commit()
    assert raw.startswith("vgl_") and len(raw) > 40
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert key.prefix == raw[:12]
    row = db.session.execute(text("SELECT * FROM api_keys")).one()
    assert all(raw not in str(value) for value in row)


def test_it_makes_a_different_key_each_time(world: World) -> None:
    _, first = keys.create_key(world.workspace, "a")
    _, second = keys.create_key(world.workspace, "b")
    assert first != second


def test_it_refuses_a_blank_name(world: World) -> None:
    with pytest.raises(keys.ApiKeyError):
        keys.create_key(world.workspace, "   ")


def test_it_verifies_the_raw_key_and_nothing_else(world: World) -> None:
    key, raw = keys.create_key(world.workspace, "ci")
    db.session.commit()
    assert keys.verify_key(raw) == key
    assert keys.verify_key(raw + "x") is None
    assert keys.verify_key(key.key_hash) is None
    assert keys.verify_key("") is None


def test_it_stops_verifying_a_revoked_key(world: World) -> None:
    key, raw = keys.create_key(world.workspace, "ci")
    keys.revoke_key(key)
    db.session.commit()
    assert keys.verify_key(raw) is None


def test_it_writes_last_used_at_most_once_a_minute(world: World) -> None:
    key, _ = keys.create_key(world.workspace, "ci")
    db.session.commit()
    now = utcnow()
    assert keys.touch(key, now) is True
    assert keys.touch(key, now + timedelta(seconds=30)) is False
    assert keys.touch(key, now + timedelta(seconds=61)) is True
    db.session.expire_all()
    stored = db.session.scalar(select(ApiKey.last_used_at))
    assert stored is not None and abs((stored - (now + timedelta(seconds=61))).total_seconds()) < 0.001


def test_it_lists_active_keys_before_revoked_ones(app: Flask, world: World) -> None:
    keys.create_key(world.workspace, "old")
    new, _ = keys.create_key(world.workspace, "new")
    keys.revoke_key(new)
    db.session.commit()
    assert [k.name for k in keys.workspace_keys(world.workspace.id)] == ["old", "new"]
