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
from app.extensions import db
from config import PROJECT_ROOT, Settings


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


def _app_at(settings: Settings, database: str, revision: str = "head") -> Iterator[Flask]:
    """An app whose empty database is upgraded to `revision`, for a test to fill and upgrade further."""
    app = create_app(dataclasses.replace(settings, database_url=database))
    with app.app_context():
        upgrade(directory=str(PROJECT_ROOT / "migrations"), revision=revision)
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def migrated_app(base_settings: Settings, empty_database: str) -> Iterator[Flask]:
    yield from _app_at(base_settings, empty_database)


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


@pytest.fixture
def app_at_initial_schema(base_settings: Settings, empty_database: str) -> Iterator[Flask]:
    yield from _app_at(base_settings, empty_database, "601177833a45")


def test_it_fills_the_local_times_of_notifications_already_synced(app_at_initial_schema: Flask) -> None:
    """e5e62772e860: a notification at 2026-03-29 01:30 UTC is 03:30 Sunday in Berlin (summer time began at
    01:00 UTC), 21:30 Saturday in New York; a person without a zone goes by the workspace's (Berlin)."""
    rows = {
        "workspaces": "(id, name, timezone, business_day_start, business_day_end, business_days, "
        "cfr_attribution_hours, created_at) VALUES (1, 'W', 'Europe/Berlin', 8, 18, '1,2,3,4,5', 24, :at)",
        "pd_accounts": "(id, workspace_id, auth_kind, region, subdomain, scopes, status, linked_at, "
        "history_days) VALUES (1, 1, 'api_token', 'us', 'w', '', 'active', :at, 365)",
        "pd_services": "(id, workspace_id, account_id, remote_id, name, status, selected, deleted_remotely) "
        "VALUES (1, 1, 1, 'S', 's', 'active', true, false)",
        "pd_users": "(id, workspace_id, account_id, remote_id, name, time_zone) VALUES "
        "(1, 1, 1, 'U1', 'a', 'America/New_York'), (2, 1, 1, 'U2', 'b', NULL)",
        "incidents": "(id, workspace_id, account_id, service_id, remote_id, number, title, title_template, "
        "status, urgency, created_at, reopen_count, escalation_count, assignment_count, auto_resolved, "
        "excluded) VALUES (1, 1, 1, 1, 'I', 1, 't', 't', 'triggered', 'high', :at, 0, 0, 0, false, false)",
        "incident_log_entries": "(id, workspace_id, account_id, incident_id, remote_id, type, at, user_id, "
        "channel) VALUES (1, 1, 1, 1, 'L1', 'notify_log_entry', :at, 1, 'sms'), "
        "(2, 1, 1, 1, 'L2', 'notify_log_entry', :at, 2, 'sms'), "
        "(3, 1, 1, 1, 'L3', 'acknowledge_log_entry', :at, 2, NULL)",
    }
    at = "2026-03-29 01:30:00" + ("" if db.engine.dialect.name == "postgresql" else ".000000")
    with db.engine.begin() as conn:
        for table, values in rows.items():
            conn.execute(text(f"INSERT INTO {table} {values}"), {"at": at})
    upgrade(directory=str(PROJECT_ROOT / "migrations"))
    with db.engine.connect() as conn:
        filled = conn.execute(
            text("SELECT id, local_hour, local_isoweekday FROM incident_log_entries ORDER BY id")
        ).all()
    assert [tuple(row) for row in filled] == [(1, 21, 6), (2, 3, 7), (3, None, None)]


@pytest.fixture
def app_before_auto_resolve_rule(base_settings: Settings, empty_database: str) -> Iterator[Flask]:
    yield from _app_at(base_settings, empty_database, "9d0c4f1a7b2e")


