"""Pages that answer both as a whole page and as an HTMX fragment: which one a request gets, and the Vary that
keeps a cache from handing one for the other."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from app.extensions import db
from tests.factories import Personas, make_pd_account, make_service

PAGES = ["/dashboard?range=7", "/alerts/deliveries?status=failed", "/incidents?range=7"]
HISTORY_RESTORE = {"HX-Request": "true", "HX-History-Restore-Request": "true"}


@pytest.fixture
def member(login_as, personas: Personas) -> FlaskClient:
    # A linked account, so the dashboard and the incident list show their filters and not the empty state.
    make_service(make_pd_account(personas.workspace), "api")
    db.session.commit()
    return login_as(personas.member.email)


@pytest.mark.parametrize("path", PAGES)
def test_it_gives_htmx_the_fragment_and_a_browser_the_page(member: FlaskClient, path: str) -> None:
    fragment = member.get(path, headers={"HX-Request": "true"})
    page = member.get(path)
    assert fragment.status_code == page.status_code == 200
    assert "<html" not in fragment.text and "<html" in page.text
    for response in (fragment, page):
        assert {"HX-Request", "HX-History-Restore-Request"} <= set(response.vary)


@pytest.mark.parametrize("path", PAGES)
def test_it_gives_an_htmx_history_restore_the_whole_page(member: FlaskClient, path: str) -> None:
    response = member.get(path, headers=HISTORY_RESTORE)
    assert response.status_code == 200
    assert "<html" in response.text and "<nav" in response.text
    assert "HX-Request" in response.vary


def test_it_gives_a_boosted_navigation_the_whole_page(member: FlaskClient) -> None:
    response = member.get("/dashboard?range=7", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in response.text
