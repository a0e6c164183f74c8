"""Counts of the requests pdsim served, per token and per endpoint, so benchmarks can count API calls."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from typing import Any


class RequestLog:
    def __init__(self, keep: int = 2000) -> None:
        self._lock = threading.Lock()
        self._keep = keep
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self._total = 0
            self._by_token: Counter[str] = Counter()
            self._by_endpoint: Counter[str] = Counter()
            self._by_status: Counter[str] = Counter()
            self._recent: deque[dict[str, Any]] = deque(maxlen=self._keep)

    def record(
        self,
        method: str,
        path: str,
        route: str | None,
        token: str | None,
        status: int,
        region: str,
        query: str = "",
    ) -> None:
        with self._lock:
            self._total += 1
            self._by_token[token or "-"] += 1
            self._by_endpoint[f"{method} {route or path}"] += 1
            self._by_status[str(status)] += 1
            self._recent.append(
                {
                    "at": time.time(),
                    "method": method,
                    "path": path,
                    "query": query,
                    "route": route,
                    "token": token,
                    "status": status,
                    "region": region,
                }
            )

    def describe(self, recent: int = 100) -> dict[str, Any]:
        with self._lock:
            items = list(self._recent)[-recent:] if recent else []
            return {
                "total": self._total,
                "by_token": dict(self._by_token),
                "by_endpoint": dict(self._by_endpoint),
                "by_status": dict(self._by_status),
                "recent": items,
            }
