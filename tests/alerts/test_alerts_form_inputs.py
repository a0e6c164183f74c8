"""The rule form refuses numbers it cannot compare or show and text it cannot store, next to the field."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from app.models import PagerDutyAccount, PDService
from pdsim.testing import RunningSim
from tests.alerts.test_alerts_form import pushed_form
from tests.alerts.ui_helpers import link_pdsim, rule_count
from tests.factories import Personas


@pytest.fixture
def account(personas: Personas, sim: RunningSim) -> PagerDutyAccount:
    return link_pdsim(personas.workspace, sim)


@pytest.fixture
def admin(login_as, personas: Personas, account: PagerDutyAccount) -> FlaskClient:
    return login_as(personas.admin.email)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"window_minutes": "1e308"}, "Enter a number of minutes."),
        ({"for_minutes": "1e308"}, "Enter a number of minutes."),
        ({"threshold": "-1e308"}, "Threshold must be between -1e15 and 1e15."),
        ({"threshold": "9" * 27}, "Threshold must be between -1e15 and 1e15."),
        ({"labels": "env=pr\x00od"}, "Labels must not contain a NUL character."),
        ({"title_template": "{rule}\x1b[31m"}, "Title template must not contain control characters."),
        ({"description": "x\x00"}, "Description must not contain a NUL character."),
    ],
)
def test_it_refuses_what_it_cannot_store_or_compare(
    admin: FlaskClient, pd_service: PDService, fields: dict[str, str], message: str
) -> None:
    response = admin.post("/alerts/new", data=pushed_form(pd_service, **fields))
    assert response.status_code == 422
    assert f'<div class="field-error" role="alert">{message}' in response.text
    assert rule_count() == 0


def test_it_previews_a_huge_window_with_a_message(admin: FlaskClient, pd_service: PDService) -> None:
    response = admin.post("/alerts/form/preview", data=pushed_form(pd_service, window_minutes="1e308"))
    assert response.status_code == 200
    assert "Enter a number of minutes." in response.text


@pytest.mark.parametrize("test", ["%C2%B2", "99999999999999999999", "-1"])
def test_it_reads_a_test_id_that_is_no_number_as_none(admin: FlaskClient, make_rule, test: str) -> None:
    rule = make_rule()
    response = admin.get(f"/alerts/{rule.id}?test={test}")
    assert response.status_code == 200
    assert "Queue too deep" in response.text
