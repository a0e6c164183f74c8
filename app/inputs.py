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


_TYPED_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def typed_date(value: str) -> date:
    """A date a person typed (YYYY-MM-DD) within Vigil's years; ValueError carries the message to show.

    Every page that takes a typed date goes through here, so the bounds and the words are the same on the
    dashboard, the incident list and the reports.
    """
    text = value.strip()
    # fromisoformat also takes "20260101" and "2026-W01-1": one written form keeps links and messages plain.
    if not _TYPED_DATE.fullmatch(text):
        raise ValueError("Write dates as YYYY-MM-DD.")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValueError("Write dates as YYYY-MM-DD.") from None
    if not date_in_bounds(day):
        raise ValueError(DATE_BOUNDS_MESSAGE)
    return day


# Enough of RFC 5321 to refuse what is clearly not an address ("<script>@x.com", "a b@c", "x@localhost")
# without pretending to know which mailboxes exist.
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
MAX_EMAIL_LENGTH = 254


def email_problem(value: str) -> str | None:
    """Why `value` is not an e-mail address Vigil can send to or compare with, or None when it is."""
    if len(value) > MAX_EMAIL_LENGTH:
        return f"must be at most {MAX_EMAIL_LENGTH} characters."
    if not _EMAIL.fullmatch(value):
        return "must be an e-mail address like name@example.com."
    return None
