"""Interruptions: which notifications count, bursts, and the class in each person's own time zone."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from app.analytics.interruptions import Interruptions, interruptions, interruptions_by_user
from tests.analytics.factories import make_incident, make_notification, make_responder, make_world, query, utc

# Monday 2024-03-04 to Monday 2024-03-11.
START, END = utc(2024, 3, 4), utc(2024, 3, 11)


def test_it_counts_sms_phone_and_push_but_not_email(app: Flask) -> None:
    world = make_world()
    ann = make_responder(world, "Ann", "UTC")
    incident = make_incident(world.api, utc(2024, 3, 5, 9))
    for hour, channel in ((9, "sms"), (10, "phone"), (11, "push"), (12, "email"), (13, "push_notification")):
        make_notification(incident, ann, utc(2024, 3, 5, hour), channel)
    assert interruptions(query(world, START, END)) == Interruptions(business=4)  # Tuesday 09-13 UTC


def test_it_counts_a_burst_once_and_a_long_chain_by_the_60_second_rule(app: Flask) -> None:
    world = make_world()
    ann = make_responder(world, "Ann", "UTC")
    bob = make_responder(world, "Bob", "UTC")
    incident = make_incident(world.api, utc(2024, 3, 5, 10))
    t = utc(2024, 3, 5, 10)
    for seconds, channel in ((0, "push"), (0, "sms"), (30, "phone")):  # one burst of 30 s: counts once
        make_notification(incident, ann, t + timedelta(seconds=seconds), channel)
    # Bob: 0, 50, 70, 110, 130 s. 50 is within 60 s of 0; 70 is 70 s after 0 (counted); 110 is 40 s after 70;
    # 130 is 60 s after 70 (counted) -> 3. All within 60 s of their predecessor, so SQL sees one long burst.
    for seconds in (0, 50, 70, 110, 130):
        make_notification(incident, bob, t + timedelta(seconds=seconds))
    make_notification(incident, bob, t + timedelta(hours=1))  # a separate burst: 4th
    per_user = interruptions_by_user(query(world, START, END))
    assert per_user == {ann.id: Interruptions(business=1), bob.id: Interruptions(business=4)}


def test_it_classes_in_each_persons_zone_and_falls_back_to_the_workspace_zone(app: Flask) -> None:
    world = make_world("Europe/Berlin")
    tokyo = make_responder(world, "Kenji", "Asia/Tokyo")  # UTC+9
    new_york = make_responder(world, "Nora", "America/New_York")  # UTC-5 until 10 March, then UTC-4
    unset = make_responder(world, "Uma", None)  # the workspace's Europe/Berlin, UTC+1
    incident = make_incident(world.api, utc(2024, 3, 4, 0))
    # Tuesday 2024-03-05 13:00 UTC: Tokyo 22:00 (sleep), New York 08:00 (business), Berlin 14:00 (business).
    for user in (tokyo, new_york, unset):
        make_notification(incident, user, utc(2024, 3, 5, 13))
    # Sunday 2024-03-10 12:30 UTC, after New York's DST change: 08:30 EDT on a Sunday (off-hours);
    # it would be 07:30 (sleep) with the winter offset.
    make_notification(incident, new_york, utc(2024, 3, 10, 12, 30))
    # Friday 2024-03-08 17:30 UTC = 18:30 in Berlin: off-hours for Uma.
    make_notification(incident, unset, utc(2024, 3, 8, 17, 30))
    per_user = interruptions_by_user(query(world, START, END))
    assert per_user == {
        tokyo.id: Interruptions(sleep=1),
        new_york.id: Interruptions(business=1, off_hours=1),
        unset.id: Interruptions(business=1, off_hours=1),
    }
    assert interruptions(query(world, START, END)) == Interruptions(business=2, off_hours=2, sleep=1)


def test_it_counts_notifications_sent_in_the_window_for_incidents_in_the_population(app: Flask) -> None:
    world = make_world()
    ann = make_responder(world, "Ann", "UTC")
    old = make_incident(world.api, utc(2024, 3, 1))  # created before the window ...
    make_notification(old, ann, utc(2024, 3, 4, 10))  # ... but paging Ann inside it: counts
    make_notification(old, ann, utc(2024, 3, 11, 10))  # after the window
    test_page = make_incident(world.api, utc(2024, 3, 5), excluded=True)
    make_notification(test_page, ann, utc(2024, 3, 5, 10))  # excluded incident
    legacy = make_incident(world.legacy, utc(2024, 3, 5))
    make_notification(legacy, ann, utc(2024, 3, 5, 11))  # unselected service
    low = make_incident(world.web, utc(2024, 3, 5), urgency="low")
    make_notification(low, ann, utc(2024, 3, 5, 23))  # Tuesday 23:00: sleep
    assert interruptions(query(world, START, END)) == Interruptions(business=1, sleep=1)
    assert interruptions(query(world, START, END, urgencies=("low",))) == Interruptions(sleep=1)


def test_the_totals_are_the_sum_over_people_for_every_filter(app: Flask) -> None:
    """The tiles count by class alone and the responders panel by person too: the two must agree."""
    world = make_world()
    ann, bob = make_responder(world, "Ann", "UTC"), make_responder(world, "Bob", "Asia/Tokyo")
    tagged = make_incident(world.api, utc(2024, 3, 5), teams=[world.team], priority="P1")
    plain = make_incident(world.web, utc(2024, 3, 6), urgency="low")
    for hour in (2, 9, 19):
        make_notification(tagged, ann, utc(2024, 3, 5, hour))
        make_notification(plain, bob, utc(2024, 3, 6, hour))
    queries = [
        query(world, START, END),
        query(world, START, END, teams=(world.team.id,)),
        query(world, START, END, urgencies=("low",)),
        query(world, START, END, priorities=("P1",)),
        query(world, START, END, services=(world.web.id,)),
    ]
    totals = [interruptions(q) for q in queries]
    assert totals == [sum(interruptions_by_user(q).values(), Interruptions()) for q in queries]
    assert totals[0].total == 6 and totals[1].total == 3 and totals[2].total == 3
    assert totals[3] == totals[1] and totals[4] == totals[2]
