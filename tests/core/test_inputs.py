"""The shared input rules, without Flask."""

from __future__ import annotations

from datetime import date

import pytest

from app import inputs
from app.inputs import MAX_ID, date_in_bounds, finite_number, parse_id, parse_int, text_problem


@pytest.mark.parametrize("raw", ["²", "١٢", "--5", "5" * 5000, "", " ", "1e3", "0x10", "1.0", None])
def test_it_refuses_what_is_not_an_ascii_integer(raw: str | None) -> None:
    assert parse_int(raw) is None


def test_it_reads_plain_integers_within_bounds() -> None:
    assert parse_int(" 42 ") == 42
    assert parse_int("-3") == -3
    assert parse_int("11", maximum=10) is None
    assert parse_int("0", minimum=1) is None


def test_it_bounds_ids_to_the_id_columns() -> None:
    assert parse_id(str(MAX_ID)) == MAX_ID
    assert parse_id(str(MAX_ID + 1)) is None
    assert parse_id("0") is None


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("a\x00b", "NUL"),
        ("a\ud800b", "surrogate"),
        ("a\x1bb", "control"),
    ],
)
def test_it_names_what_text_cannot_hold(raw: str, problem: str) -> None:
    message = text_problem(raw)
    assert message is not None and problem in message


def test_it_accepts_ordinary_text() -> None:
    assert text_problem("Checkout — día 2\tline\nnext 🚀") is None


def test_it_refuses_numbers_no_one_measures() -> None:
    assert finite_number(12.5)
    assert not finite_number(float("inf"))
    assert not finite_number(float("nan"))
    assert not finite_number(1e308)
    assert not finite_number(-1e308)


def test_it_bounds_dates() -> None:
    assert date_in_bounds(date(2026, 1, 1))
    assert not date_in_bounds(date(9999, 12, 31))
    assert not date_in_bounds(date(1, 1, 1))


def test_it_cleans_text_received_from_outside_keeping_what_can_be_stored() -> None:
    assert inputs.clean_text("a\x00b\ud800c 🚨 \u202e") == "ab\ufffdc 🚨 \u202e"
    assert inputs.clean_text("plain") == "plain"


def test_it_cuts_text_with_a_marker_only_when_too_long() -> None:
    assert inputs.cut_text("abcdef", 4) == "abc…"
    assert inputs.cut_text("abcd", 4) == "abcd"
