"""Synthetic analytics data for the dashboard benchmark, written with set-based SQL (INSERT … SELECT).

One workspace, one PagerDuty account, 50 services (40 followed), 20 teams, 300 responders in 13 time zones,
`incidents` incidents spread over `days` days up to `now`, their log entries (trigger, notify by push / SMS /
phone / email, acknowledge, escalate, resolve: about 5 per incident) and `deployments` deployments. Rows go
straight into the real models' tables, so the real analytics code runs on them.

Randomness is a hash of the row number (a quadratic residue modulo the prime 2^31 - 1), computed in SQL with
integer arithmetic only, so the same size gives the same rows on PostgreSQL and SQLite and nothing is shipped
from Python row by row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text

from app.analytics import interruption_store, local_times
from app.extensions import db
from app.integrations.pagerduty.sync.mapping import normalise_title
from app.models import (
    AuthKind,
    Deployment,
    Incident,
    IncidentLogEntry,
    Interruption,
    PagerDutyAccount,
    PDService,
    PDTeam,
    PDUser,
    Region,
    Workspace,
)

SERVICES = 50
TEAMS = 20
USERS = 300
ZONES = (
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Europe/Paris",
    "America/Chicago",
    "Asia/Singapore",
    "Pacific/Auckland",
)  # and every 13th responder has no zone: the workspace's applies
# Title patterns: literal pieces with a number between each two (recurring incidents group them).
TITLES = (
    ("Disk ", "% full on db-", ""),
    ("CPU above ", "% on web-", ""),
    ("HTTP 5xx rate ", "% on checkout", ""),
    ("Latency p99 ", " ms on api-gateway", ""),
    ("Queue depth ", " on worker-", ""),
    ("Replication lag ", " s on replica-", ""),
    ("Certificate expires in ", " days on edge-", ""),
    ("Pod crashlooping: payments-", " restarts ", ""),
    ("Memory above ", "% on cache-", ""),
    ("Error budget burn ", "x for slo-", ""),
    ("Job nightly-export-", " failed after ", " retries"),
    ("Heartbeat missed from agent-", "", ""),
    ("Login failures ", " per minute on idp-", ""),
    ("Kafka consumer lag ", " on partition ", ""),
    ("Synthetic check ", " failed from region ", ""),
    ("Backup ", " did not finish in ", " minutes"),
)
PRIME = 2147483647  # 2^31 - 1


@dataclass(frozen=True)
class Loaded:
    workspace_id: int
    account_id: int
    incidents: int
    log_entries: int
    deployments: int


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _hash(expr: str, salt: int) -> str:
    """0 … 9999, uniform enough, different for each salt; integer arithmetic that fits 64 bits everywhere."""
    x = f"(((CAST({expr} AS BIGINT) + {salt * 7919}) * 48271) % {PRIME})"
    return f"((({x} * {x}) % {PRIME}) % 10000)"


def _series(n: int) -> str:
    if _dialect() == "postgresql":
        return f"generate_series(1, {n}) AS s(i)"
    return f"(WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) SELECT i FROM s) AS s"


def _plus_seconds(timestamp: str, seconds: str) -> str:
    """A stored timestamp (naive UTC) plus a number of seconds, in each engine's storage format."""
    if _dialect() == "postgresql":
        return f"({timestamp} + ({seconds}) * INTERVAL '1 second')"
    # SQLAlchemy stores SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff'; keep that shape so text compares work.
    return f"(strftime('%Y-%m-%d %H:%M:%S', {timestamp}, ({seconds}) || ' seconds') || '.000000')"


def _literal_ts(moment: datetime) -> str:
    naive = moment.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S")
    return f"TIMESTAMP '{naive}'" if _dialect() == "postgresql" else f"'{naive}.000000'"


def _exec(sql: str) -> int:
    return int(getattr(db.session.execute(text(sql)), "rowcount", 0) or 0)


