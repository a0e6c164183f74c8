"""pdsim's notion of "now": real UTC time plus an offset that tests move through `/_sim/clock`.

Code expiry (30 s), token expiry, rate-limit windows, the default `/incidents` window and the 90-day
change-event retention all read this clock, so tests can cross those edges without sleeping.
"""

from __future__ import annotations

import threading
import time


class Clock:
    def __init__(self, offset: float = 0.0) -> None:
        self._offset = offset
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.time() + self._offset

    @property
    def offset(self) -> float:
        with self._lock:
            return self._offset

    def set_offset(self, seconds: float) -> None:
        with self._lock:
            self._offset = float(seconds)

    def set_now(self, epoch: float) -> None:
        """Make `now()` return `epoch` at this instant; the clock keeps running from there."""
        with self._lock:
            self._offset = float(epoch) - time.time()

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += float(seconds)
