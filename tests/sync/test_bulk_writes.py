"""The sync's batch writes keep every value exactly, on SQLite and on PostgreSQL (rows sent as one JSON
parameter there): awkward text, missing values, timestamps given with any offset, enum members."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from flask import Flask
from sqlalchemy import func, select

from app.extensions import db
from app.integrations.pagerduty.sync.upsert import replace_links, upsert_by_remote_id
from app.models import Deployment, DeploymentSource, PDUser
from app.models.bulk import insert_rows
from app.models.pagerduty import service_teams
from tests.factories import Personas, make_pd_account, make_service, make_team

AWKWARD = 'Zoë "the pager" O\'Brien \\ ops\n{on-call}, 寝る 🚨 NULL'


def test_upsert_writes_new_and_changed_rows_exactly_and_leaves_the_rest(
    app: Flask, personas: Personas
) -> None:
    account = make_pd_account(personas.workspace)
    ws = personas.workspace.id
    rows = [
        ("PU1", {"name": AWKWARD, "email": None, "time_zone": "Asia/Tokyo"}),
        ("PU2", {"name": "", "email": "b@acme.test", "time_zone": None}),
    ]

    first = upsert_by_remote_id(PDUser, account.id, ws, rows)
    again = upsert_by_remote_id(PDUser, account.id, ws, rows)
    changed = upsert_by_remote_id(
        PDUser, account.id, ws, [*rows[:1], ("PU2", {"name": "Bea", "email": None, "time_zone": None})]
    )
    db.session.commit()

    assert (first.created, first.updated, sorted(first.created_ids)) == (2, 0, ["PU1", "PU2"])
    assert (again.created, again.updated, again.written) == (0, 0, set())
    assert again.ids == first.ids  # unchanged rows are still found by remote id
    assert (changed.created, changed.updated, changed.written) == (0, 1, {"PU2"})
    stored = {
        u.remote_id: (u.name, u.email, u.time_zone)
        for u in db.session.scalars(select(PDUser).where(PDUser.account_id == account.id))
    }
    assert stored == {"PU1": (AWKWARD, None, "Asia/Tokyo"), "PU2": ("Bea", None, None)}


def test_timestamps_keep_their_instant_whatever_the_offset_they_come_with(
    app: Flask, personas: Personas
) -> None:
    account = make_pd_account(personas.workspace)
    service = make_service(account)
    india = timezone(timedelta(hours=5, minutes=30))
    given = {
        "utc": datetime(2026, 3, 29, 1, 30, 0, 123456, tzinfo=UTC),
        "india": datetime(2026, 10, 25, 2, 15, 59, 999999, tzinfo=india),
        "new-year": datetime(2026, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-8))),
    }
    insert_rows(
        Deployment.__table__,
        [
            {
                "workspace_id": personas.workspace.id,
                "account_id": account.id,
                "service_id": service.id,
                "source": DeploymentSource.CHANGE_EVENT,
                "remote_id": key,
                "at": at,
                "summary": AWKWARD,
                "url": None,
            }
            for key, at in given.items()
        ],
    )
    db.session.commit()

    stored = {d.remote_id: d for d in db.session.scalars(select(Deployment))}
    assert {key: stored[key].at for key in given} == {key: at.astimezone(UTC) for key, at in given.items()}
    assert stored["new-year"].at == datetime(2027, 1, 1, 7, 59, 59, tzinfo=UTC)
    assert {d.source for d in stored.values()} == {DeploymentSource.CHANGE_EVENT}
    assert {(d.summary, d.url) for d in stored.values()} == {(AWKWARD, None)}
    # Filtering on the stored value agrees with Python: the instant is stored, not the wall time.
    since = datetime(2026, 10, 24, 20, 45, 59, 999999, tzinfo=UTC)
    assert db.session.scalar(select(func.count()).where(Deployment.at >= since)) == 2


def test_links_are_added_once_and_removed_exactly(app: Flask, personas: Personas) -> None:
    account = make_pd_account(personas.workspace)
    service = make_service(account)
    red, blue, green = (make_team(account) for _ in range(3))

    added = replace_links(service_teams, "service_id", "team_id", {service.id: [red.id, blue.id, red.id]})
    again = replace_links(service_teams, "service_id", "team_id", {service.id: [blue.id, red.id]})
    moved = replace_links(service_teams, "service_id", "team_id", {service.id: [blue.id, green.id]})
    db.session.commit()

    assert (added, again, moved) == (2, 0, 2)
    linked = set(
        db.session.scalars(select(service_teams.c.team_id).where(service_teams.c.service_id == service.id))
    )
    assert linked == {blue.id, green.id}