def _title_sql(pattern: str, n1: str, n2: str) -> tuple[str, str]:
    """(title, template) CASE expressions over the pattern index."""
    titles, templates = [], []
    for index, (a, b, c) in enumerate(TITLES):
        title = f"'{a}' || {n1}" + (f" || '{b}' || {n2}" if b or c else "") + (f" || '{c}'" if c else "")
        example = a + "17" + (b + "42" if b or c else "") + c
        template = normalise_title(example)
        templates.append(f"WHEN {index} THEN '{template}'")
        titles.append(f"WHEN {index} THEN {title}")
    return f"CASE {pattern} {' '.join(titles)} END", f"CASE {pattern} {' '.join(templates)} END"


def load(incidents: int, deployments: int, days: int, now: datetime, email: str) -> Loaded:
    """Create the workspace (its member `email` must exist) and everything in it; commits."""
    from app.models import Membership, Role, User

    workspace = Workspace(name=f"Bench {now:%Y%m%d%H%M%S}", timezone="Europe/Berlin")
    db.session.add(workspace)
    db.session.flush()
    user = db.session.scalars(select(User).where(User.email == email)).one()
    db.session.add(Membership(user_id=user.id, workspace_id=workspace.id, role=Role.MEMBER))
    account = PagerDutyAccount(
        workspace_id=workspace.id, auth_kind=AuthKind.API_TOKEN, region=Region.US, subdomain="bench"
    )
    db.session.add(account)
    db.session.flush()
    ws, acc = workspace.id, account.id
    start = now - timedelta(days=days)
    _directory(ws, acc)
    first_service = db.session.scalar(select(func.min(PDService.id)).where(PDService.workspace_id == ws))
    first_user = db.session.scalar(select(func.min(PDUser.id)).where(PDUser.workspace_id == ws))
    _incidents(ws, acc, incidents, days, start, now, first_service)
    _log_entries(ws, acc, first_user)
    if _dialect() != "postgresql":
        # As sync does when it writes notifications: their local hour and weekday in the person's zone. (On
        # PostgreSQL the INSERTs computed them already: refreshing 2.4 million rows afterwards takes minutes.)
        local_times.refresh_users(ws, list(range(first_user, first_user + USERS)))
    _deployments(ws, acc, deployments, days, start, first_service)
    # As sync does before each commit: which notifications are interruptions (one person at a time here).
    interruption_store.rebuild_workspace(ws)
    db.session.commit()
    if _dialect() == "postgresql":
        # The steady state autovacuum would reach: fresh statistics, and a visibility map, without which
        # PostgreSQL cannot read a bulk-loaded table from its covering indexes alone.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")

    def count(model: type[db.Model]) -> int:  # type: ignore[name-defined]
        return int(db.session.scalar(select(func.count()).select_from(model).where(model.workspace_id == ws)))

    return Loaded(ws, acc, count(Incident), count(IncidentLogEntry), count(Deployment))


def _directory(ws: int, acc: int) -> None:
    _exec(
        "INSERT INTO pd_services (workspace_id, account_id, remote_id, name, status, selected, "
        "deleted_remotely) "
        f"SELECT {ws}, {acc}, 'PSVC' || i, 'service-' || i, 'active', (i % 5 <> 0), FALSE "
        f"FROM {_series(SERVICES)}"
    )
    _exec(
        "INSERT INTO pd_teams (workspace_id, account_id, remote_id, name) "
        f"SELECT {ws}, {acc}, 'PTEAM' || i, 'Team ' || i FROM {_series(TEAMS)}"
    )
    zones = " ".join(f"WHEN {index} THEN '{zone}'" for index, zone in enumerate(ZONES))
    _exec(
        "INSERT INTO pd_users (workspace_id, account_id, remote_id, name, email, time_zone) "
        f"SELECT {ws}, {acc}, 'PUSER' || i, 'Responder ' || i, 'responder' || i || '@bench.test', "
        f"CASE i % {len(ZONES) + 1} {zones} ELSE NULL END FROM {_series(USERS)}"
    )
    # Most services belong to one team, every third to a second one, every 17th to none ("No team").
    for team_expr, condition in (
        (f"(s.i - 1) % {TEAMS}", "s.i % 17 <> 0"),
        (f"(s.i + 6) % {TEAMS}", "s.i % 3 = 0 AND s.i % 17 <> 0"),
    ):
        _exec(
            "INSERT INTO pd_service_teams (service_id, team_id) "
            f"SELECT svc.id, team.id FROM {_series(SERVICES)} "
            f"JOIN pd_services svc ON svc.workspace_id = {ws} AND svc.remote_id = 'PSVC' || s.i "
            f"JOIN pd_teams team ON team.workspace_id = {ws} AND team.remote_id = 'PTEAM' || ({team_expr} + 1) "
            f"WHERE {condition}"
        )
    _exec(
        "INSERT INTO pd_team_members (team_id, user_id) "
        f"SELECT team.id, u.id FROM pd_users u JOIN pd_teams team ON team.workspace_id = {ws} "
        f"AND team.remote_id = 'PTEAM' || ((u.id % {TEAMS}) + 1) WHERE u.workspace_id = {ws}"
    )


