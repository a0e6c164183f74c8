"""Query strings any member can send (issue #15's probe, #16's walk): never a 500, a message where a value
was refused, the same date bounds and words on every page."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from app.accounts import audit
from app.extensions import db
from app.inputs import DATE_BOUNDS_MESSAGE
from app.security import NUL_IN_ADDRESS
from tests.factories import Personas, make_pd_account, make_service


@pytest.fixture
def admin(login_as, personas: Personas) -> FlaskClient:
    # A linked account with a followed service, so the dashboard and the incident list show their filters.
    make_service(make_pd_account(personas.workspace), "api")
    db.session.commit()
    return login_as(personas.admin.email)


@pytest.mark.parametrize(
    "path",
    [
        "/incidents?page=%C2%B2",
        "/incidents?service=%C2%B2",
        "/incidents?range=%C2%B2",
        "/dashboard?range=%C2%B2",
        "/dashboard?service=%C2%B2",
        "/dashboard?service=99999999999999999999",
        "/alerts/deliveries?page=%C2%B2",
        "/alerts/deliveries?page=99999999999999999999",
        "/settings/audit?page=%C2%B2",
        "/settings/audit?page=99999999999999999999",
        "/settings/audit?page=-3",
        "/alerts/form/services?index=%C2%B2",
        "/alerts/form/services?index=99999999999999999999&targets-0-account=%C2%B2",
    ],
)
def test_it_reads_unicode_and_huge_digits_as_no_number(admin: FlaskClient, path: str) -> None:
    response = admin.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[-2000:]


def test_it_shows_the_last_audit_page_for_a_page_past_the_end(admin: FlaskClient, personas: Personas) -> None:
    audit.record(personas.workspace, "workspace.settings_changed", "Acme")
    db.session.commit()
    page = admin.get("/settings/audit?page=99999999999999999999").get_data(as_text=True)
    assert "Page 1 of 1" in page


@pytest.mark.parametrize("year", ["0001", "9999"])
@pytest.mark.parametrize(
    "path",
    [
        "/incidents?start={y}-12-01&end={y}-12-31",
        "/dashboard?start={y}-12-01&end={y}-12-31",
        "/reports?period=month&date={y}-12-15",
        "/reports?period=week&date={y}-12-31",
    ],
)
def test_it_bounds_every_typed_date_with_one_message(admin: FlaskClient, path: str, year: str) -> None:
    response = admin.get(path.format(y=year))
    assert response.status_code == 200
    assert response.get_data(as_text=True).count(DATE_BOUNDS_MESSAGE) == 1


@pytest.mark.parametrize(
    "path",
    [
        "/reports/by-service.csv?period=week&date=9999-12-31",
        "/reports/by-team.csv?period=month&date=0001-01-01",
        "/dashboard/services.csv?start=9999-12-01&end=9999-12-31",
    ],
)
def test_it_refuses_a_csv_of_an_impossible_date_with_the_message(admin: FlaskClient, path: str) -> None:
    response = admin.get(path)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert DATE_BOUNDS_MESSAGE in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/incidents?q=%00",
        "/incidents?q=db%00down",
        "/incidents?priority=P1%00",
        "/incidents.csv?q=%00",
        "/dashboard?priority=%00",
        "/reports?priority=%00",
        "/alerts/deliveries?status=%00",
        "/settings/audit?x%00=1",
    ],
)
def test_it_answers_a_nul_in_the_address_with_a_sentence(admin: FlaskClient, path: str) -> None:
    response = admin.get(path)
    assert response.status_code == 400
    assert "parameter contains a NUL character (%00)" in response.get_data(as_text=True)


def test_it_tells_api_clients_about_a_nul_in_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/metrics?name=%00", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 400
    assert response.get_json()["error"] == {
        "status": 400,
        "message": NUL_IN_ADDRESS.format(name="“name”"),
        "field": "name",
    }
