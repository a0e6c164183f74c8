"""What any value a person or a program sends must satisfy before Vigil uses it.

The one place for the rules every form, query string, JSON body and webhook shares: which characters a text
may hold, what an integer looks like, which dates exist for Vigil. Feature code adds its own limits (a name's
length, a window's span) on top of these.
"""

from __future__ import annotations

import math
import re
from datetime import date

# Ids are PostgreSQL `integer` columns: a larger number names nothing, so it is a 404 rather than an
# overflow in the driver.
MAX_ID = 2**31 - 1

# Dates a user may type anywhere: local midnight of year 1 or 9999 has no UTC instant in some zones, and no
# incident or deployment is older than PagerDuty (2009) or far in the future.
MIN_YEAR = 1970
MAX_YEAR = 2999
DATE_BOUNDS_MESSAGE = f"Dates must be between {MIN_YEAR} and {MAX_YEAR}."

# The largest magnitude accepted for a threshold or a pushed value: far beyond any real measurement, and
# small enough that sums and averages over a window stay finite.
MAX_NUMBER = 1e15

_ASCII_INT = re.compile(r"[+-]?[0-9]{1,18}")
# NUL is refused by PostgreSQL in text; lone surrogates cannot be encoded as UTF-8; the other C0 controls
# (but tab and newlines) have no business in a name and break CSV and terminals.
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None when it can."""
    match = _FORBIDDEN.search(value)
    if match is None:
        return None
    if match.group() == "\x00":
        return "must not contain a NUL character."
    if "\ud800" <= match.group() <= "\udfff":
        return "must not contain an unpaired surrogate character."
    return "must not contain control characters."


# What no database column can hold: NUL (PostgreSQL refuses it in text) and lone surrogates (no UTF-8).
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
CUT_MARKER = "…"


def clean_text(value: str) -> str:
    """`value` made storable, for text Vigil receives rather than asks for (PagerDuty's data): NUL is
    dropped and a lone surrogate becomes U+FFFD; everything else (emoji, right-to-left marks) is kept."""
    if _UNSTORABLE.search(value) is None:
        return value
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", value)


def cut_text(value: str, limit: int) -> str:
    """`value` in at most `limit` characters, the last of them CUT_MARKER when something was cut."""
    return value if len(value) <= limit else value[: limit - 1] + CUT_MARKER


def parse_int(value: str | None, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
    """An integer in ASCII digits within the bounds, else None.

    `str.isdigit()` accepts superscripts and other scripts' digits, and `int()` of 5,000 digits raises.
    """
    if value is None:
        return None
    text = value.strip()
    if not _ASCII_INT.fullmatch(text):
        return None
    number = int(text)
    if minimum is not None and number < minimum:
        return None
    if maximum is not None and number > maximum:
        return None
    return number


def parse_id(value: str | None) -> int | None:
    """A row id as found in a URL or a form field: a positive integer that fits the id columns."""
    return parse_int(value, minimum=1, maximum=MAX_ID)


def finite_number(value: float) -> bool:
    """True for a number Vigil can compare, store and show (no NaN, no infinity, no 300-digit values)."""
    return math.isfinite(value) and abs(value) <= MAX_NUMBER


def date_in_bounds(value: date) -> bool:
    return MIN_YEAR <= value.year <= MAX_YEAR
