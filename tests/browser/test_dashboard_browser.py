"""The dashboard in Chromium: panels load lazily, charts draw, filters go into the URL, no console errors."""

from __future__ import annotations

import random
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect

from app.extensions import db
from app.models import LogEntryType, Role
from app.models.types import utcnow
from tests.analytics.factories import (
    World,
    make_deployment,
    make_incident,
    make_log_entry,
    make_notification,
    make_responder,
    make_world,
)
from tests.browser.helpers import log_in
from tests.factories import make_team, make_user

pytestmark = pytest.mark.browser

TITLES = (
    "Disk {n}% full on db-{n}",
    "High latency on checkout ({n} ms)",
    "Payment webhook timeout",
    "OOM in worker {n}",
)


def _seed(world: World) -> None:
    """Sixty days of incidents and deployments on api and web, with pages and acknowledgements."""
    rng = random.Random(7)
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    responders = [make_responder(world, name) for name in ("Ana Oncall", "Ben Backup", "Chloé Night")]
    search = make_team(world.account, "Search")
    for day in range(60):
        for _ in range(rng.choice((0, 1, 1, 2))):
            service = rng.choice((world.api, world.api, world.web))
            created = now - timedelta(days=day, hours=rng.randrange(24))
            resolved = None if day < 1 and rng.random() < 0.5 else rng.uniform(600, 14_400)
            incident = make_incident(
                service,
                created,
                ack_after=rng.uniform(30, 900),
                resolve_after=resolved,
                urgency=rng.choice(("high", "high", "low")),
                escalation_count=rng.choice((0, 0, 0, 1)),
                title=rng.choice(TITLES).format(n=rng.randrange(10, 99)),
                teams=[world.team if service == world.api else search],
            )
            responder = rng.choice(responders)
            make_notification(incident, responder, created + timedelta(seconds=20), channel="phone")
            make_log_entry(incident, LogEntryType.ACKNOWLEDGE, created + timedelta(seconds=60), responder)
        if day % 2 == 0:
            make_deployment(rng.choice((world.api, world.web)), now - timedelta(days=day, hours=5))


def _wait_for_panels(page) -> None:  # type: ignore[no-untyped-def]
    # Locators, not wait_for_function: our CSP forbids the eval that a JavaScript predicate needs.
    expect(page.locator(".dash-loading")).to_have_count(0)
    # Chart.js sizes each canvas it draws on through its style.
    expect(page.locator("canvas[data-chart][style*='box-sizing']")).to_have_count(4)


def test_it_shows_the_dashboard_with_charts_and_shareable_filters(
    app: Flask, live_server, page, new_page, artifacts: Path
) -> None:
    world = make_world(name="Acme Payments")
    _seed(world)
    make_user("dana@acme.test", "Dana", world.workspace, Role.MEMBER)
    db.session.commit()
    url = live_server.url

    log_in(page, url, "dana@acme.test")
    _wait_for_panels(page)
    assert page.locator("#panel-services tbody tr").count() == 2
    assert page.locator("#panel-heatmap td.heat-5").count() >= 1
    assert page.locator("#panel-responders tbody tr").count() == 3
    assert page.locator("#panel-recurring tbody tr").count() >= 1
    assert page.locator(".dash-error").count() == 0
    page.screenshot(path=str(artifacts / "dashboard-desktop.png"), full_page=True)

    # The filter bar swaps the body and puts the filters in the URL.
    page.select_option("select[name=range]", "7")
    page.select_option("select[name=urgency]", "high")
    page.click("button:has-text('Apply')")
    page.wait_for_url(lambda address: "range=7" in address and "urgency=high" in address)
    _wait_for_panels(page)

    # Sorting a table is a link: the panel swaps and the URL follows.
    page.click("#panel-services th a:has-text('MTTR')")
    page.wait_for_url(lambda address: "service_sort=-mttr" in address)
    page.locator("#panel-services [aria-sort=descending]").wait_for()
    assert page.console_errors == []  # type: ignore[attr-defined]

    # A shared link opens the same view on a phone.
    log_in(new_page, url, "dana@acme.test")
    new_page.goto(page.url)
    _wait_for_panels(new_page)
    assert new_page.locator("select[name=urgency]").input_value() == "high"
    # On the phone, the breakdown keeps MTTR in view without scrolling the table sideways.
    mttr = new_page.locator("#panel-services thead th", has_text="MTTR").bounding_box()
    assert mttr is not None and mttr["x"] + mttr["width"] <= 390
    new_page.screenshot(path=str(artifacts / "dashboard-phone.png"), full_page=True)


