"""The Back button after a filter pushed its URL: with htmx's history cache empty, htmx re-fetches the URL and
swaps the answer in as the whole body, so the answer must be the whole page (header, navigation, filters)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from app.extensions import db
from tests.browser.helpers import log_in
from tests.factories import Personas, make_pd_account, make_service

pytestmark = pytest.mark.browser

# htmx keeps its history cache in sessionStorage; a size of 0 empties it and keeps nothing, as after a miss.
FORGET_HISTORY = "htmx.config.historyCacheSize = 0; sessionStorage.removeItem('htmx-history-cache')"


def _is_whole_page(page, filters: str) -> None:  # type: ignore[no-untyped-def]
    expect(page.locator("header nav[aria-label=Main]")).to_be_visible()
    expect(page.locator(filters)).to_be_visible()
    expect(page.locator("body > header")).to_have_count(1)


@pytest.fixture
def linked(personas: Personas) -> Personas:
    make_service(make_pd_account(personas.workspace), "api")
    db.session.commit()
    return personas


def test_it_restores_the_whole_dashboard_on_back(
    live_server, page, linked: Personas, artifacts: Path
) -> None:
    log_in(page, live_server.url, linked.admin.email)
    page.goto(live_server.url + "/dashboard")
    page.evaluate(FORGET_HISTORY)
    for days in ("7", "90"):
        page.select_option("form.dash-filters select[name=range]", days)
        page.click("form.dash-filters button[type=submit]")
        expect(page).to_have_url(re.compile(rf"/dashboard\?range={days}(&|$)"))
    page.evaluate(FORGET_HISTORY)
    with page.expect_request(lambda request: "HX-History-Restore-Request".lower() in request.headers):
        page.go_back()
    expect(page).to_have_url(re.compile(r"/dashboard\?range=7(&|$)"))
    _is_whole_page(page, "form.dash-filters")
    expect(page.locator("form.dash-filters select[name=range]")).to_have_value("7")
    page.screenshot(path=str(artifacts / "back-01-dashboard.png"), full_page=True)
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_it_restores_the_whole_delivery_log_on_back(
    live_server, page, linked: Personas, artifacts: Path
) -> None:
    log_in(page, live_server.url, linked.admin.email)
    page.goto(live_server.url + "/alerts/deliveries")
    page.evaluate(FORGET_HISTORY)
    for status in ("failed", "sent"):
        page.select_option("form.pd-filter select[name=status]", status)
        expect(page).to_have_url(f"{live_server.url}/alerts/deliveries?status={status}")
    page.evaluate(FORGET_HISTORY)
    with page.expect_request(lambda request: "HX-History-Restore-Request".lower() in request.headers):
        page.go_back()
    expect(page).to_have_url(f"{live_server.url}/alerts/deliveries?status=failed")
    _is_whole_page(page, "form.pd-filter")
    expect(page.locator("h1")).to_have_text("Delivery log")
    expect(page.locator("form.pd-filter select[name=status]")).to_have_value("failed")
    page.screenshot(path=str(artifacts / "back-02-deliveries.png"), full_page=True)
    assert page.console_errors == []  # type: ignore[attr-defined]
