"""Migrations upgrade an empty database to head, and the models match them exactly."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from app import create_app
from app.config import PROJECT_ROOT, Settings
from app.extensions import db


@pytest.fixture
def empty_database(base_settings: Settings, postgres_server_url: str | None, tmp_path: Path) -> Iterator[str]:
    if postgres_server_url is None:
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    server = make_url(postgres_server_url)
    name = f"vigil_migrate_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def migrated_app(base_settings: Settings, empty_database: str) -> Iterator[Flask]:
    app = create_app(dataclasses.replace(base_settings, database_url=empty_database))
    with app.app_context():
        upgrade(directory=str(PROJECT_ROOT / "migrations"))
        yield app
        db.session.remove()
        db.engine.dispose()


def test_it_upgrades_an_empty_database_to_head(migrated_app: Flask) -> None:
    tables = set(inspect(db.engine).get_table_names())
    assert {"users", "workspaces", "memberships", "invitations", "audit_events"} <= tables
    with db.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def test_it_has_models_identical_to_the_migrations(migrated_app: Flask) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == [], "run `flask db migrate` and commit the revision"
