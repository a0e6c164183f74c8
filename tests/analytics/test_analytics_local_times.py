"""Each notification's local hour and weekday, stored with it and kept right when a zone changes."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select, update

from app.analytics import local_times
from app.analytics.changes import AccountWrites
from app.analytics.interruptions import Interruptions, interruptions_by_user
from app.extensions import db
from app.integrations.pagerduty.sync.store import Directory, store_log_entries, store_users
from app.models import IncidentLogEntry, PDUser
from tests.analytics.factories import make_incident, make_notification, make_world, query, utc
from tests.factories import make_pd_account, make_pd_user, make_service

# 2026-03-29 01:30 UTC: 03:30 on Sunday in Berlin (summer time began at 01:00 UTC), 21:30 on Saturday in
# New York, 10:30 on Sunday in Tokyo.
AT = utc(2026, 3, 29, 1, 30)


def _local(entry_id: int) -> tuple[int | None, int | None]:
    row = db.session.execute(
        select(IncidentLogEntry.local_hour, IncidentLogEntry.local_isoweekday).where(
            IncidentLogEntry.id == entry_id
        )
    ).one()
    return row.local_hour, row.local_isoweekday


def test_it_stores_the_local_time_in_the_persons_zone_or_the_workspaces(app: Flask) -> None:
    world = make_world("Europe/Berlin")
    incident = make_incident(world.api, AT - timedelta(minutes=5))
    new_york = make_pd_user(world.account, time_zone="America/New_York")
    zoneless = make_pd_user(world.account, time_zone=None)
    unknown = make_pd_user(world.account, time_zone="Mars/Olympus_Mons")
    entries = [make_notification(incident, user, AT) for user in (new_york, zoneless, unknown)]
    assert [_local(entry.id) for entry in entries] == [(21, 6), (3, 7), (3, 7)]


def test_it_computes_the_local_time_of_entries_sync_writes(app: Flask) -> None:
    world = make_world("UTC")
    incident = make_incident(world.api, AT - timedelta(minutes=5))
    tokyo = make_pd_user(world.account, time_zone="Asia/Tokyo", remote_id="PTOKYO")
    directory = Directory.load(world.account)
    raw = {
        "id": "LOG1",
        "type": "notify_log_entry",
        "created_at": "2026-03-29T01:30:00Z",
        "incident": {"id": incident.remote_id},
        "user": {"id": tokyo.remote_id, "type": "user_reference"},
        "channel": {"type": "sms"},
        "agent": {"id": "PSVC", "type": "service_reference"},
    }
    store_log_entries(world.account, [raw], directory, local_times.EntryFields(world.workspace.id))
    entry = db.session.scalars(select(IncidentLogEntry).where(IncidentLogEntry.remote_id == "LOG1")).one()
    assert _local(entry.id) == (10, 7)


def test_it_reclasses_a_persons_notifications_when_their_zone_changes(app: Flask) -> None:
    world = make_world("UTC")
    incident = make_incident(world.api, AT - timedelta(minutes=5))
    person = make_pd_user(world.account, time_zone="Asia/Tokyo", remote_id="PMOVER")
    other = make_pd_user(world.account, time_zone="Asia/Tokyo", remote_id="PSTAYS")
    moved, stayed = make_notification(incident, person, AT), make_notification(incident, other, AT)
    users = [
        {"id": "PMOVER", "name": "Mover", "time_zone": "America/New_York"},
        {"id": "PSTAYS", "name": "Stays", "time_zone": "Asia/Tokyo"},
    ]
    writes = AccountWrites(world.account.id, world.workspace.id)

    def sync_users(raw: list[dict[str, str]]) -> None:  # as the sync does: write, then settle before commit
        _, rezoned = store_users(world.account, raw, {})
        writes.zones_changed(rezoned)
        writes.before_commit(wrote=True)

    sync_users(users)
    assert _local(moved.id) == (21, 6)
    assert _local(stayed.id) == (10, 7)
    # Both are off-hours; moving to Berlin makes it 03:30, a sleep-hour interruption.
    sync_users([{**users[0], "time_zone": "Europe/Berlin"}, users[1]])
    assert _local(moved.id) == (3, 7)
    window = query(world, AT - timedelta(days=1), AT + timedelta(days=1))
    assert interruptions_by_user(window)[person.id] == Interruptions(sleep=1)


def test_it_reclasses_zoneless_people_when_the_workspace_zone_changes(app: Flask, login_as, personas) -> None:
    account = make_pd_account(personas.workspace, subdomain="tzchange")
    service = make_service(account, "api")
    incident = make_incident(service, AT - timedelta(minutes=5))
    zoneless = make_pd_user(account, time_zone=None)
    tokyo = make_pd_user(account, time_zone="Asia/Tokyo")
    by_workspace, by_own = make_notification(incident, zoneless, AT), make_notification(incident, tokyo, AT)
    db.session.commit()
    assert _local(by_workspace.id) == (1, 7)
    response = login_as(personas.owner.email).post(
        "/settings/workspace",
        data={
            "name": personas.workspace.name,
            "timezone": "America/New_York",
            "business_day_start": 8,
            "business_day_end": 18,
            "business_days": ["1", "2", "3", "4", "5"],
            "cfr_attribution_hours": 24,
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert _local(by_workspace.id) == (21, 6)
    assert _local(by_own.id) == (10, 7)


def test_it_classes_a_notification_not_filled_yet_as_if_it_were(app: Flask) -> None:
    world = make_world("Europe/Berlin")
    incident = make_incident(world.api, AT - timedelta(minutes=5))
    people = [
        make_pd_user(world.account, time_zone=zone) for zone in ("America/New_York", None, "Asia/Tokyo")
    ]
    for hours in range(0, 24 * 8, 5):  # every weekday and hour class, across the clock change
        for person in people:
            make_notification(incident, person, AT - timedelta(days=4) + timedelta(hours=hours))
    window = query(world, AT - timedelta(days=5), AT + timedelta(days=5))
    stored = interruptions_by_user(window)
    db.session.execute(update(IncidentLogEntry).values(local_hour=None, local_isoweekday=None))
    assert interruptions_by_user(window) == stored
    assert local_times.refresh_users(world.workspace.id, [p.id for p in people]) == 3 * len(range(0, 192, 5))
    assert interruptions_by_user(window) == stored
    assert sum(counts.total for counts in stored.values()) == 3 * len(range(0, 192, 5))
    assert db.session.scalar(select(PDUser.time_zone).where(PDUser.id == people[0].id)) == "America/New_York"
