"""Store each notification's local hour and weekday; index acknowledgements by incident; covering indexes

The dashboard's window scans read incidents and log entries from their indexes alone on PostgreSQL
(`INCLUDE` columns; other engines keep the plain indexes).

Interruptions are classed by the local hour and weekday at which a notification reached the person, in their
zone (else the workspace's). The app now writes them with the log entry (app/analytics/local_times.py); this
revision adds the columns and fills them for the entries already synced, one UPDATE per zone and UTC-offset
span, with the zone's offsets taken from Python's time-zone database as the app does.

Revision ID: e5e62772e860
Revises: c1bc6468b6d0
Create Date: 2026-11-22 07:55:34.051775

"""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "e5e62772e860"
down_revision = "c1bc6468b6d0"
branch_labels = None
depends_on = None

NOTIFY = "notify_log_entry"
INCIDENT_FILTERS = ["service_id", "excluded", "urgency", "priority"]
INCIDENT_MEASURES = [
    "service_id",
    "status",
    "urgency",
    "priority",
    "excluded",
    "ack_seconds",
    "resolve_seconds",
    "escalation_count",
    "auto_resolved",
]
ENTRY_FIELDS = ["id", "incident_id", "user_id", "channel", "local_hour", "local_isoweekday"]


def upgrade():
    with op.batch_alter_table("incident_log_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("local_hour", sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column("local_isoweekday", sa.SmallInteger(), nullable=True))
        batch_op.create_index(
            "ix_log_entries_acks_incident_at",
            ["incident_id", "at", "id"],
            unique=False,
            postgresql_where=sa.text("type = 'acknowledge_log_entry'"),
            sqlite_where=sa.text("type = 'acknowledge_log_entry'"),
        )
    _fill_local_times(op.get_bind())
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index("ix_incidents_ws_id_filters", ["workspace_id", "id"], unique=False,
                              postgresql_include=INCIDENT_FILTERS)  # fmt: skip
    _recreate("incidents", "ix_incidents_ws_created", ["workspace_id", "created_at"], INCIDENT_MEASURES)
    _recreate("incident_log_entries", "ix_log_entries_ws_type_at", ["workspace_id", "type", "at"], ENTRY_FIELDS)


def _recreate(table, name, columns, include):
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.drop_index(name)
        batch_op.create_index(name, columns, unique=False, postgresql_include=include)


def downgrade():
    _recreate("incident_log_entries", "ix_log_entries_ws_type_at", ["workspace_id", "type", "at"], [])
    _recreate("incidents", "ix_incidents_ws_created", ["workspace_id", "created_at"], [])
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_ws_id_filters")
    with op.batch_alter_table("incident_log_entries", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_log_entries_acks_incident_at",
            postgresql_where=sa.text("type = 'acknowledge_log_entry'"),
            sqlite_where=sa.text("type = 'acknowledge_log_entry'"),
        )
        batch_op.drop_column("local_isoweekday")
        batch_op.drop_column("local_hour")


def _zone(name):
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _offset(zone, instant):
    return int(instant.astimezone(zone).utcoffset().total_seconds())


def _spans(zone, start, end):
    """[(span start, span end, UTC offset in seconds)] covering [start, end): probe every 6 hours, bisect to
    the second where the offset changes (as app/analytics/windows.offset_spans)."""
    spans, span_start, offset, probe = [], start, _offset(zone, start), start
    while probe < end:
        following = min(probe + timedelta(hours=6), end)
        if _offset(zone, following) != offset:
            low, high = 0, int((following - probe).total_seconds())
            while high - low > 1:
                middle = (low + high) // 2
                if _offset(zone, probe + timedelta(seconds=middle)) == offset:
                    low = middle
                else:
                    high = middle
            change = probe + timedelta(seconds=high)
            spans.append((span_start, change, offset))
            span_start, offset = change, _offset(zone, change)
        probe = following
    spans.append((span_start, end, offset))
    return spans


def _local_sql(dialect):
    if dialect == "postgresql":
        shifted = "(at + CAST(:offset AS INTEGER) * INTERVAL '1 second')"
        return (
            f"CAST(EXTRACT(HOUR FROM {shifted}) AS INTEGER)",
            f"CAST(EXTRACT(ISODOW FROM {shifted}) AS INTEGER)",
        )
    modifier = "(:offset || ' seconds')"
    return (
        f"CAST(strftime('%H', at, {modifier}) AS INTEGER)",
        f"((CAST(strftime('%w', at, {modifier}) AS INTEGER) + 6) % 7 + 1)",
    )


def _stored(dialect, moment):
    naive = moment.astimezone(UTC).replace(tzinfo=None)
    return naive if dialect == "postgresql" else naive.strftime("%Y-%m-%d %H:%M:%S.%f")


def _aware(value):
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)


def _fill_local_times(bind):
    dialect = bind.dialect.name
    hour_sql, weekday_sql = _local_sql(dialect)
    workspaces = bind.execute(sa.text("SELECT id, timezone FROM workspaces")).all()
    for workspace_id, workspace_zone in workspaces:
        fallback = _zone(workspace_zone) or ZoneInfo("UTC")
        users_by_zone = {}
        for user_id, name in bind.execute(
            sa.text("SELECT id, time_zone FROM pd_users WHERE workspace_id = :ws"), {"ws": workspace_id}
        ):
            zone = _zone(name) or fallback
            users_by_zone.setdefault(zone.key, (zone, []))[1].append(user_id)
        for zone, user_ids in users_by_zone.values():
            users = ", ".join(str(int(user_id)) for user_id in user_ids)
            scope = f"workspace_id = :ws AND type = '{NOTIFY}' AND user_id IN ({users})"
            first, last = bind.execute(
                sa.text(f"SELECT min(at), max(at) FROM incident_log_entries WHERE {scope}"), {"ws": workspace_id}
            ).one()
            if first is None:
                continue
            for start, end, offset in _spans(zone, _aware(first), _aware(last) + timedelta(seconds=1)):
                bind.execute(
                    sa.text(
                        f"UPDATE incident_log_entries SET local_hour = {hour_sql}, local_isoweekday = {weekday_sql}"
                        f" WHERE {scope} AND at >= :start AND at < :end"
                    ),
                    {"ws": workspace_id, "offset": offset, "start": _stored(dialect, start),
                     "end": _stored(dialect, end)},
                )  # fmt: skip