def _incidents(
    ws: int, acc: int, n: int, days: int, start: datetime, now: datetime, first_service: int
) -> None:
    span = days * 86400
    r = {k: _hash("i", k) for k in range(1, 14)}
    created = f"(CAST(i AS BIGINT) * {span} / {n} + {r[1]} % {max(1, span // n)})"
    # Skewed towards the first services (a few noisy ones), a dozen title patterns per service.
    service = f"({first_service} + ({r[2]} * {r[2]} / 10000) * {SERVICES} / 10000)"
    pattern = f"((({r[2]} * {r[2]} / 10000) * {SERVICES} / 10000) * 3 + {r[3]} * {r[3]} / 10000 * 12 / 10000) % {len(TITLES)}"
    title, template = _title_sql(pattern, f"({r[4]} % 97)", f"({r[5]} % 40)")
    # Acknowledged 85 %: mostly within minutes, a long tail to hours.
    ack = f"CASE WHEN {r[6]} < 8500 THEN 10 + {r[7]} * {r[7]} / 10000 * {r[7]} / 10000 * 1800 / 10000 + CASE WHEN {r[7]} > 9700 THEN {r[8]} * 3 ELSE 0 END END"
    resolve = f"(COALESCE(ack, 0) + 60 + {r[9]} * {r[9]} / 10000 * 14400 / 10000 + CASE WHEN {r[9]} > 9900 THEN {r[10]} * 30 ELSE 0 END)"
    recent = _plus_seconds(_literal_ts(now), "-6 * 3600")
    _exec(
        "INSERT INTO incidents (workspace_id, account_id, service_id, remote_id, number, title, title_template, "
        "status, urgency, priority, created_at, first_ack_at, resolved_at, ack_seconds, resolve_seconds, "
        "updated_at, reopen_count, escalation_count, assignment_count, auto_resolved, excluded) "
        f"SELECT {ws}, {acc}, service, 'PINC' || i, i, title, template, "
        "CASE WHEN open_ THEN (CASE WHEN ack IS NULL THEN 'triggered' ELSE 'acknowledged' END) ELSE 'resolved' END, "
        f"CASE WHEN {r[11]} < 7000 THEN 'high' ELSE 'low' END, "
        f"CASE WHEN {r[12]} < 500 THEN 'P1' WHEN {r[12]} < 2000 THEN 'P2' WHEN {r[12]} < 5000 THEN 'P3' END, "
        f"created, {_plus_seconds('created', 'ack')}, "
        f"CASE WHEN NOT open_ THEN {_plus_seconds('created', 'resolve')} END, ack, "
        "CASE WHEN NOT open_ THEN resolve END, created, "
        f"CASE WHEN {r[13]} < 200 THEN 1 ELSE 0 END, "
        f"CASE WHEN {r[13]} % 1000 < 20 THEN 2 WHEN {r[13]} % 1000 < 100 THEN 1 ELSE 0 END, 1, "
        f"(NOT open_ AND {r[10]} < 1500), ({r[13]} % 1000 = 999) "
        "FROM (SELECT i, service, title, template, created, ack, "
        f"{resolve} AS resolve, ({r[8]} < 100 OR (created >= {recent} AND {r[8]} < 5000)) AS open_ "
        f"FROM (SELECT i, {service} AS service, {title} AS title, {template} AS template, "
        f"{_plus_seconds(_literal_ts(start), created)} AS created, {ack} AS ack "
        f"FROM {_series(n)}) AS base) AS incident"
    )
    _exec(
        "INSERT INTO incident_teams (incident_id, team_id) SELECT inc.id, st.team_id FROM incidents inc "
        f"JOIN pd_service_teams st ON st.service_id = inc.service_id WHERE inc.workspace_id = {ws}"
    )


