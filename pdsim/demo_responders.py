"""Demo switch: people who answer the pages a client sends through `POST /incidents`.

Real PagerDuty has real people behind every page; pdsim has none, so a demo of Vigil's alerting would only
ever show incidents that nobody touched until Vigil resolved them. With the switch on, each incident created
through `POST /incidents` gets a fate drawn from `random.Random(f"{seed}:{incident id}")`:

- `acknowledge`: the assignee acknowledges after a log-normal delay (median `ack_median_seconds`);
- `resolve_by_hand`: the assignee acknowledges, then resolves with a note after a further delay (median
  `resolve_median_seconds`), whether or not the client still considers the problem open;
- `ignore`: nobody touches it (the client resolves it, or it stays open).

Each action is an ordinary responder action (`pdsim.actions`), so it writes the same log entries and webhook
events as `/_sim/incidents/{id}/acknowledge`. The actions are real PagerDuty behaviour; only their automation
is a demo switch. It is off unless `serve --responders` or `POST /_sim/responders` turns it on;
`reset_switches` puts back the start-up setting. Times are on pdsim's clock, so tests move the clock and call
`tick()` instead of sleeping.
"""

from __future__ import annotations

import logging
import math
import random
import threading
from collections import deque
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from pdsim.actions import Actor
from pdsim.render.incidents import parse_pairs

if TYPE_CHECKING:
    from pdsim.sim import Simulator

FATES = ("acknowledge", "resolve_by_hand", "ignore")
HAND_RESOLVE_NOTE = "Resolved by hand by the on-call responder"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResponderConfig:
    enabled: bool = False
    seed: int = 0
    acknowledge: float = 0.5  # share of pages acknowledged (and left for the client to resolve)
    resolve_by_hand: float = 0.2  # share acknowledged and then resolved by the responder
    ack_median_seconds: float = 120.0
    resolve_median_seconds: float = 300.0

    @classmethod
    def from_json(cls, data: dict[str, Any], base: ResponderConfig | None = None) -> ResponderConfig:
        base = base or cls()
        unknown = set(data) - set(asdict(base))
        if unknown:
            raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
        values = asdict(base)
        for key, value in data.items():
            kind = type(values[key])
            if kind is bool and not isinstance(value, bool):
                raise ValueError(f"{key} must be true or false")
            if kind is not bool and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise ValueError(f"{key} must be a number")
            values[key] = kind(value)
        config = cls(**values)
        if (
            min(config.acknowledge, config.resolve_by_hand) < 0
            or config.acknowledge + config.resolve_by_hand > 1
        ):
            raise ValueError(
                "acknowledge and resolve_by_hand are shares from 0 to 1 that add up to at most 1"
            )
        if min(config.ack_median_seconds, config.resolve_median_seconds) <= 0:
            raise ValueError("the median delays must be positive")
        return config


@dataclass(frozen=True)
class Plan:
    fate: str
    ack_at: float | None  # pdsim clock, epoch seconds
    resolve_at: float | None
    channel: str


def plan_for(config: ResponderConfig, incident_id: str, created_at: float) -> Plan:
    """The fate of one page: the same seed and incident always give the same plan."""
    rng = random.Random(f"{config.seed}:{incident_id}")
    draw = rng.random()
    fate = "acknowledge" if draw < config.acknowledge else "ignore"
    if config.acknowledge <= draw < config.acknowledge + config.resolve_by_hand:
        fate = "resolve_by_hand"
    ack_delay = _lognormal(rng, config.ack_median_seconds)
    resolve_delay = _lognormal(rng, config.resolve_median_seconds)
    channel = rng.choice(("website", "sms", "website", "email"))
    if fate == "ignore":
        return Plan(fate, None, None, channel)
    ack_at = created_at + ack_delay
    return Plan(fate, ack_at, ack_at + resolve_delay if fate == "resolve_by_hand" else None, channel)


def _lognormal(rng: random.Random, median: float) -> float:
    """A response time: log-normal around the median, between a fifth and five times it."""
    return min(max(median * math.exp(rng.gauss(0.0, 0.7)), median / 5), median * 5)


class DemoResponders:
    def __init__(self, sim: Simulator, interval: float = 1.0) -> None:
        self.sim = sim
        self.interval = interval
        self.config = ResponderConfig()
        self.since = 0.0  # only pages created after the switch went on are answered
        self.acted: deque[dict[str, Any]] = deque(maxlen=200)  # the last actions, for GET /_sim/responders
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def configure(self, config: ResponderConfig) -> None:
        with self._lock:
            if config.enabled and not self.config.enabled:
                self.since = self.sim.clock.now()
            self.config = config

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {**asdict(self.config), "since": self.since or None, "acted": list(self.acted)}

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="pdsim-responders", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            except Exception:  # a failed tick must not end the demo; the next one tries again
                log.exception("demo responders: tick failed")

    def tick(self) -> list[dict[str, Any]]:
        """Carry out every action that is due on pdsim's clock; returns what was done."""
        with self._lock:
            config, since = self.config, self.since
            if not config.enabled:
                return []
            now = self.sim.clock.now()
            rows = self.sim.store.rows(
                "SELECT * FROM incidents WHERE origin = 'api' AND status != 'resolved' AND created_at >= ?"
                " ORDER BY number",
                (int(since),),
            )
            done = []
            for row in rows:
                plan = plan_for(config, row["id"], row["created_at"])
                done.extend(self._act(row, plan, now))
            self.acted.extend(done)
            return done

    def _act(self, row: dict[str, Any], plan: Plan, now: float) -> list[dict[str, Any]]:
        if plan.ack_at is None or plan.ack_at > now:
            return []
        done: list[dict[str, Any]] = []
        with self.sim.transaction() as tx:
            row = self.sim.actions.load(tx.conn, row["number"])  # the client may have resolved it since
            assignees = [user for user, _ in parse_pairs(row["assignments"])]
            if row["status"] == "resolved" or not assignees:
                return done
            actor = Actor(assignees[0], plan.channel)
            if not any(user == actor.agent for user, _ in parse_pairs(row["acknowledgements"])):
                row = self.sim.actions.acknowledge(tx, row, actor)
                done.append({"incident": row["id"], "action": "acknowledge", "user_id": actor.agent})
            if plan.resolve_at is not None and plan.resolve_at <= now:
                self.sim.actions.resolve(tx, row, actor, HAND_RESOLVE_NOTE)
                done.append({"incident": row["id"], "action": "resolve", "user_id": actor.agent})
        return done
