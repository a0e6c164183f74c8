"""The list of passwords too common to accept (common_passwords.txt, written for Vigil, no dependency)."""

from __future__ import annotations

import functools
import re
from pathlib import Path

_LIST = Path(__file__).with_name("common_passwords.txt")
# "Password123!" and "2024dragon" are still the common word: guessers try these decorations first.
_DECORATION = re.compile(r"^[\d\W_]+|[\d\W_]+$")


@functools.cache
def _common() -> frozenset[str]:
    lines = _LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def is_common(password: str) -> bool:
    lowered = password.strip().lower()
    core = _DECORATION.sub("", lowered)
    return lowered in _common() or core in _common()