def test_it_reads_without_javascript(app: Flask, live_server, browser, artifacts: Path) -> None:
    """Tiles and the two tables are in the page; each panel left to load has a link to itself as a page."""
    world = make_world(name="Acme Payments")
    _seed(world)
    make_user("dana@acme.test", "Dana", world.workspace, Role.MEMBER)
    db.session.commit()
    url = live_server.url
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 860})
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        log_in(page, url, "dana@acme.test")
        page.goto(url + "/dashboard?range=90&urgency=high")
        expect(page.locator("[data-kpi=incidents] .dash-tile-value")).to_have_text(re.compile(r"^\d+"))
        expect(page.locator("#panel-services tbody tr")).to_have_count(2)
        expect(page.locator("#panel-teams tbody tr")).to_have_count(2)
        expect(page.locator(".dash-loading").first).to_be_hidden()  # nothing would ever replace it
        page.screenshot(path=str(artifacts / "dashboard-no-javascript.png"), full_page=True)

        for link, table in (
            ("Show recurring incidents", "#panel-recurring tbody tr"),
            ("Show when incidents start", "#panel-heatmap td.heat-5"),
            ("Show interruptions and responder load", "#panel-responders tbody tr"),
        ):
            page.click(f"a:has-text('{link}')")
            page.wait_for_url(lambda address: "/dashboard/panels/" in address and "urgency=high" in address)
            assert page.locator(table).count() >= 1
            page.click("a:has-text('Back to the dashboard')")
            page.wait_for_url(url + "/dashboard?range=90&urgency=high")

        page.click("a:has-text('Show trends')")
        page.click("summary:has-text('Show the numbers')")  # <details> opens without JavaScript
        expect(page.locator("#panel-trends tbody tr").first).to_be_visible()
        assert page.locator("#panel-trends tbody tr").count() >= 13  # 90 days by week (13 or 14 Mondays)
        page.screenshot(path=str(artifacts / "dashboard-no-javascript-trends.png"), full_page=True)
    finally:
        context.close()


def test_a_panel_whose_request_fails_shows_its_error_and_retries(
    app: Flask, live_server, page, artifacts: Path
) -> None:
    """The placeholder's own request fails (a 500 from outside the panel, a dropped connection): it shows the
    error state, not "Loading…" for ever; Retry, or the minute refresh, loads the panel once it answers."""
    world = make_world(name="Acme Payments")
    _seed(world)
    make_user("dana@acme.test", "Dana", world.workspace, Role.MEMBER)
    db.session.commit()
    url = live_server.url
    page.clock.install()  # the minute refresh, fast-forwarded below

    def server_error(route) -> None:  # type: ignore[no-untyped-def]
        route.fulfill(status=500, content_type="text/html", body="<h1>Internal Server Error</h1>")

    # Before the first view: a panel answered once would be kept, and in the page itself the next time.
    page.route("**/dashboard/panels/recurring*", server_error)
    page.route("**/dashboard/panels/heatmap*", lambda route: route.abort("connectionreset"))
    log_in(page, url, "dana@acme.test")
    recurring = page.locator("section[aria-label='Recurring incidents']")
    heatmap = page.locator("section[aria-label='When incidents start']")
    for section in (recurring, heatmap):
        expect(section.locator(".dash-failed")).to_be_visible()
        expect(section.locator(".dash-failed")).to_contain_text("could not be loaded just now")
        expect(section.locator(".dash-loading")).to_be_hidden()
    expect(page.locator("#panel-responders tbody tr")).to_have_count(3)  # the others load as usual
    page.screenshot(path=str(artifacts / "dashboard-panel-failed.png"), full_page=True)

    # Still failing: Retry shows "Loading…" while it asks, then the error state again.
    recurring.locator("button:has-text('Retry')").click()
    expect(recurring.locator(".dash-failed")).to_be_visible()

    page.unroute("**/dashboard/panels/recurring*")
    page.unroute("**/dashboard/panels/heatmap*")
    recurring.locator("button:has-text('Retry')").click()
    expect(page.locator("#panel-recurring tbody tr").first).to_be_visible()
    expect(recurring.locator(".dash-failed")).to_have_count(0)

    # No click on the heatmap: its placeholder asks again at the minute, like a loaded panel refreshes.
    expect(heatmap.locator(".dash-failed")).to_be_visible()
    page.clock.fast_forward("01:01")
    expect(page.locator("#panel-heatmap td.heat-5").first).to_be_visible()
    expect(page.locator("[data-panel-placeholder]")).to_have_count(0)
    # htmx logs each failed request (the 500 as a status, the reset as htmx:afterRequest / htmx:sendError); a
    # script error from our handlers would be another message.
    expected = ("Response Status Error Code 500 from /dashboard/panels/recurring", "htmx:")
    errors = page.console_errors  # type: ignore[attr-defined]
    assert errors and all(error.startswith(expected) for error in errors), errors


