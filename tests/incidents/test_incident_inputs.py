"""The incident pages' inputs: an exclusion reason that cannot be stored, CSV cells, and a CSV that fails."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from app.csvio import FAILED_LINE, csv_response, safe_cell
from app.extensions import db
from app.models import Incident
from tests.analytics.factories import make_incident
from tests.factories import Personas
from tests.incidents.conftest import Acme


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("test\x00page", "The reason must not contain a NUL character."),
        ("test\x07page", "The reason must not contain control characters."),
    ],
)
def test_it_refuses_an_exclusion_reason_it_cannot_store(
    login_as, personas: Personas, acme: Acme, reason: str, message: str
) -> None:
    incident = make_incident(acme.api, acme.ago(days=1))
    db.session.commit()
    client = login_as(personas.admin.email)
    response = client.post(f"/incidents/{incident.id}/exclude", data={"reason": reason})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).excluded is False  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (" =1+1", "' =1+1"),
        ("  @SUM(A1)", "'  @SUM(A1)"),
        ("\uff1dcmd|' /C calc'!A0", "'\uff1dcmd|' /C calc'!A0"),
        ("\uff0b1", "'\uff0b1"),
        ("\uff0d1", "'\uff0d1"),
        ("\uff20me", "'\uff20me"),
        ("\ndata", "'\ndata"),
        ("Checkout \u202eexe.gnp", "Checkout \u202eexe.gnp"),
        (" plain", " plain"),
    ],
)
def test_it_neutralises_formulas_behind_spaces_and_in_fullwidth(value: str, written: str) -> None:
    assert safe_cell(value) == written


def test_it_neutralises_a_spaced_formula_in_the_incident_export(
    login_as, personas: Personas, acme: Acme
) -> None:
    make_incident(acme.api, acme.ago(days=1), title=' =HYPERLINK("http://evil","x")')
    db.session.commit()
    body = login_as(personas.member.email).get("/incidents.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[1][1] == '\' =HYPERLINK("http://evil","x")'


def failing_after(count: int) -> Iterator[list[Any]]:
    for n in range(count):
        yield [n, f"incident {n}"]
    raise RuntimeError("the database went away")


def test_it_fails_before_the_first_byte_when_the_first_rows_fail(app: Flask) -> None:
    with app.test_request_context("/incidents.csv"), pytest.raises(RuntimeError):
        csv_response("incidents.csv", ["number", "title"], failing_after(0))


def test_it_marks_a_file_that_fails_part_way_as_incomplete(app: Flask) -> None:
    chunks: list[str] = []
    with app.test_request_context("/incidents.csv"):
        response = csv_response("incidents.csv", ["number", "title"], failing_after(150))
        assert response.status_code == 200
        with pytest.raises(RuntimeError):
            for chunk in response.response:
                chunks.append(chunk.decode() if isinstance(chunk, bytes) else chunk)
    lines = "".join(chunks).splitlines()
    assert lines[0] == "number,title"
    assert lines[1:151] == [f"{n},incident {n}" for n in range(150)]
    assert lines[-1] == FAILED_LINE