def test_it_rederives_auto_resolved_from_the_last_resolve(app_before_auto_resolve_rule: Flask) -> None:
    """3f8a2c7d9e41: incidents synced under the old rule (a user resolving by email or API was automatic)
    are set by the new one; the workspace gets a new data version so no kept answer outlives them."""
    incident = "({id}, 1, 1, 1, 'I{id}', {id}, 't', 't', '{status}', 'high', :at, 0, 0, 0, {flag}, false)"
    incidents = [
        incident.format(id=1, status="resolved", flag="true"),  # a user by email: a person
        incident.format(id=2, status="resolved", flag="true"),  # a user by API: a person
        incident.format(id=3, status="resolved", flag="false"),  # the timeout, after a user's resolve
        incident.format(id=4, status="resolved", flag="true"),  # a service's integration: stays automatic
        incident.format(id=5, status="triggered", flag="true"),  # reopened: not resolved at all now
        incident.format(id=6, status="resolved", flag="true"),  # no resolve entry synced: not automatic
    ]
    entry = "({id}, 1, 1, {incident}, 'L{id}', 'resolve_log_entry', {at}, {agent}, {channel})"
    entries = [
        entry.format(id=1, incident=1, at=":at", agent="'user_reference'", channel="'email'"),
        entry.format(id=2, incident=2, at=":at", agent="'user_reference'", channel="'api'"),
        entry.format(id=3, incident=3, at=":at", agent="'user_reference'", channel="'website'"),
        entry.format(id=4, incident=3, at=":later", agent="'service_reference'", channel="'timeout'"),
        entry.format(id=5, incident=4, at=":at", agent="'service_reference'", channel="'api'"),
        entry.format(id=6, incident=5, at=":at", agent="'service_reference'", channel="'timeout'"),
    ]
    rows = {
        "workspaces": "(id, name, timezone, business_day_start, business_day_end, business_days, "
        "cfr_attribution_hours, created_at, data_version) "
        "VALUES (1, 'W', 'UTC', 8, 18, '1,2,3,4,5', 24, :at, 'before')",
        "pd_accounts": "(id, workspace_id, auth_kind, region, subdomain, scopes, status, linked_at, "
        "history_days) VALUES (1, 1, 'api_token', 'us', 'w', '', 'active', :at, 365)",
        "pd_services": "(id, workspace_id, account_id, remote_id, name, status, selected, deleted_remotely) "
        "VALUES (1, 1, 1, 'S', 's', 'active', true, false)",
        "incidents": "(id, workspace_id, account_id, service_id, remote_id, number, title, title_template, "
        "status, urgency, created_at, reopen_count, escalation_count, assignment_count, auto_resolved, "
        "excluded) VALUES " + ", ".join(incidents),
        "incident_log_entries": "(id, workspace_id, account_id, incident_id, remote_id, type, at, "
        "agent_type, channel) VALUES " + ", ".join(entries),
    }
    suffix = "" if db.engine.dialect.name == "postgresql" else ".000000"
    times = {"at": "2026-03-02 10:00:00" + suffix, "later": "2026-03-02 11:00:00" + suffix}
    with db.engine.begin() as conn:
        for table, values in rows.items():
            conn.execute(text(f"INSERT INTO {table} {values}"), times)
    upgrade(directory=str(PROJECT_ROOT / "migrations"))
    with db.engine.connect() as conn:
        flags = conn.execute(text("SELECT id, auto_resolved FROM incidents ORDER BY id")).all()
        version = conn.execute(text("SELECT data_version FROM workspaces")).scalar()
    assert [(row[0], bool(row[1])) for row in flags] == [
        (1, False),
        (2, False),
        (3, True),
        (4, True),
        (5, False),
        (6, False),
    ]
    assert version != "before"


@pytest.fixture
def app_at_history_from(base_settings: Settings, empty_database: str) -> Iterator[Flask]:
    yield from _app_at(base_settings, empty_database, "a4e2b7c91d03")


def test_it_excludes_test_alerts_synced_before(app_at_history_from: Flask) -> None:
    """e16a7e57a1e7: Vigil's own test alerts already synced leave the metrics, a person's exclusion keeps its
    reason, the account's interruption verdicts are settled again and kept answers are retired."""
    incident = (
        "({id}, 1, 1, 1, 'I{id}', {id}, 't', 't', 'resolved', 'low', :at, 0, 0, 0, false, "
        "{excluded}, {key}, {reason})"
    )
    incidents = [
        incident.format(id=1, key="'vigil/rule/r1/test/n1'", excluded="false", reason="NULL"),
        incident.format(id=2, key="'checkout/db-1'", excluded="false", reason="NULL"),
        incident.format(id=3, key="NULL", excluded="false", reason="NULL"),
        incident.format(id=4, key="'vigil/rule/r1/test/n2'", excluded="true", reason="'a drill'"),
        incident.format(id=5, key="'vigil/rule/r1/e/3'", excluded="false", reason="NULL"),  # a real page
    ]
    rows = {
        "workspaces": "(id, name, timezone, business_day_start, business_day_end, business_days, "
        "cfr_attribution_hours, created_at, data_version) "
        "VALUES (1, 'W', 'UTC', 8, 18, '1,2,3,4,5', 24, :at, 'before')",
        "pd_accounts": "(id, workspace_id, auth_kind, region, subdomain, scopes, status, linked_at, "
        "history_days, interruptions_settled_to) "
        "VALUES (1, 1, 'api_token', 'us', 'w', '', 'active', :at, 365, 9)",
        "pd_services": "(id, workspace_id, account_id, remote_id, name, status, selected, deleted_remotely) "
        "VALUES (1, 1, 1, 'S', 's', 'active', true, false)",
        "incidents": "(id, workspace_id, account_id, service_id, remote_id, number, title, title_template, "
        "status, urgency, created_at, reopen_count, escalation_count, assignment_count, auto_resolved, "
        "excluded, incident_key, excluded_reason) VALUES " + ", ".join(incidents),
    }
    at = "2026-03-02 10:00:00" + ("" if db.engine.dialect.name == "postgresql" else ".000000")
    with db.engine.begin() as conn:
        for table, values in rows.items():
            conn.execute(text(f"INSERT INTO {table} {values}"), {"at": at})
    upgrade(directory=str(PROJECT_ROOT / "migrations"))
    with db.engine.connect() as conn:
        found = conn.execute(text("SELECT id, excluded, excluded_reason FROM incidents ORDER BY id")).all()
        settled_to = conn.execute(text("SELECT interruptions_settled_to FROM pd_accounts")).scalar()
        version = conn.execute(text("SELECT data_version FROM workspaces")).scalar()
    assert [(row[0], bool(row[1]), row[2]) for row in found] == [
        (1, True, "Vigil test alert: excluded automatically"),
        (2, False, None),
        (3, False, None),
        (4, True, "a drill"),
        (5, False, None),
    ]
    assert settled_to == 0
    assert version != "before"


