"""The alert state machine as a table: (state, what was seen, for, no-data policy, time) -> (state, page)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.alerts.states import RuleState, breaches, decide, stop
from app.models import AlertState

OK, PENDING, FIRING = AlertState.OK, AlertState.PENDING, AlertState.FIRING
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


# (state, pending_since minute, seen, for minutes, no_data, now minute) -> (new state, action, episode)
CASES = [
    # ok
    (OK, None, False, 0, "ok", 1, OK, None, 0),
    (OK, None, True, 0, "ok", 1, FIRING, "trigger", 1),
    (OK, None, True, 5, "ok", 1, PENDING, None, 0),
    # pending: waits out `for` while breaching, clears silently
    (PENDING, 0, True, 5, "ok", 4, PENDING, None, 0),
    (PENDING, 0, True, 5, "ok", 5, FIRING, "trigger", 1),
    (PENDING, 0, True, 5, "ok", 9, FIRING, "trigger", 1),
    (PENDING, 0, False, 5, "ok", 3, OK, None, 0),
    # firing: stays while breaching, resolves on recovery
    (FIRING, None, True, 0, "ok", 3, FIRING, None, 1),
    (FIRING, None, False, 0, "ok", 3, OK, "resolve", 1),
    # no data, per policy
    (OK, None, None, 0, "ok", 1, OK, None, 0),
    (OK, None, None, 0, "alert", 1, FIRING, "trigger", 1),
    (OK, None, None, 0, "keep", 1, OK, None, 0),
    (FIRING, None, None, 0, "ok", 1, OK, "resolve", 1),
    (FIRING, None, None, 0, "alert", 1, FIRING, None, 1),
    (FIRING, None, None, 0, "keep", 1, FIRING, None, 1),
    (PENDING, 0, None, 5, "keep", 6, PENDING, None, 0),
    (PENDING, 0, None, 5, "alert", 6, FIRING, "trigger", 1),
    (PENDING, 0, None, 5, "ok", 6, OK, None, 0),
]


@pytest.mark.parametrize(
    ("state", "pending", "seen", "for_minutes", "no_data", "now", "new_state", "action", "episode"), CASES
)
def test_decide(state, pending, seen, for_minutes, no_data, now, new_state, action, episode) -> None:
    episode_before = 1 if state is FIRING else 0
    current = RuleState(state, T0, at(pending) if pending is not None else None, episode_before)
    step = decide(current, seen, for_seconds=for_minutes * 60, no_data=no_data, now=at(now))
    assert (step.new.state, step.action, step.new.episode) == (new_state, action, episode)
    assert step.changed == (new_state is not state)
    if step.changed:
        assert step.new.since == at(now)
    if new_state is PENDING:
        assert step.new.pending_since == (at(pending) if state is PENDING else at(now))
    else:
        assert step.new.pending_since is None


def test_each_firing_starts_a_new_episode() -> None:
    current = RuleState(OK, T0, None, 4)
    fired = decide(current, True, for_seconds=0, no_data="ok", now=at(1)).new
    cleared = decide(fired, False, for_seconds=0, no_data="ok", now=at(2)).new
    again = decide(cleared, True, for_seconds=0, no_data="ok", now=at(3)).new
    assert (fired.episode, cleared.episode, again.episode) == (5, 5, 6)


@pytest.mark.parametrize(("state", "action"), [(OK, None), (PENDING, None), (FIRING, "resolve")])
def test_stopping_a_rule_clears_it_and_resolves_only_what_fired(state, action) -> None:
    step = stop(RuleState(state, T0, T0 if state is PENDING else None, 2), at(1), "rule deleted")
    assert (step.new.state, step.action, step.new.episode) == (OK, action, 2)


@pytest.mark.parametrize(
    ("value", "op", "threshold", "expected"),
    [
        (5, ">", 4, True),
        (4, ">", 4, False),
        (4, ">=", 4, True),
        (3, "<", 4, True),
        (4, "<=", 4, True),
        (4, "==", 4, True),
        (4, "!=", 4, False),
        (None, ">", 4, None),
        (float("nan"), ">", 4, None),
    ],
)
def test_breaches(value, op, threshold, expected) -> None:
    assert breaches(value, op, threshold) is expected