def test_an_unreachable_server_is_one_banner_however_many_panels_fail(
    app: Flask, live_server, page, artifacts: Path
) -> None:
    """Every lazy panel failing to connect, again at each minute refresh, still says so once; the banner goes
    when requests get through again."""
    world = make_world(name="Acme Payments")
    _seed(world)
    make_user("dana@acme.test", "Dana", world.workspace, Role.MEMBER)
    db.session.commit()
    page.clock.install()
    page.route("**/dashboard/panels/*", lambda route: route.abort("connectionrefused"))
    log_in(page, live_server.url, "dana@acme.test")
    banner = page.locator("[data-connection-banner]")
    expect(page.locator(".dash-failed:visible")).to_have_count(4)  # trends, recurring, heatmap, responders
    expect(banner).to_have_count(1)
    expect(banner).to_contain_text("Vigil could not be reached")

    with page.expect_event("requestfailed", predicate=lambda r: "responders" in r.url):
        page.clock.fast_forward("01:01")  # each failed placeholder asks again
    expect(banner).to_have_count(1)

    page.unroute("**/dashboard/panels/*")
    page.clock.fast_forward("01:01")
    expect(page.locator("#panel-responders tbody tr")).to_have_count(3)
    expect(banner).to_have_count(0)


def test_the_filter_bar_says_what_is_chosen_and_reads_typed_dates(
    app: Flask, live_server, page, artifacts: Path
) -> None:
    world = make_world(name="Acme Payments")
    _seed(world)
    make_user("dana@acme.test", "Dana", world.workspace, Role.MEMBER)
    db.session.commit()
    url = live_server.url
    log_in(page, url, "dana@acme.test")
    _wait_for_panels(page)

    services, teams = page.locator("details.dash-picker").nth(0), page.locator("details.dash-picker").nth(1)
    services.locator("summary").click()
    services.locator("input[type=checkbox]").first.check()
    expect(services.locator("summary")).to_have_text("Services: 1 chosen")  # before Apply, as it is ticked
    teams.locator("summary").click()  # one picker open at a time
    expect(services).not_to_have_attribute("open", "")
    expect(teams).to_have_attribute("open", "")
    page.keyboard.press("Escape")
    expect(teams).not_to_have_attribute("open", "")

    # A typed date chooses "Custom dates" for the user; the applied window is the one typed.
    page.fill("input[name=start]", "2026-01-05")
    page.locator("input[name=start]").dispatch_event("change")
    expect(page.locator("select[name=range]")).to_have_value("custom")
    page.fill("input[name=end]", "2026-01-12")
    page.locator("input[name=end]").dispatch_event("change")
    services.locator("summary").click()
    page.click("button:has-text('Apply')")
    page.wait_for_url(lambda address: "start=2026-01-05" in address and "range=custom" in address)
    expect(page.locator(".dash-window")).to_contain_text("5 Jan 2026 to 11 Jan 2026")
    expect(page.locator("details.dash-picker[open]")).to_have_count(0)  # Apply closes the pickers
    expect(services.locator("summary")).to_have_text("Services: 1 chosen")
    page.screenshot(path=str(artifacts / "dashboard-filters-applied.png"), full_page=False)

    # Choosing a preset clears the typed dates, so the preset is what applies.
    page.select_option("select[name=range]", "7")
    expect(page.locator("input[name=start]")).to_have_value("")
    assert page.console_errors == []  # type: ignore[attr-defined]
