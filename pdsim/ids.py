"""PagerDuty-shaped identifiers (API-NOTES §0 "Types": IDs are opaque strings of several lengths).

Seeded objects draw 7-character `P…` IDs from the seed's RNG. Incidents and log entries derive their IDs
from their sequence numbers through an invertible affine permutation, so a million of them are unique
without a lookup table, deterministic, and can be decoded back to the row. Incidents deliberately come in
two shapes — the SPEC's 7-char `PT4KHLK` and the 14-char `Q…` IDs newer accounts get — so a client that
assumes one length breaks here rather than in production.
"""

from __future__ import annotations

import random
import secrets

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_INDEX = {c: i for i, c in enumerate(_ALPHABET)}

_SHORT_SPACE = 36**6
_LONG_SPACE = 36**13
_MULT_SHORT = 1_299_709  # prime, coprime with 36**k (no factor 2 or 3)
_MULT_LONG = 48_271_000_003
_ADD_SHORT = 7_919_011
_ADD_LONG = 99_194_853_094_755_497
# Incidents numbered below this get short `P` IDs, the rest long `Q` IDs.
LONG_ID_FROM_NUMBER = 2000


def _encode(n: int, width: int) -> str:
    out = []
    for _ in range(width):
        n, r = divmod(n, 36)
        out.append(_ALPHABET[r])
    return "".join(reversed(out))


def _decode(text: str) -> int:
    n = 0
    for ch in text:
        n = n * 36 + _INDEX[ch]
    return n


def _permute(n: int, mult: int, add: int, space: int) -> int:
    return (n * mult + add) % space


def _unpermute(n: int, mult: int, add: int, space: int) -> int:
    return ((n - add) * pow(mult, -1, space)) % space


def entity_id(rng: random.Random, taken: set[str]) -> str:
    """A fresh `P` + 6 characters ID for users, teams, services and other small collections."""
    while True:
        candidate = "P" + "".join(rng.choice(_ALPHABET) for _ in range(6))
        if candidate not in taken:
            taken.add(candidate)
            return candidate


def incident_id(number: int) -> str:
    if number < LONG_ID_FROM_NUMBER:
        return "P" + _encode(_permute(number, _MULT_SHORT, _ADD_SHORT, _SHORT_SPACE), 6)
    return "Q" + _encode(_permute(number, _MULT_LONG, _ADD_LONG, _LONG_SPACE), 13)


def incident_number_from_id(ident: str) -> int | None:
    text = ident.strip().upper()
    try:
        if len(text) == 7 and text[0] == "P":
            n = _unpermute(_decode(text[1:]), _MULT_SHORT, _ADD_SHORT, _SHORT_SPACE)
            return n if n < LONG_ID_FROM_NUMBER else None
        if len(text) == 14 and text[0] == "Q":
            n = _unpermute(_decode(text[1:]), _MULT_LONG, _ADD_LONG, _LONG_SPACE)
            return n if n >= LONG_ID_FROM_NUMBER else None
    except KeyError:
        return None
    return None


def log_entry_id(seq: int) -> str:
    """14 characters starting with `R`, like current log entry IDs (SPEC shows 14-char `Q…`)."""
    return "R" + _encode(_permute(seq, _MULT_LONG, _ADD_LONG, _LONG_SPACE), 13)


def log_entry_seq_from_id(ident: str) -> int | None:
    text = ident.strip().upper()
    if len(text) != 14 or text[0] != "R":
        return None
    try:
        return _unpermute(_decode(text[1:]), _MULT_LONG, _ADD_LONG, _LONG_SPACE)
    except KeyError:
        return None


def change_event_id(rng: random.Random) -> str:
    """26 characters, ULID-like (SPEC example `01BBYA6PEVW6A852BUO6QYUE7O`)."""
    return "01" + "".join(rng.choice(_ALPHABET) for _ in range(24))


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(24)


def oauth_access_token() -> str:
    """Shaped like `pdus+_0XBPWQQ_…` (API-NOTES §5.3): `+`, `_` and `-` must survive a client's encoding."""
    return f"pdus+_0X{secrets.token_hex(3).upper()}_{_uuidish()}"


def _uuidish() -> str:
    raw = secrets.token_hex(16)
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"
