"""Per-credential rate limits with `ratelimit-*` headers, and a stricter limit on incident writes.

API-NOTES §4: 960 requests per minute per key (per user for user keys), headers `ratelimit-limit`,
`ratelimit-remaining`, `ratelimit-reset` (seconds, not an epoch), a 429 body with code 2020, and "exceptional
scenarios" where a 429 comes with neither headers nor body — `bare_rate` reproduces those, drawn from a
seeded RNG so a test sees the same sequence every run. Operation-specific limits on `POST /incidents` and
`PUT /incidents` are per account; their real numbers are unpublished (§4), so they are configurable.
Windows are fixed minutes on pdsim's clock, so a test can move the clock to start a fresh window.
"""

from __future__ import annotations

import math
import random
import threading
from dataclasses import dataclass, replace

from pdsim.clock import Clock
from pdsim.config import Limits


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    headers: dict[str, str]
    bare: bool = False


class RateLimiter:
    def __init__(self, limits: Limits, clock: Clock) -> None:
        self.limits = limits
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}
        self.bare_rate = 0.0
        self._rng = random.Random(0)

    def configure(self, bare_rate: float | None = None, seed: int | None = None, **limits: int) -> None:
        with self._lock:
            if limits:
                self.limits = replace(self.limits, **limits)
            if bare_rate is not None:
                self.bare_rate = bare_rate
            if seed is not None:
                self._rng = random.Random(seed)

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()

    def hit(self, buckets: list[tuple[str, int]]) -> Verdict:
        """Count one request against every bucket; headers describe the bucket closest to its limit."""
        now = self._clock.now()
        window = self.limits.window_seconds
        with self._lock:
            states = []
            for key, limit in buckets:
                start, used = self._windows.get(key, (now, 0))
                if now - start >= window or now < start:
                    start, used = now, 0
                used += 1
                self._windows[key] = (start, used)
                states.append((limit - used, limit, start))
            remaining, limit, start = min(states)
            reset = max(1, math.ceil(start + window - now))
            allowed = all(r >= 0 for r, _, _ in states)
            headers = {
                "ratelimit-limit": str(limit),
                "ratelimit-remaining": str(max(remaining, 0)),
                "ratelimit-reset": str(reset),
            }
            bare = not allowed and self.bare_rate > 0 and self._rng.random() < self.bare_rate
        return Verdict(allowed, headers, bare)
