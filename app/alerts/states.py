"""The alert state machine, pure: ok → pending → firing → ok.

`decide` takes what the rule was, what evaluation saw and the time, and returns what the rule becomes and
which page that owes. Nothing here reads the database or the clock, so every case is a row in a table test
(tests/alerts/test_states.py).

    seen breach, for = 0        ok ──────────────► firing   (trigger)
    seen breach, for > 0        ok ──► pending ──► firing   (trigger, once `for` has passed while breaching)
    breach clears               pending ──► ok              (nothing was sent)
                                firing  ──► ok              (resolve)
    no data                     per the rule's policy: "ok" (clears), "alert" (breaches), "keep" (no change)
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from app.models.alerts import AlertState

NoData = Literal["ok", "alert", "keep"]
Action = Literal["trigger", "resolve"]

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


@dataclass(frozen=True)
class RuleState:
    state: AlertState
    since: datetime
    pending_since: datetime | None = None
    episode: int = 0


@dataclass(frozen=True)
class Step:
    new: RuleState
    changed: bool
    action: Action | None = None
    note: str = ""


def breaches(value: float | None, op: str, threshold: float) -> bool | None:
    """Whether `value op threshold`; None when there is no value (no data)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return OPERATORS[op](value, threshold)


def decide(
    current: RuleState, breach: bool | None, *, for_seconds: int, no_data: NoData, now: datetime
) -> Step:
    note = ""
    if breach is None:
        if no_data == "keep":
            return Step(current, changed=False, note="no data: state kept")
        breach = no_data == "alert"
        note = "no data"
    if breach:
        return _breaching(current, for_seconds, now, note)
    return _clear(current, now, note)


def _breaching(current: RuleState, for_seconds: int, now: datetime, note: str) -> Step:
    if current.state is AlertState.FIRING:
        return Step(current, changed=False, note=note)
    pending_since = current.pending_since if current.state is AlertState.PENDING else now
    assert pending_since is not None
    if now - pending_since >= timedelta(seconds=for_seconds):
        firing = RuleState(AlertState.FIRING, now, None, current.episode + 1)
        return Step(firing, changed=True, action="trigger", note=note)
    if current.state is AlertState.PENDING:
        return Step(current, changed=False, note=note)
    return Step(RuleState(AlertState.PENDING, now, now, current.episode), changed=True, note=note)


def _clear(current: RuleState, now: datetime, note: str) -> Step:
    if current.state is AlertState.OK:
        return Step(current, changed=False, note=note)
    action: Action | None = "resolve" if current.state is AlertState.FIRING else None
    return Step(replace(current, state=AlertState.OK, since=now, pending_since=None), True, action, note)


def stop(current: RuleState, now: datetime, why: str) -> Step:
    """The rule was disabled or deleted: back to ok, resolving what a firing episode opened."""
    return _clear(current, now, why)
