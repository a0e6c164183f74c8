"""Table definitions. Times are integer epoch seconds; rendering to ISO happens in `pdsim.render`.

Seeded tables (`SEED_TABLES`) are dropped and rebuilt by a reset; runtime tables (tokens, OAuth, webhook
subscriptions) live beside them. Indexes are created after the bulk load because building them once is much
faster than maintaining them row by row during a million-incident insert.
"""

from __future__ import annotations

SEED_TABLES: tuple[str, ...] = (
    "meta",
    "teams",
    "users",
    "team_members",
    "escalation_policies",
    "services",
    "priorities",
    "incidents",
    "log_entries",
    "change_events",
    "truth_deploys",
)

RUNTIME_TABLES: tuple[str, ...] = (
    "api_tokens",
    "oauth_clients",
    "oauth_tokens",
    "webhook_subscriptions",
)

SEED_DDL = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE teams (ord INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, name TEXT NOT NULL,
    description TEXT, home_tz TEXT NOT NULL);
CREATE TABLE users (ord INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, name TEXT NOT NULL,
    email TEXT UNIQUE NOT NULL, time_zone TEXT NOT NULL, color TEXT NOT NULL, role TEXT NOT NULL,
    job_title TEXT, description TEXT, rules TEXT NOT NULL, phone TEXT NOT NULL);
CREATE TABLE team_members (team_id TEXT NOT NULL, user_id TEXT NOT NULL, role TEXT NOT NULL,
    PRIMARY KEY (team_id, user_id));
CREATE TABLE escalation_policies (ord INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, name TEXT NOT NULL,
    description TEXT, team_id TEXT, num_loops INTEGER NOT NULL, rules TEXT NOT NULL);
CREATE TABLE services (ord INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, name TEXT NOT NULL,
    description TEXT, team_id TEXT NOT NULL, escalation_policy_id TEXT NOT NULL, status TEXT NOT NULL,
    created_at INTEGER NOT NULL, auto_resolve_timeout INTEGER, acknowledgement_timeout INTEGER,
    integration_id TEXT NOT NULL, integration_key TEXT NOT NULL, profile TEXT NOT NULL);
CREATE TABLE priorities (ord INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, name TEXT NOT NULL,
    description TEXT NOT NULL);
CREATE TABLE incidents (number INTEGER PRIMARY KEY, id TEXT NOT NULL, title TEXT NOT NULL,
    service_id TEXT NOT NULL, team_id TEXT NOT NULL, escalation_policy_id TEXT, status TEXT NOT NULL,
    urgency TEXT NOT NULL, priority_id TEXT, incident_key TEXT, created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL, resolved_at INTEGER, last_status_change_at INTEGER NOT NULL,
    last_status_change_by TEXT, assigned_via TEXT NOT NULL, escalation_level INTEGER NOT NULL,
    assignments TEXT NOT NULL, acknowledgements TEXT NOT NULL, first_trigger_seq INTEGER NOT NULL,
    reopened_at INTEGER, alert_count INTEGER NOT NULL, body TEXT, origin TEXT NOT NULL,
    from_email TEXT);
CREATE TABLE log_entries (seq INTEGER PRIMARY KEY, incident INTEGER NOT NULL, type TEXT NOT NULL,
    created_at INTEGER NOT NULL, agent TEXT, channel TEXT NOT NULL, user_id TEXT, assignees TEXT,
    note TEXT, client TEXT);
CREATE TABLE change_events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, timestamp INTEGER NOT NULL,
    summary TEXT NOT NULL, source TEXT NOT NULL, service_ids TEXT NOT NULL, integration_id TEXT,
    custom_details TEXT NOT NULL, links TEXT NOT NULL);
CREATE TABLE truth_deploys (change_seq INTEGER NOT NULL, service_id TEXT NOT NULL,
    timestamp INTEGER NOT NULL, caused_incident INTEGER, followed_24h INTEGER NOT NULL,
    PRIMARY KEY (change_seq, service_id));
"""

SEED_INDEXES = """
CREATE UNIQUE INDEX ix_incidents_id ON incidents (id);
CREATE INDEX ix_incidents_created ON incidents (created_at);
CREATE INDEX ix_incidents_service_created ON incidents (service_id, created_at);
CREATE INDEX ix_incidents_team_created ON incidents (team_id, created_at);
CREATE INDEX ix_incidents_status ON incidents (status, created_at);
CREATE INDEX ix_incidents_key ON incidents (incident_key) WHERE incident_key IS NOT NULL;
CREATE INDEX ix_log_entries_incident ON log_entries (incident, seq);
CREATE INDEX ix_log_entries_created ON log_entries (created_at);
CREATE INDEX ix_change_events_ts ON change_events (timestamp);
"""

RUNTIME_DDL = """
CREATE TABLE IF NOT EXISTS secrets (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS api_tokens (token TEXT PRIMARY KEY, kind TEXT NOT NULL, user_id TEXT,
    read_only INTEGER NOT NULL DEFAULT 0, revoked INTEGER NOT NULL DEFAULT 0,
    startup INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS oauth_clients (client_id TEXT PRIMARY KEY, secret TEXT, kind TEXT NOT NULL,
    name TEXT NOT NULL, redirect_uris TEXT NOT NULL, startup INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS oauth_tokens (token TEXT PRIMARY KEY, kind TEXT NOT NULL, client_id TEXT NOT NULL,
    user_id TEXT, scopes TEXT NOT NULL, expires_at INTEGER, revoked INTEGER NOT NULL DEFAULT 0,
    pair TEXT, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS webhook_subscriptions (id TEXT PRIMARY KEY, body TEXT NOT NULL,
    secret TEXT NOT NULL, previous_secret TEXT, temporarily_disabled INTEGER NOT NULL DEFAULT 0,
    created_seq INTEGER NOT NULL);
"""