def test_it_widens_pagerduty_text_and_keeps_targets_of_a_deleted_account(
    app_at_history_from: Flask,
) -> None:
    """d15c01a2b3c4: rows already there are kept; PagerDuty's long text fits afterwards; a deleted account
    leaves its rule targets in place with no account instead of taking them with it."""
    rows = {
        "workspaces": "(id, name, timezone, business_day_start, business_day_end, business_days, "
        "cfr_attribution_hours, created_at, data_version) "
        "VALUES (1, 'W', 'UTC', 8, 18, '1,2,3,4,5', 24, :at, 'v')",
        "pd_accounts": "(id, workspace_id, auth_kind, region, subdomain, scopes, status, linked_at, "
        "history_days, token_user_name) "
        "VALUES (1, 1, 'api_token', 'us', 'w', '', 'active', :at, 365, 'Ann')",
        "pd_priorities": "(id, workspace_id, account_id, remote_id, name, rank) "
        "VALUES (1, 1, 1, 'P', 'P1', 0)",
        "alert_rules": "(id, workspace_id, uid, name, description, signal, metric, labels, filters, "
        "window_seconds, operator, threshold, for_seconds, severity, no_data, enabled, muted, "
        "notify_on_resolve, title_template, state, state_since, episode, created_at, updated_at) VALUES "
        "(1, 1, 'u1', 'r', '', 'pushed', 'm', '{}', '{}', 300, '>', 1, 0, 'error', 'ok', true, false, "
        "true, '', 'ok', :at, 0, :at, :at)",
        "alert_rule_targets": "(id, rule_id, account_id, service_remote_id, service_name, created_at) "
        "VALUES (1, 1, 1, 'S1', 'Checkout', :at)",
    }
    at = "2026-03-02 10:00:00" + ("" if db.engine.dialect.name == "postgresql" else ".000000")
    with db.engine.begin() as conn:
        for table, values in rows.items():
            conn.execute(text(f"INSERT INTO {table} {values}"), {"at": at})
    upgrade(directory=str(PROJECT_ROOT / "migrations"))
    long_name = "P" * 255
    with db.engine.begin() as conn:
        assert conn.execute(text("SELECT token_user_name FROM pd_accounts")).scalar() == "Ann"
        assert conn.execute(text("SELECT name FROM pd_priorities")).scalar() == "P1"
        conn.execute(text("UPDATE pd_priorities SET name = :n"), {"n": long_name})
        conn.execute(text("UPDATE pd_accounts SET token_user_name = :n"), {"n": "A" * 5000})
        conn.execute(text("UPDATE alert_rule_targets SET service_name = :n"), {"n": "S" * 5000})
        # SQLite enforces no foreign keys here (Vigil's unlink clears them itself); PostgreSQL does.
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("DELETE FROM pd_priorities"))
            conn.execute(text("DELETE FROM pd_accounts"))
    gone = None if db.engine.dialect.name == "postgresql" else 1
    with db.engine.connect() as conn:
        target = conn.execute(text("SELECT account_id, account_label, service_name FROM alert_rule_targets"))
        assert [tuple(row) for row in target] == [(gone, "", "S" * 5000)]
