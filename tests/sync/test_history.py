"""The account's history setting: the page's field, the CLI option, and what the next sync does with it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.crypto import encrypt
from app.extensions import db
from app.integrations.pagerduty import history
from app.integrations.pagerduty.sync import passes, runner
from app.models import AuditEvent, Incident, IncidentLogEntry, PagerDutyAccount, SyncKind, SyncRun
from pdsim.testing import RunningSim
from tests.factories import Personas, make_pd_account
from tests.sync.conftest import TOKEN, select_all_services


def _synced_entries() -> dict[str, int]:
    rows = db.session.execute(
        select(Incident.remote_id, func.count(IncidentLogEntry.id))
        .join(IncidentLogEntry, IncidentLogEntry.incident_id == Incident.id)
        .group_by(Incident.remote_id)
    )
    return {remote_id: count for remote_id, count in rows}


def _latest_run(account: PagerDutyAccount) -> SyncRun:
    db.session.expire_all()
    return runner.latest_runs(account, 1)[0]


def _straddled_cut(sim: RunningSim) -> int:
    """A history (in days) whose start falls inside an incident's life (created before it, log entries after
    it): the entries the first backfill skipped that the lengthened one must fetch."""
    now, hour = datetime.now(UTC).timestamp(), 3600
    lives = []
    for row in sim.store.all_incidents():
        last = max(e["created_at"] for e in sim.store.log_entries_for(row["number"]))
        lives.append((row["created_at"], last))
    for days in range(history.MIN_DAYS, 120):
        cut = now - days * 86400
        if any(created < cut - hour and last > cut + hour for created, last in lives):
            return days
    raise AssertionError("pdsim's seed has no incident lasting across a day boundary")


def test_it_fetches_the_older_period_when_the_history_is_lengthened(
    account: PagerDutyAccount, sim: RunningSim
) -> None:
    days = _straddled_cut(sim)
    account.history_days = days
    db.session.commit()
    select_all_services(account, sim)
    assert runner.run(account.id) == "succeeded"
    everything = {row["id"]: row for row in sim.store.all_incidents()}
    first = set(db.session.scalars(select(Incident.remote_id)))
    assert first and len(first) < len(everything)  # pdsim holds 120 days: the oldest are left out
    cutoff = datetime.now(UTC) - timedelta(days=days, minutes=5)
    assert all(datetime.fromtimestamp(everything[i]["created_at"], UTC) >= cutoff for i in first)

    history.set_history_days(account, 365)
    assert passes.needs_backfill(account)
    assert runner.run(account.id) == "succeeded"

    run = _latest_run(account)
    assert run.kind is SyncKind.BACKFILL and run.stage == "Older history done"
    assert run.created >= len(everything) - len(first)  # the older incidents (and their entries) only
    assert set(db.session.scalars(select(Incident.remote_id))) == set(everything)
    # Every log entry, including those written after the first cut-off for incidents created before it.
    want = {i: len(sim.store.log_entries_for(row["number"])) for i, row in everything.items()}
    assert _synced_entries() == {i: n for i, n in want.items() if n}
    assert not passes.needs_backfill(account)
    assert runner.run(account.id) == "succeeded"
    assert _latest_run(account).kind is SyncKind.INCREMENTAL


def test_it_keeps_what_was_synced_when_the_history_is_shortened(
    account: PagerDutyAccount, sim: RunningSim
) -> None:
    select_all_services(account, sim)
    assert runner.run(account.id) == "succeeded"
    before = db.session.scalar(select(func.count(Incident.id)))
    change = history.set_history_days(account, 30)
    assert "already synced from further back are kept" in change.describe()
    assert not passes.needs_backfill(account)
    assert runner.run(account.id) == "succeeded"
    assert db.session.scalar(select(func.count(Incident.id))) == before == len(sim.store.all_incidents())


@pytest.fixture
def acme_account(personas: Personas, sim: RunningSim) -> PagerDutyAccount:
    account = make_pd_account(
        personas.workspace, token_user_email=sim.admin_email, access_token_enc=encrypt(TOKEN)
    )
    db.session.commit()
    return account


def _post(client: FlaskClient, account: PagerDutyAccount, value: str) -> tuple[int, str]:
    response = client.post(
        f"/integrations/pagerduty/{account.id}/history", data={"history_days": value}, follow_redirects=True
    )
    return response.status_code, response.get_data(as_text=True)


def test_it_saves_a_longer_history_from_the_account_page(
    login_as: Callable[[str], FlaskClient], personas: Personas, acme_account: PagerDutyAccount
) -> None:
    client = login_as(personas.admin.email)
    page = client.get(f"/integrations/pagerduty/{acme_account.id}").get_data(as_text=True)
    assert 'name="history_days"' in page and 'value="365"' in page
    assert "incidents already synced are kept" in page
    status, html = _post(client, acme_account, "730")
    assert status == 200
    assert "Saved: 730 days of history. The next sync fetches the older incidents" in html
    db.session.expire_all()
    assert db.session.get(PagerDutyAccount, acme_account.id).history_days == 730
    changed = select(AuditEvent).where(AuditEvent.action == "pagerduty.history_changed")
    event = db.session.scalars(changed).one()
    assert event.details == {"days": 730, "previous": 365, "via": "web"}


@pytest.mark.parametrize("value", ["", "abc", "29", "1826", "-5", "90.5"])
def test_it_refuses_a_history_out_of_bounds_with_a_message(
    login_as: Callable[[str], FlaskClient], personas: Personas, acme_account: PagerDutyAccount, value: str
) -> None:
    client = login_as(personas.admin.email)
    status, html = _post(client, acme_account, value)
    assert status == 400
    assert "History must be a whole number of days from 30 to 1825 (5 years)." in html
    db.session.expire_all()
    assert db.session.get(PagerDutyAccount, acme_account.id).history_days == 365


def test_it_lets_only_admins_change_the_history(
    login_as: Callable[[str], FlaskClient], personas: Personas, acme_account: PagerDutyAccount
) -> None:
    client = login_as(personas.member.email)
    page = client.get(f"/integrations/pagerduty/{acme_account.id}").get_data(as_text=True)
    assert 'name="history_days"' not in page and "Vigil fetches 365 days of history" in page
    assert _post(client, acme_account, "730")[0] == 403
    outsider = login_as(personas.outsider.email)
    assert _post(outsider, acme_account, "730")[0] == 404
    db.session.expire_all()
    assert db.session.get(PagerDutyAccount, acme_account.id).history_days == 365


def test_it_sets_the_history_from_the_cli(app: Flask, account: PagerDutyAccount, sim: RunningSim) -> None:
    select_all_services(account, sim)
    args = ["pagerduty", "sync", "--workspace", "Acme", "--wait"]
    refused = app.test_cli_runner().invoke(args=[*args, "--history-days", "9999"])
    assert refused.exit_code != 0 and "from 30 to 1825" in refused.output
    result = app.test_cli_runner().invoke(args=[*args, "--history-days", "400"])
    assert result.exit_code == 0, result.output
    assert "Saved: 400 days of history." in result.output and ": succeeded: " in result.output
    db.session.expire_all()
    assert db.session.get(PagerDutyAccount, account.id).history_days == 400