def _log_entries(ws: int, acc: int, first_user: int) -> None:
    columns = (
        "INSERT INTO incident_log_entries (workspace_id, account_id, incident_id, remote_id, type, at, "
        "agent_type, user_id, channel) "
    )
    # Each service has a handful of on-call responders; the primary is paged, the secondary gets escalations.
    primary = f"({first_user} + (inc.service_id * 7 + inc.id % 3) % {USERS})"
    secondary = f"({first_user} + (inc.service_id * 7 + 3 + inc.id % 2) % {USERS})"
    source = f"FROM incidents inc WHERE inc.workspace_id = {ws}"
    _exec(
        columns + f"SELECT {ws}, {acc}, inc.id, 'T' || inc.id, 'trigger_log_entry', inc.created_at, "
        f"'service_reference', NULL, NULL {source}"
    )
    # Push at +5 s, then SMS at +35 s (same minute: one interruption), a phone call at +2 min if nobody has
    # acknowledged by then; a quarter of the first notifications go by email (never an interruption).
    first_channel = f"CASE WHEN {_hash('inc.id', 21)} < 2500 THEN 'email' WHEN {_hash('inc.id', 21)} < 7500 THEN 'push' ELSE 'sms' END"
    for step, delay, channel, condition in (
        (1, 5, first_channel, "TRUE"),
        (2, 35, "'sms'", f"{_hash('inc.id', 22)} % 3 <> 0"),
        (3, 120, "'phone'", "(inc.ack_seconds IS NULL OR inc.ack_seconds > 120)"),
    ):
        at = _plus_seconds("inc.created_at", str(delay))
        _exec(
            _with_local(columns) + f"SELECT {ws}, {acc}, inc.id, 'N{step}-' || inc.id, 'notify_log_entry', "
            f"{at}, 'service_reference', {primary}, {channel}{_local(at, primary, ws)} {source} AND {condition}"
        )
    _exec(
        columns + f"SELECT {ws}, {acc}, inc.id, 'A-' || inc.id, 'acknowledge_log_entry', inc.first_ack_at, "
        f"'user_reference', {primary}, 'website' {source} AND inc.first_ack_at IS NOT NULL"
    )
    # As sync derives it from those entries: who made the first acknowledgement.
    _exec(
        f"UPDATE incidents AS inc SET first_ack_user_id = {primary} "
        f"WHERE inc.workspace_id = {ws} AND inc.first_ack_at IS NOT NULL"
    )
    # Reopened incidents were acknowledged a second time, by someone else, after the first.
    _exec(
        columns + f"SELECT {ws}, {acc}, inc.id, 'A2-' || inc.id, 'acknowledge_log_entry', "
        f"{_plus_seconds('inc.first_ack_at', '600')}, 'user_reference', {secondary}, 'mobile' "
        f"{source} AND inc.first_ack_at IS NOT NULL AND inc.reopen_count > 0"
    )
    _exec(
        columns + f"SELECT {ws}, {acc}, inc.id, 'E-' || inc.id, 'escalate_log_entry', "
        f"{_plus_seconds('inc.created_at', '300')}, 'service_reference', {secondary}, 'timeout' "
        f"{source} AND inc.escalation_count > 0"
    )
    at = _plus_seconds("inc.created_at", "301")
    _exec(
        _with_local(columns) + f"SELECT {ws}, {acc}, inc.id, 'EN-' || inc.id, 'notify_log_entry', "
        f"{at}, 'service_reference', {secondary}, 'phone'{_local(at, secondary, ws)} "
        f"{source} AND inc.escalation_count > 0"
    )
    _exec(
        columns + f"SELECT {ws}, {acc}, inc.id, 'R-' || inc.id, 'resolve_log_entry', inc.resolved_at, "
        f"CASE WHEN inc.auto_resolved THEN 'service_reference' ELSE 'user_reference' END, "
        f"CASE WHEN inc.auto_resolved THEN NULL ELSE {primary} END, "
        f"CASE WHEN inc.auto_resolved THEN 'auto' ELSE 'website' END {source} AND inc.resolved_at IS NOT NULL"
    )


