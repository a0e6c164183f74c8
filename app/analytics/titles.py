"""Incident titles reduced to a template, so "Disk 91% full on db-7" and "Disk 97% full on db-2" recur as one.

Sync stores `normalise_title(title)` in Incident.title_template; the recurring-incident metric groups on it.
Order matters: quoted values first (whatever is inside a quote is one value), then UUIDs, IPs and hex ids,
which all contain digits, and digits last. A hex id is "0x…" or a run of at least 6 hex characters with both a
digit and a letter in it (a short git SHA like a1b2c3d), so words spelt in hex letters ("added", "facade")
stay words.
"""

from __future__ import annotations

import re

_QUOTED = re.compile(r"""(["'`])(?:(?!\1).)*\1""")
_UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b")
# Full (8 groups) or compressed (with "::") IPv6; "10:30:00" is a time, not an address.
_H = "[0-9a-fA-F]"
_IPV6 = re.compile(
    rf"(?<![\w:])(?:(?:{_H}{{1,4}}:){{7}}{_H}{{1,4}}|(?:{_H}{{1,4}}:)*{_H}{{0,4}}::(?:{_H}{{1,4}}:)*{_H}{{0,4}})(?![\w:])"
)
_HEX = re.compile(r"\b(?:0x[0-9a-fA-F]+|(?=[0-9a-fA-F]*\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{6,})\b")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_SPACES = re.compile(r"\s+")
MAX_TEMPLATE_LENGTH = 500  # Incident.title_template's size


def normalise_title(title: str) -> str:
    template = _QUOTED.sub(lambda match: f"{match.group(1)}<v>{match.group(1)}", title)
    template = _UUID.sub("<uuid>", template)
    template = _IPV4.sub("<ip>", template)
    template = _IPV6.sub("<ip>", template)
    template = _HEX.sub("<hex>", template)
    template = _NUMBER.sub("<n>", template)
    return _SPACES.sub(" ", template).strip()[:MAX_TEMPLATE_LENGTH]
