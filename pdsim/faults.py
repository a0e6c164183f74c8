"""Switchable faults: 5xx at a rate, 429 bursts (with or without headers), latency, dropped connections.

Decisions come from `random.Random(seed)`, drawing the same four numbers for every matching request, so
the same sequence of requests meets the same faults on every run whatever the configuration. A dropped
connection closes the socket without writing a response (the client sees "connection reset/closed").
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

CONTROL_PREFIX = "/_sim"


@dataclass
class FaultConfig:
    error_rate: float = 0.0
    error_status: int = 500
    rate_limit_rate: float = 0.0
    rate_limit_headers: bool = True
    rate_limit_burst: int = 1  # how many consecutive requests a triggered 429 burst covers
    latency_ms: int = 0
    latency_rate: float = 1.0
    drop_rate: float = 0.0
    seed: int = 0
    paths: list[str] = field(default_factory=list)  # path prefixes (region prefix removed); empty = all

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FaultConfig:
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        cfg = cls(**data)
        for name in ("error_rate", "rate_limit_rate", "drop_rate", "latency_rate"):
            if not 0.0 <= float(getattr(cfg, name)) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if not 500 <= int(cfg.error_status) <= 599 and int(cfg.error_status) not in (408, 502, 503, 504):
            raise ValueError("error_status must be a 5xx (or 408)")
        return cfg


@dataclass(frozen=True)
class Decision:
    drop: bool = False
    error_status: int | None = None
    rate_limited: bool = False
    rate_limit_headers: bool = True
    latency_s: float = 0.0


class FaultInjector:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self.config = FaultConfig()
            self._rng = random.Random(0)
            self._burst_left = 0
            self.counts = {"matched": 0, "dropped": 0, "errors": 0, "rate_limited": 0, "delayed": 0}
            self.active = False

    def configure(self, cfg: FaultConfig) -> None:
        with self._lock:
            self.config = cfg
            self._rng = random.Random(cfg.seed)
            self._burst_left = 0
            self.counts = dict.fromkeys(self.counts, 0)
            self.active = True

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {"active": self.active, "config": asdict(self.config), "counts": dict(self.counts)}

    def decide(self, path: str) -> Decision:
        if not self.active or path.startswith(CONTROL_PREFIX):
            return Decision()
        with self._lock:
            cfg = self.config
            if cfg.paths and not any(path == p or path.startswith(p.rstrip("/") + "/") for p in cfg.paths):
                return Decision()
            self.counts["matched"] += 1
            u_drop, u_err, u_rl, u_lat = (self._rng.random() for _ in range(4))
            if u_drop < cfg.drop_rate:
                self.counts["dropped"] += 1
                return Decision(drop=True)
            latency = cfg.latency_ms / 1000 if cfg.latency_ms and u_lat < cfg.latency_rate else 0.0
            if latency:
                self.counts["delayed"] += 1
            if self._burst_left > 0 or u_rl < cfg.rate_limit_rate:
                self._burst_left = (self._burst_left or max(1, cfg.rate_limit_burst)) - 1
                self.counts["rate_limited"] += 1
                return Decision(
                    rate_limited=True, rate_limit_headers=cfg.rate_limit_headers, latency_s=latency
                )
            if u_err < cfg.error_rate:
                self.counts["errors"] += 1
                return Decision(error_status=cfg.error_status, latency_s=latency)
            return Decision(latency_s=latency)
