"""The incident list as CSV: same filters, every row (not one page), streamed, formula-safe cells."""

from __future__ import annotations

import csv
import io

from app.csvio import safe_cell
from app.extensions import db
from tests.analytics.factories import make_incident
from tests.factories import Personas
from tests.incidents.conftest import Acme


def test_it_exports_the_filtered_list(login_as, personas: Personas, acme: Acme) -> None:
    incident = make_incident(acme.api, acme.ago(days=1), ack_after=61.4, resolve_after=3600, priority="P2")
    make_incident(acme.web, acme.ago(days=1), urgency="low")
    db.session.commit()
    response = login_as(personas.member.email).get(f"/incidents.csv?service={acme.api.id}")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="incidents-')
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:6] == ["number", "title", "service", "status", "urgency", "priority"]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["number"] == str(incident.number)
    assert row["service"] == "api" and row["status"] == "resolved" and row["priority"] == "P2"
    assert row["tta_seconds"] == "61" and row["ttr_seconds"] == "3600" and row["excluded"] == "no"
    assert row["created"] == incident.created_at.isoformat(timespec="seconds")


def test_it_exports_every_page(login_as, personas: Personas, acme: Acme) -> None:
    for n in range(120):
        make_incident(acme.api, acme.ago(hours=n + 1))
    db.session.commit()
    body = login_as(personas.member.email).get("/incidents.csv?page=2").get_data(as_text=True)
    assert len(body.strip().splitlines()) == 121


def test_it_escapes_formulas(login_as, personas: Personas, acme: Acme) -> None:
    make_incident(acme.api, acme.ago(days=1), title='=HYPERLINK("http://evil","x")')
    db.session.commit()
    body = login_as(personas.member.email).get("/incidents.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[1][1] == '\'=HYPERLINK("http://evil","x")'


def test_it_leaves_plain_cells_alone() -> None:
    assert [safe_cell(v) for v in ["+1", "-x", "@me", "ok", 5, None, "a=b"]] == [
        "'+1",
        "'-x",
        "'@me",
        "ok",
        5,
        "",
        "a=b",
    ]
