"""Interruption verdicts stored as notifications are written: always what the rule gives on the whole history,
whatever order notifications arrive in, and kept right when an incident is excluded or included."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import insert, select

from app.analytics import exclusion, interruption_store
from app.analytics.interruptions import Interruptions, interruptions, interruptions_by_user
from app.extensions import db
from app.integrations.pagerduty import unlinking
from app.models import Incident, IncidentLogEntry, LogEntryType, PagerDutyAccount, PDUser
from tests.analytics.factories import (
    World,
    expected_interruptions,
    make_incident,
    make_notification,
    make_responder,
    make_world,
    query,
    stored_interruptions,
    utc,
)
from tests.factories import make_pd_account, make_pd_user, make_service

START, END = utc(2024, 3, 4), utc(2024, 3, 11)  # Monday to Monday


def _write(world: World, rows: list[tuple[Incident, PDUser, datetime, str]]) -> None:
    """Notifications written straight to the table, as a sync page is, without settling."""
    _write_for(world.account, world, rows)


def _write_for(
    account: PagerDutyAccount, world: World, rows: list[tuple[Incident, PDUser, datetime, str]]
) -> None:
    db.session.execute(
        insert(IncidentLogEntry),
        [
            {
                "workspace_id": world.workspace.id,
                "account_id": account.id,
                "incident_id": incident.id,
                "remote_id": f"R{index}-{incident.id}-{user.id}-{at.timestamp()}",
                "type": LogEntryType.NOTIFY.value,
                "at": at,
                "user_id": user.id,
                "channel": channel,
            }
            for index, (incident, user, at, channel) in enumerate(rows)
        ],
    )


def test_verdicts_match_the_rule_on_the_whole_history_whatever_the_arrival_order(app: Flask) -> None:
    rng = random.Random(20261122)
    world = make_world()
    people = [make_responder(world, name, "UTC") for name in ("Ann", "Bob", "Cy")]
    services = (world.api, world.web)
    incidents = [make_incident(services[i % 2], START + timedelta(hours=i)) for i in range(12)]
    notes = []
    for person in people:
        at = START
        for _ in range(150):
            # Mostly bursts (gaps under a minute), sometimes quiet hours.
            at += timedelta(seconds=rng.choice([0, 5, 20, 35, 50, 59, 60, 61, 90, 3600 * 5]))
            channel = rng.choice(["sms", "phone", "push", "push_notification", "email"])
            notes.append((rng.choice(incidents), person, at, channel))
    rng.shuffle(notes)
    for i in range(0, len(notes), 37):  # pages in no particular order, settled as sync does before commits
        _write(world, notes[i : i + 37])
        interruption_store.settle_account(world.account.id)
        assert stored_interruptions(world.workspace.id) == expected_interruptions(world.workspace.id)
    assert len(stored_interruptions(world.workspace.id)) > 100

    # Excluding an incident drops its notifications and may let later ones count; including brings it back.
    for incident in rng.sample(incidents, 4):
        exclusion.exclude_incident(incident, None, "drill")
        assert stored_interruptions(world.workspace.id) == expected_interruptions(world.workspace.id)
    before = stored_interruptions(world.workspace.id)
    for incident in incidents:
        exclusion.include_incident(incident)
    assert stored_interruptions(world.workspace.id) == expected_interruptions(world.workspace.id)
    assert stored_interruptions(world.workspace.id) != before

    # A rebuild from scratch agrees with what was settled step by step.
    settled = stored_interruptions(world.workspace.id)
    interruption_store.rebuild_workspace(world.workspace.id)
    assert stored_interruptions(world.workspace.id) == settled


def test_a_notification_in_the_middle_of_a_long_chain_changes_the_verdicts_hours_later(app: Flask) -> None:
    # Every 50 s for three hours: one burst longer than the first read around a change, which must widen.
    world = make_world()
    ann = make_responder(world, "Ann", "UTC")
    incident = make_incident(world.api, START)
    t0 = utc(2024, 3, 5, 9)
    _write(world, [(incident, ann, t0 + timedelta(seconds=50 * i), "sms") for i in range(216)])
    interruption_store.settle_account(world.account.id)
    assert stored_interruptions(world.workspace.id) == expected_interruptions(world.workspace.id)
    counted_before = stored_interruptions(world.workspace.id)
    # One more at +75 s: 0, 75, 150, 250, ... count instead of 0, 100, 200, ...: every later verdict moves.
    _write(world, [(incident, ann, t0 + timedelta(seconds=75), "push")])
    interruption_store.settle_account(world.account.id)
    assert stored_interruptions(world.workspace.id) == expected_interruptions(world.workspace.id)
    assert len(stored_interruptions(world.workspace.id) - counted_before) > 50


def test_the_60_second_rule_runs_across_services_and_windows_so_they_add_up(app: Flask) -> None:
    world = make_world()
    ann = make_responder(world, "Ann", "UTC")
    api = make_incident(world.api, utc(2024, 3, 5, 10))
    web = make_incident(world.web, utc(2024, 3, 5, 10))
    t = utc(2024, 3, 5, 10)
    make_notification(api, ann, t)  # counts, for api
    make_notification(web, ann, t + timedelta(seconds=30))  # 30 s later: the same interruption
    make_notification(web, ann, t + timedelta(seconds=90))  # 90 s after the last counted: counts, for web
    whole = interruptions(query(world, START, END))
    only_api = interruptions(query(world, START, END, services=(world.api.id,)))
    only_web = interruptions(query(world, START, END, services=(world.web.id,)))
    assert (whole, only_api, only_web) == (
        Interruptions(business=2),
        Interruptions(business=1),
        Interruptions(business=1),
    )
    assert only_api + only_web == whole

    # A window that starts between two notifications of one interruption does not count the second one.
    make_notification(api, ann, utc(2024, 3, 10, 23, 59, 40))  # Sunday 23:59:40: sleep, in the window
    make_notification(api, ann, utc(2024, 3, 11, 0, 0, 10))  # 30 s later, just after the window
    next_day = interruptions(query(world, END, END + timedelta(days=1)))
    assert next_day == Interruptions()
    assert interruptions_by_user(query(world, START, END + timedelta(days=1))) == {
        ann.id: Interruptions(business=2, sleep=1)
    }


def test_unlinking_without_keeping_data_takes_the_verdicts_with_the_notifications(app: Flask) -> None:
    world = make_world()
    ann = make_responder(world, "Ann", "UTC")
    incident = make_incident(world.api, START)
    note = make_notification(incident, ann, utc(2024, 3, 5, 10))
    assert stored_interruptions(world.workspace.id) == {note.id}
    unlinking.unlink(world.account, keep_data=False)
    assert stored_interruptions(world.workspace.id) == set()


def test_verdicts_follow_an_incident_moved_to_another_service(app: Flask) -> None:
    world = make_world()
    ann = make_responder(world, "Ann", "UTC")
    incident = make_incident(world.api, START)
    make_notification(incident, ann, utc(2024, 3, 5, 10))
    api_only = query(world, START, END, services=(world.api.id,))
    web_only = query(world, START, END, services=(world.web.id,))
    assert (interruptions(api_only), interruptions(web_only)) == (Interruptions(business=1), Interruptions())
    incident.service_id = world.web.id  # PagerDuty lets a responder move an incident; sync writes it ...
    db.session.flush()
    interruption_store.settle_account(world.account.id, rewritten=[incident.id])  # ... and settles it
    assert (interruptions(api_only), interruptions(web_only)) == (Interruptions(), Interruptions(business=1))


def test_a_whole_unsettled_history_is_rebuilt_in_one_pass(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    # After the upgrade that introduced verdicts, an account's first settle finds its whole history waiting.
    monkeypatch.setattr(interruption_store, "_BATCH", 10)
    world = make_world()
    ann, bob = make_responder(world, "Ann", "UTC"), make_responder(world, "Bob", "UTC")
    incident = make_incident(world.api, START)
    t0 = utc(2024, 3, 5, 9)
    _write(world, [(incident, (ann, bob)[i % 2], t0 + timedelta(seconds=40 * i), "sms") for i in range(60)])
    rebuilt: list[int] = []
    rebuild = interruption_store.rebuild_workspace

    def watched(workspace_id: int) -> int:
        rebuilt.append(workspace_id)
        return rebuild(workspace_id)

    monkeypatch.setattr(interruption_store, "rebuild_workspace", watched)
    interruption_store.settle_account(world.account.id)
    assert rebuilt == [world.workspace.id]
    assert stored_interruptions(world.workspace.id) == expected_interruptions(world.workspace.id)
    db.session.refresh(world.account)
    assert world.account.interruptions_settled_to == max(
        db.session.scalars(select(IncidentLogEntry.id).where(IncidentLogEntry.account_id == world.account.id))
    )


def test_settling_an_account_judges_its_own_notifications_only(app: Flask) -> None:
    # Two accounts of one workspace sync at the same time, so their notifications' ids interleave.
    world = make_world()
    other = make_pd_account(world.workspace, subdomain="other")
    ann, bob = make_responder(world, "Ann", "UTC"), make_pd_user(other, "Bob", time_zone="UTC")
    ours, theirs = make_incident(world.api, START), make_incident(make_service(other, "db"), START)
    t0 = utc(2024, 3, 5, 9)
    for i in range(6):
        _write(world, [(ours, ann, t0 + timedelta(minutes=2 * i), "sms")])
        _write_for(other, world, [(theirs, bob, t0 + timedelta(minutes=2 * i), "sms")])
    interruption_store.settle_account(world.account.id)
    ann_entries = set(
        db.session.scalars(select(IncidentLogEntry.id).where(IncidentLogEntry.user_id == ann.id))
    )
    assert stored_interruptions(world.workspace.id) == ann_entries
    interruption_store.settle_account(other.id)
    assert stored_interruptions(world.workspace.id) == expected_interruptions(world.workspace.id)
    assert len(stored_interruptions(world.workspace.id)) == 12
