"""The input rules added for the web layer (typed dates, e-mail addresses), without Flask."""

from __future__ import annotations

import re
from datetime import date

import pytest

from app.inputs import DATE_BOUNDS_MESSAGE, email_problem, typed_date


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("20260101", "Write dates as YYYY-MM-DD."),
        ("2026-W01-1", "Write dates as YYYY-MM-DD."),
        ("2026-02-30", "Write dates as YYYY-MM-DD."),
        ("\uff12\uff10\uff12\uff16-01-01", "Write dates as YYYY-MM-DD."),
        ("0001-01-01", DATE_BOUNDS_MESSAGE),
        ("9999-12-31", DATE_BOUNDS_MESSAGE),
    ],
)
def test_it_refuses_a_typed_date_with_the_shared_message(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        typed_date(text)


def test_it_reads_a_typed_date_within_the_bounds() -> None:
    assert typed_date(" 2026-12-07 ") == date(2026, 12, 7)


@pytest.mark.parametrize(
    "email", ["<script>@x.com", "a b@x.com", "x@localhost", "x@" + "d" * 250 + ".com", "x\x00@x.com"]
)
def test_it_refuses_what_is_not_an_email_address(email: str) -> None:
    assert email_problem(email) is not None


def test_it_accepts_an_ordinary_email_address() -> None:
    assert email_problem("ops+vigil@example.co.uk") is None
