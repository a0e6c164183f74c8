"""When things happen: daily and weekly rhythm in each team's own time zone.

Incidents cluster in business hours on weekdays, with a tail at night and at weekends (night pages) and a
few storm days; deploys happen in working hours. Local midnights are precomputed per zone so a million
draws cost one addition each rather than a time-zone conversion.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from pdsim.timeutil import zone


class Rhythm:
    def __init__(self, rng: random.Random, anchor: int, days: int, zones: list[str]) -> None:
        self.rng = rng
        self.anchor = anchor
        self.start = anchor - days * 86400
        self.days = days + 1
        first = datetime.fromtimestamp(self.start, zone(zones[0])).date() - timedelta(days=1)
        self.weekdays = [(first + timedelta(days=d)).weekday() for d in range(self.days + 1)]
        self.midnights: dict[str, list[int]] = {}
        for name in zones:
            tz = zone(name)
            self.midnights[name] = [
                int(datetime.combine(first + timedelta(days=d), datetime.min.time(), tzinfo=tz).timestamp())
                for d in range(self.days + 1)
            ]
        weights = []
        for d in range(self.days + 1):
            weekend = self.weekdays[d] >= 5
            trend = 0.85 + 0.3 * d / max(1, self.days)
            storm = 3.0 if rng.random() < 0.03 else 1.0
            weights.append((0.42 if weekend else 1.0) * trend * storm)
        self.cum_weights = []
        total = 0.0
        for w in weights:
            total += w
            self.cum_weights.append(total)

    def incident_time(self, tz: str) -> int:
        """A creation time inside [start, anchor]; 70% around the local afternoon, 30% any hour."""
        rng = self.rng
        mids = self.midnights[tz]
        while True:
            day = rng.choices(range(len(mids)), cum_weights=self.cum_weights)[0]
            hour = min(max(rng.gauss(13.5, 3.0), 0.0), 23.99) if rng.random() < 0.7 else rng.random() * 24
            t = mids[day] + int(hour * 3600)
            if self.start <= t <= self.anchor:
                return t

    def deploy_times(self, tz: str, per_week: float) -> list[int]:
        """A Poisson number of deploys per day, in working hours, rarely at weekends."""
        rng = self.rng
        out = []
        mids = self.midnights[tz]
        for day, midnight in enumerate(mids):
            lam = per_week / 5 * (0.06 if self.weekdays[day] >= 5 else 0.97)
            for _ in range(_poisson(rng, lam)):
                t = midnight + int(rng.uniform(9.0, 18.5) * 3600)
                if self.start <= t <= self.anchor:
                    out.append(t)
        return sorted(out)


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k