def _with_local(columns: str) -> str:
    if _dialect() != "postgresql":
        return columns
    return columns.replace("user_id, channel)", "user_id, channel, local_hour, local_isoweekday)")


def _local(at: str, user: str, ws: int) -> str:
    """PostgreSQL: the notification's local hour and weekday in the person's zone (else the workspace's), for
    the INSERT itself; `verify` checks a sample against Python's conversion, which the app uses."""
    if _dialect() != "postgresql":
        return ""
    zone = (
        f"(SELECT COALESCE(u.time_zone, w.timezone) FROM pd_users u JOIN workspaces w ON w.id = u.workspace_id "
        f"WHERE u.id = {user} AND u.workspace_id = {ws})"
    )
    local = f"(({at}) AT TIME ZONE 'UTC') AT TIME ZONE {zone}"
    return f", CAST(EXTRACT(HOUR FROM {local}) AS INTEGER), CAST(EXTRACT(ISODOW FROM {local}) AS INTEGER)"


def _deployments(ws: int, acc: int, n: int, days: int, start: datetime, first_service: int) -> None:
    span = days * 86400
    r1, r2 = _hash("i", 31), _hash("i", 32)
    at = _plus_seconds(_literal_ts(start), f"CAST(i AS BIGINT) * {span} / {n} + {r1} % {max(1, span // n)}")
    _exec(
        "INSERT INTO deployments (workspace_id, account_id, service_id, source, remote_id, at, summary) "
        f"SELECT {ws}, {acc}, {first_service} + ({r2} * {r2} / 10000) * {SERVICES} / 10000, "
        f"CASE WHEN i % 3 = 0 THEN 'api' ELSE 'pagerduty_change_event' END, 'DEP' || i, {at}, "
        f"'release 1.' || i FROM {_series(n)}"
    )


def verify(loaded: Loaded) -> None:
    """The generator's assumptions, checked: contiguous directory ids, templates as sync would store them."""
    ws = loaded.workspace_id
    for model, expected in ((PDService, SERVICES), (PDTeam, TEAMS), (PDUser, USERS)):
        low, high = db.session.execute(
            select(func.min(model.id), func.max(model.id)).where(model.workspace_id == ws)
        ).one()
        if high - low + 1 != expected:
            raise RuntimeError(f"{model.__tablename__} ids are not contiguous")
    sample = db.session.execute(
        select(Incident.title, Incident.title_template).where(Incident.workspace_id == ws).limit(2000)
    ).all()
    wrong = [title for title, template in sample if normalise_title(title) != template]
    if wrong:
        raise RuntimeError(f"title templates differ from normalise_title: {wrong[:3]}")
    entry = IncidentLogEntry
    notes = db.session.execute(
        select(entry.at, entry.local_hour, entry.local_isoweekday, PDUser.time_zone, Workspace.timezone)
        .join(PDUser, PDUser.id == entry.user_id)
        .join(Workspace, Workspace.id == entry.workspace_id)
        .where(entry.workspace_id == ws, entry.type == "notify_log_entry")
        .limit(5000)
    ).all()
    for at, hour, weekday, zone, workspace_zone in notes:
        local = at.astimezone(ZoneInfo(zone or workspace_zone))
        if (hour, weekday) != (local.hour, local.isoweekday()):
            raise RuntimeError(f"local time of a notification at {at} in {zone}: {hour}, {weekday}")
    # Who acknowledged first, as sync derives it: the acknowledgement at first_ack_at.
    acks = db.session.execute(
        select(Incident.id, Incident.first_ack_user_id, entry.user_id)
        .join(entry, (entry.incident_id == Incident.id) & (entry.at == Incident.first_ack_at))
        .where(Incident.workspace_id == ws, entry.type == "acknowledge_log_entry")
        .limit(2000)
    ).all()
    if not acks or any(derived != logged for _id, derived, logged in acks):
        raise RuntimeError("incidents.first_ack_user_id differs from the first acknowledgement's person")
    if not db.session.scalar(
        select(func.count()).select_from(Interruption).where(Interruption.workspace_id == ws)
    ):
        raise RuntimeError("no interruption verdicts were written")
