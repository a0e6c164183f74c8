"""Fills incident-title templates with variable parts drawn from a per-service pool.

Pools are small (a handful of hosts per service) so identical titles recur as well as templates.
"""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Callable

from pdsim.seed import vocab

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


class TitleMaker:
    def __init__(self, rng: random.Random, service_names: list[str]) -> None:
        self._rng = rng
        self._names = service_names
        self._slugs = [_slug(n) for n in service_names]
        self._hosts = [
            [f"{s}-{rng.randint(1, 40):02d}.{rng.choice(vocab.REGIONS_DC)}.internal" for _ in range(5)]
            for s in self._slugs
        ]
        self._parts = [self._compile(t) for t in vocab.TITLE_TEMPLATES]

    def _compile(self, template: str) -> list[str | Callable[[int], str]]:
        out: list[str | Callable[[int], str]] = []
        pos = 0
        for m in _PLACEHOLDER.finditer(template):
            out.append(template[pos : m.start()])
            out.append(self._filler(m.group(1)))
            pos = m.end()
        out.append(template[pos:])
        return [p for p in out if p != ""]

    def _filler(self, name: str) -> Callable[[int], str]:
        rng = self._rng
        fillers: dict[str, Callable[[int], str]] = {
            "host": lambda s: rng.choice(self._hosts[s]),
            "svc": lambda s: self._names[s],
            "svc_slug": lambda s: self._slugs[s],
            "n": lambda s: str(rng.randint(10, 99999)),
            "n2": lambda s: str(rng.randint(1, 60)),
            "pct": lambda s: str(rng.randint(70, 99)),
            "ms": lambda s: str(rng.randint(250, 9000)),
            "hex5": lambda s: f"{rng.getrandbits(20):05x}",
            "hex7": lambda s: f"{rng.getrandbits(28):07x}",
            "uuid": lambda s: str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "ip": lambda s: f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
            "q": lambda s: rng.choice(vocab.QUOTED),
            "region": lambda s: rng.choice(vocab.REGIONS_DC),
            "queue": lambda s: rng.choice(vocab.QUEUES),
            "db": lambda s: rng.choice(vocab.DATABASES),
            "domain": lambda s: rng.choice(vocab.DOMAINS),
            "code": lambda s: rng.choice(vocab.HTTP_CODES),
        }
        return fillers[name]

    def title(self, template: int, service: int) -> str:
        return "".join(p if isinstance(p, str) else p(service) for p in self._parts[template])

    def slug(self, service: int) -> str:
        return self._slugs[service]
