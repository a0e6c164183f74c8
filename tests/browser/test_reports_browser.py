"""The printable report in Chromium without JavaScript: its filter form narrows the report through the URL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask

from app.extensions import db
from app.models import Role
from app.models.types import utcnow
from tests.analytics.factories import make_incident, make_world
from tests.browser.helpers import log_in
from tests.factories import make_user

pytestmark = pytest.mark.browser


def test_it_filters_the_report_without_javascript(app: Flask, live_server, browser, artifacts: Path) -> None:
    world = make_world(name="Acme Payments")
    start = utcnow().replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=40)
    for day in range(40):
        service = world.api if day % 3 else world.web
        make_incident(
            service,
            start + timedelta(days=day),
            ack_after=60 + day,
            resolve_after=600 + 10 * day,
            urgency="low" if day % 4 == 0 else "high",
            teams=[world.team] if service == world.api else [],
            title=f"Disk {day}% full on db-{day % 3}",
        )
    make_user("dana@acme.test", "Dana", world.workspace, Role.MEMBER)
    db.session.commit()

    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        log_in(page, live_server.url, "dana@acme.test")
        page.goto(live_server.url + "/reports")
        form = page.locator("form.rep-filters")
        form.locator("select[name=period]").select_option("month")
        form.locator("summary:has-text('Services')").click()
        form.locator(f"input[name=service][value='{world.api.id}']").check()
        form.locator("select[name=urgency]").select_option("high")
        form.locator("button:has-text('Apply')").click()
        page.wait_for_url(lambda address: "period=month" in address and "urgency=high" in address)
        assert f"service={world.api.id}" in page.url
        assert page.locator("select[name=period]").input_value() == "month"
        assert page.locator("select[name=urgency]").input_value() == "high"
        assert page.locator(f"input[name=service][value='{world.api.id}']").is_checked()
        assert "Filtered to services: api; high urgency." in page.locator(".rep-filtered").inner_text()
        page.screenshot(path=str(artifacts / "report-filtered.png"), full_page=True)
        # On paper the form is left out; the line saying what the report is narrowed to stays.
        page.emulate_media(media="print")
        assert not page.locator("form.rep-filters").is_visible()
        assert page.locator(".rep-filtered").is_visible()
    finally:
        context.close()
