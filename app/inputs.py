"""The rules every form, query string, JSON body and webhook shares: which characters a text may hold, what an
integer looks like, which dates exist for Vigil. Feature code adds its own limits on top of these."""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, date, datetime
from typing import Any

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
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", value)


def cut_text(value: str, limit: int) -> str:
    """`value` in at most `limit` characters, the last of them CUT_MARKER when something was cut."""
    return value if len(value) <= limit else value[: limit - 1] + CUT_MARKER


def parse_int(value: str | None, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
    """An integer in ASCII digits within the bounds, else None (`str.isdigit()` accepts superscripts and
    other scripts' digits, and `int()` of 5,000 digits raises)."""
    if value is None or not _ASCII_INT.fullmatch(text := value.strip()):
        return None
    number = int(text)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
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


def parse_at(value: Any) -> datetime:
    """An ISO-8601 date and time with its zone, in UTC; a ValueError says what is wrong with `at`."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("at is required: an ISO-8601 date and time, e.g. 2024-05-01T12:00:00Z.")
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("at must be an ISO-8601 date and time, e.g. 2024-05-01T12:00:00Z.") from None
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("at needs a time zone: end it with Z or an offset such as +02:00.")
    if not date_in_bounds(at.date()):
        raise ValueError(f"at is out of range. {DATE_BOUNDS_MESSAGE}")
    return at.astimezone(UTC)


# Deeper than any body Vigil takes (an alert rule is 4 levels); the decoder itself would recurse until
# Python's limit and raise RecursionError on "[" * 100000.
MAX_JSON_DEPTH = 32
# Digits an integer may have before it is converted: 16 holds MAX_NUMBER, and int() of 5,000 digits raises.
_MAX_INT_DIGITS = 16
_NUMBER_MESSAGE = f"Numbers must be between -{MAX_NUMBER:,.0f} and {MAX_NUMBER:,.0f}."


class JsonInvalid(ValueError):
    """A body that is not JSON Vigil can use; the message says why, for the sender."""


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS or not finite_number(int(text)):
        raise JsonInvalid(_NUMBER_MESSAGE)
    return int(text)


def _json_float(text: str) -> float:
    value = float(text)
    if not finite_number(value):
        raise JsonInvalid(_NUMBER_MESSAGE)
    return value


def _json_constant(text: str) -> Any:
    raise JsonInvalid(f"{text} is not a JSON number.")


def read_json(raw: bytes) -> Any:
    """Decode a JSON body: UTF-8, at most MAX_JSON_DEPTH levels, numbers that pass `finite_number`, no
    unpaired surrogate in any string or key. Raises JsonInvalid."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise JsonInvalid("The body must be JSON in UTF-8.") from None
    try:
        data = json.loads(text, parse_int=_json_int, parse_float=_json_float, parse_constant=_json_constant)
    except RecursionError:
        raise JsonInvalid(f"The body is nested more than {MAX_JSON_DEPTH} levels deep.") from None
    except JsonInvalid:
        raise
    except ValueError as exc:
        raise JsonInvalid(f"The body is not valid JSON: {exc}.") from None
    _check_json(data)
    return data


def _check_json(data: Any) -> None:
    pending: list[tuple[Any, int]] = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict | list) and depth > MAX_JSON_DEPTH:
            raise JsonInvalid(f"The body is nested more than {MAX_JSON_DEPTH} levels deep.")
        if isinstance(value, dict):
            for key, item in value.items():
                if _SURROGATE.search(key):
                    raise JsonInvalid("A field name holds an unpaired surrogate character.")
                pending.append((item, depth + 1))
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
        elif isinstance(value, str) and _SURROGATE.search(value):
            raise JsonInvalid("A text value holds an unpaired surrogate character (\\ud800 to \\udfff).")


_SURROGATE = re.compile(r"[\ud800-\udfff]")


_TYPED_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def typed_date(value: str) -> date:
    """A date a person typed (YYYY-MM-DD) within Vigil's years; ValueError carries the message to show."""
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
