"""No value PagerDuty sends stops a sync: long names, NUL, emoji, right-to-left overrides, lone surrogates."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.integrations.pagerduty.sync import mapping, runner
from app.integrations.pagerduty.sync.store import store_services
from app.models import (
    Deployment,
    Incident,
    PagerDutyAccount,
    PDPriority,
    PDService,
    PDTeam,
    PDUser,
    Role,
    SyncKind,
    SyncRun,
    SyncStatus,
)
from pdsim.testing import RunningSim
from tests.factories import make_user
from tests.sync.conftest import select_all_services

RTL = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
SERVICE_NAME = f"{RTL}Checkout 🚨 " + "x" * 5000 + "\x00end"
TEAM_NAME = "Payments\x00 " + "t" * 400
USER_NAME = "Ann " + "ü" * 300 + "\x00"
PRIORITY_NAME = "P1 🔥 " + "p" * 300
TITLE = "Disk full\x00 on " + "h" * 10_000
INCIDENT_KEY = "key-" + "k" * 1000
SUMMARY = "Deploy\x00 " + "d" * 3000


def without_nul(value: str) -> str:
    return value.replace("\x00", "")


def make_hostile(sim: RunningSim) -> dict[str, str]:
    """Write hostile values into pdsim's own tables; return the ids of the rows changed."""
    store = sim.store
    service = store.rows("SELECT id FROM services ORDER BY ord LIMIT 1")[0]["id"]
    team = store.rows("SELECT id FROM teams ORDER BY ord LIMIT 1")[0]["id"]
    user = store.rows("SELECT id FROM users ORDER BY ord DESC LIMIT 1")[0]["id"]
    priority = store.rows("SELECT id FROM priorities ORDER BY ord LIMIT 1")[0]["id"]
    incident = store.rows(
        "SELECT id FROM incidents WHERE service_id = ? ORDER BY number DESC LIMIT 1", (service,)
    )
    change = store.rows("SELECT id FROM change_events ORDER BY timestamp DESC LIMIT 1")[0]["id"]
    with store.write() as conn:
        conn.execute("UPDATE services SET name = ? WHERE id = ?", (SERVICE_NAME, service))
        conn.execute("UPDATE teams SET name = ? WHERE id = ?", (TEAM_NAME, team))
        conn.execute("UPDATE users SET name = ? WHERE id = ?", (USER_NAME, user))
        conn.execute("UPDATE priorities SET name = ? WHERE id = ?", (PRIORITY_NAME, priority))
        conn.execute(
            "UPDATE incidents SET title = ?, incident_key = ?, priority_id = ? WHERE id = ?",
            (TITLE, INCIDENT_KEY, priority, incident[0]["id"]),
        )
        conn.execute("UPDATE change_events SET summary = ? WHERE id = ?", (SUMMARY, change))
    sim.sim.reload_directory()
    return {
        "service": service,
        "team": team,
        "user": user,
        "priority": priority,
        "incident": incident[0]["id"],
        "change": change,
    }


def by_remote(model: type, account: PagerDutyAccount, remote_id: str) -> object:
    return db.session.scalars(
        select(model).where(model.account_id == account.id, model.remote_id == remote_id)  # type: ignore[attr-defined]
    ).one()


def test_it_syncs_an_account_full_of_hostile_values(
    account: PagerDutyAccount, sim: RunningSim, login_as: Callable[[str], FlaskClient]
) -> None:
    ids = make_hostile(sim)
    select_all_services(account, sim)

    assert runner.run(account.id) == "succeeded"

    db.session.expire_all()
    assert by_remote(PDService, account, ids["service"]).name == without_nul(SERVICE_NAME)
    assert by_remote(PDTeam, account, ids["team"]).name == without_nul(TEAM_NAME)
    assert by_remote(PDUser, account, ids["user"]).name == without_nul(USER_NAME)
    # The priority name is indexed with the incidents: cut to 255 with a marker, the same on both.
    cut = PRIORITY_NAME[:254] + "…"
    assert by_remote(PDPriority, account, ids["priority"]).name == cut
    incident = by_remote(Incident, account, ids["incident"])
    assert (incident.title, incident.incident_key, incident.priority) == (
        without_nul(TITLE),
        INCIDENT_KEY,
        cut,
    )
    summaries = db.session.scalars(
        select(Deployment.summary).where(
            Deployment.account_id == account.id, Deployment.remote_id == ids["change"]
        )
    ).all()
    assert summaries and set(summaries) == {without_nul(SUMMARY)}
    # The explorer finds it by that (cut) priority name, as its filter menu offers it.
    make_user("reader@acme.test", "Rita Reader", account.workspace, Role.MEMBER)
    db.session.commit()
    listing = login_as("reader@acme.test").get("/incidents", query_string={"priority": cut, "days": "365"})
    shown = re.findall(r'<td class="muted">(\d+)</td>', listing.get_data(as_text=True))
    assert listing.status_code == 200 and str(incident.number) in shown


def test_it_stores_lone_surrogates_as_replacement_characters(account: PagerDutyAccount) -> None:
    # JSON may carry "\ud800" escapes; json.loads makes them lone surrogates, which have no UTF-8.
    raw = {"id": "PSURR01", "name": "half \ud83d of an emoji", "status": "active", "teams": []}

    store_services(account, [raw], {})
    db.session.commit()

    db.session.expire_all()
    assert by_remote(PDService, account, "PSURR01").name == "half \ufffd of an emoji"  # type: ignore[attr-defined]


@pytest.mark.parametrize("field", ["status", "urgency"])
def test_it_cuts_the_indexed_incident_fields_with_a_marker(field: str) -> None:
    raw = {"id": "PINC", "service": {"id": "PSVC"}, "created_at": "2026-01-01T00:00:00Z", field: "z" * 500}

    value = mapping.map_incident(raw).values[field]

    limit = mapping.STATUS_LIMIT if field == "status" else mapping.URGENCY_LIMIT
    assert len(value) == limit and value.endswith("…")


def test_it_shows_a_sentence_not_sql_when_a_sync_failed(account: PagerDutyAccount, login_as: object) -> None:
    # What runner.py records for an exception it did not expect: its text holds the SQL and the row data.
    db.session.add(
        SyncRun(
            workspace_id=account.workspace_id,
            account_id=account.id,
            kind=SyncKind.BACKFILL,
            status=SyncStatus.FAILED,
            error="Internal error: DataError: (psycopg.errors.StringDataRightTruncation) value too long "
            "[SQL: INSERT INTO pd_priorities (name) VALUES (%(name)s)] [parameters: {'name': 'P1 secret'}]",
        )
    )
    make_user("reader@acme.test", "Rita Reader", account.workspace, Role.MEMBER)
    db.session.commit()
    client: FlaskClient = login_as("reader@acme.test")  # type: ignore[operator]

    page = client.get(f"/integrations/pagerduty/{account.id}").get_data(as_text=True)

    assert "The sync stopped on an error inside Vigil; the details are in the server log." in page
    assert "SQL" not in page and "INSERT" not in page and "P1 secret" not in page
