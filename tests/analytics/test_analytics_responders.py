"""Responder load: first acknowledgements, escalations received and interruptions per person."""

from __future__ import annotations

from flask import Flask

from app.analytics.interruptions import Interruptions
from app.analytics.responders import ResponderLoad, responder_load
from app.models import LogEntryType
from tests.analytics.factories import (
    make_incident,
    make_log_entry,
    make_notification,
    make_responder,
    make_world,
    query,
    utc,
)

START, END = utc(2024, 3, 4), utc(2024, 3, 11)
ACK, ESCALATE = LogEntryType.ACKNOWLEDGE, LogEntryType.ESCALATE


def test_it_sums_each_persons_load(app: Flask) -> None:
    world = make_world()
    ann = make_responder(world, "Ann", "UTC")
    bob = make_responder(world, "Bob", "UTC")
    make_responder(world, "Cy", "UTC")  # did nothing: no row
    first = make_incident(world.api, utc(2024, 3, 5, 2))
    make_notification(first, ann, utc(2024, 3, 5, 2))  # Tuesday 02:00: sleep
    make_log_entry(first, ESCALATE, utc(2024, 3, 5, 2, 5), bob)
    make_notification(first, bob, utc(2024, 3, 5, 2, 5))  # sleep
    make_log_entry(first, ACK, utc(2024, 3, 5, 2, 6), bob)  # Bob acknowledged first ...
    make_log_entry(first, ACK, utc(2024, 3, 5, 2, 7), ann)  # ... Ann's later acknowledgement is not a first
    second = make_incident(world.api, utc(2024, 3, 6, 10))
    make_notification(second, ann, utc(2024, 3, 6, 10))  # Wednesday 10:00: business
    make_log_entry(second, ACK, utc(2024, 3, 6, 10, 1), ann)
    third = make_incident(world.web, utc(2024, 3, 6, 12))
    make_log_entry(third, ESCALATE, utc(2024, 3, 6, 12, 5), bob)
    make_log_entry(third, ESCALATE, utc(2024, 3, 6, 12, 35), bob)
    assert responder_load(query(world, START, END)) == [
        ResponderLoad(ann.id, "Ann", "UTC", acknowledged=1, interruptions=Interruptions(business=1, sleep=1)),
        ResponderLoad(
            bob.id, "Bob", "UTC", acknowledged=1, escalations_received=3, interruptions=Interruptions(sleep=1)
        ),
    ]


def test_it_counts_events_in_the_window_for_incidents_that_pass_the_filters(app: Flask) -> None:
    world = make_world()
    ann = make_responder(world, "Ann", "UTC")
    old = make_incident(world.api, utc(2024, 3, 3, 23))  # created before the window
    make_log_entry(old, ACK, utc(2024, 3, 4, 0, 10), ann)  # acknowledged inside it: counts
    late = make_incident(world.api, utc(2024, 3, 10, 23, 50))
    make_log_entry(late, ACK, utc(2024, 3, 11, 0, 5), ann)  # acknowledged after the window
    excluded = make_incident(world.api, utc(2024, 3, 5), excluded=True)
    make_log_entry(excluded, ACK, utc(2024, 3, 5, 0, 1), ann)
    (row,) = responder_load(query(world, START, END))
    assert (row.acknowledged, row.escalations_received) == (1, 0)
    assert responder_load(query(world, utc(2024, 6, 1), utc(2024, 6, 2))) == []


def test_a_first_acknowledgement_is_one_per_incident_even_at_the_same_instant(app: Flask) -> None:
    world = make_world()
    ann, bob = make_responder(world, "Ann", "UTC"), make_responder(world, "Bob", "UTC")
    tie = make_incident(world.api, utc(2024, 3, 5, 9))
    make_log_entry(tie, ACK, utc(2024, 3, 5, 9, 1), ann)  # written first: hers
    make_log_entry(tie, ACK, utc(2024, 3, 5, 9, 1), bob)  # the same second: not a second first
    by_integration = make_incident(world.api, utc(2024, 3, 5, 10))
    make_log_entry(by_integration, ACK, utc(2024, 3, 5, 10, 1))  # no person: nobody's first
    make_log_entry(by_integration, ACK, utc(2024, 3, 5, 10, 5), bob)  # later: not a first either
    load = {row.name: row.acknowledged for row in responder_load(query(world, START, END))}
    assert load == {"Ann": 1}  # Bob did nothing that counts, so he is not listed
