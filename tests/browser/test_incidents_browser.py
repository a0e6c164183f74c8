"""The incident explorer in Chromium: filter, open an incident, exclude it, find it again; the report."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from app.extensions import db
from app.models import LogEntryType
from app.models.types import utcnow
from tests.analytics.factories import make_deployment, make_incident, make_log_entry, make_notification
from tests.browser.helpers import log_in
from tests.factories import Personas, make_pd_account, make_pd_user, make_service, make_team

pytestmark = pytest.mark.browser


def seed(personas: Personas) -> int:
    """A week of plausible incidents on two services; returns the id of the one the test excludes."""
    account = make_pd_account(personas.workspace)
    checkout, search = make_service(account, "checkout-api"), make_service(account, "search")
    payments = make_team(account, "Payments")
    ada = make_pd_user(account, "Ada Lovelace")
    now = utcnow().replace(second=0, microsecond=0)
    titles = ["Disk full on db-{n}", "p99 latency above 2s", "5xx rate above 1%", "Queue backlog growing"]
    for n in range(12):
        service = checkout if n % 3 else search
        make_incident(
            service,
            now - timedelta(hours=7 * n + 3),
            ack_after=60 + 45 * n,
            resolve_after=900 + 600 * n if n % 4 else None,
            escalation_count=n % 3,
            urgency="low" if n % 5 == 0 else "high",
            title=titles[n % 4].format(n=n),
            teams=[payments] if service is checkout else [],
        )
    drill = make_incident(
        checkout,
        now - timedelta(hours=1),
        ack_after=95,
        resolve_after=1500,
        title="[TEST] Synthetic page from drill",
    )
    drill.html_url = "https://acme.pagerduty.com/incidents/PDRILL1"
    start = drill.created_at
    make_log_entry(drill, LogEntryType.TRIGGER, start, channel="api")
    make_notification(drill, ada, start + timedelta(seconds=4), channel="push")
    make_notification(drill, ada, start + timedelta(seconds=64), channel="sms")
    make_log_entry(drill, LogEntryType.ACKNOWLEDGE, start + timedelta(seconds=95), ada)
    make_log_entry(drill, LogEntryType.RESOLVE, start + timedelta(seconds=1500), ada)
    make_deployment(
        checkout, start - timedelta(minutes=40), summary="checkout-api v2.14.0 (feature flag rollout)"
    )
    db.session.commit()
    return drill.id


def test_it_filters_opens_excludes_and_finds_an_incident_again(
    live_server, page, new_page, personas: Personas, artifacts: Path
) -> None:
    url = live_server.url
    drill_id = seed(personas)
    log_in(page, url, personas.admin.email)
    page.click("nav >> text=Incidents")
    page.wait_for_url(url + "/incidents")
    assert page.locator("table.inc-table tbody tr").count() == 13
    page.screenshot(path=str(artifacts / "incidents-01-list.png"), full_page=True)

    page.click("form.inc-filters summary[data-picker-title=Services]")
    page.locator("form.inc-filters").get_by_label("checkout-api").check()
    page.wait_for_url(lambda u: "service=" in u)
    page.locator("table.inc-table tbody tr").nth(9).wait_for(state="detached")
    assert page.locator("table.inc-table tbody tr").count() == 9
    page.fill("input[name=q]", "drill")
    page.press("input[name=q]", "Enter")
    page.wait_for_url(lambda u: "q=drill" in u)
    page.locator("table.inc-table tbody tr").nth(1).wait_for(state="detached")
    page.screenshot(path=str(artifacts / "incidents-02-filtered.png"), full_page=True)

    page.click("text=[TEST] Synthetic page from drill")
    page.wait_for_url(f"{url}/incidents/{drill_id}")
    assert page.locator("text=Notified Ada Lovelace by SMS").count() == 1
    assert page.locator("text=checkout-api v2.14.0").count() == 1
    page.screenshot(path=str(artifacts / "incidents-03-incident.png"), full_page=True)

    page.click("button:has-text('Exclude from metrics')")  # no reason: the browser asks for one
    assert page.locator("text=Count it again").count() == 0
    page.fill("#exclude-reason", "Drill, not a real outage")
    page.click("button:has-text('Exclude from metrics')")
    page.locator("text=Count it again").wait_for()
    assert "by Adam Admin" in page.locator("#exclusion").inner_text()
    page.screenshot(path=str(artifacts / "incidents-04-excluded.png"), full_page=True)

    page.go_back()
    page.wait_for_url(lambda u: "q=drill" in u)
    page.reload()
    assert page.locator("table.inc-table tbody tr").count() == 0
    page.check("input[name=excluded]")
    page.locator(".inc-table .badge:has-text('Excluded')").wait_for()

    page.goto(f"{url}/reports?period=week&date={utcnow().date()}")
    page.locator("h2:has-text('By service')").wait_for()
    page.screenshot(path=str(artifacts / "incidents-05-report.png"), full_page=True)
    page.emulate_media(media="print")
    assert not page.locator("header.topbar").is_visible()
    page.screenshot(path=str(artifacts / "incidents-06-report-print.png"), full_page=True)
    assert page.console_errors == []  # type: ignore[attr-defined]

    log_in(new_page, url, personas.member.email)
    new_page.goto(url + "/incidents")
    new_page.screenshot(path=str(artifacts / "incidents-07-list-phone.png"), full_page=True)
    new_page.goto(f"{url}/incidents/{drill_id}")
    assert "An admin can exclude it" not in new_page.content()  # excluded: members see why, not a form
    assert new_page.locator("text=Drill, not a real outage").count() == 1
    new_page.screenshot(path=str(artifacts / "incidents-08-incident-phone.png"), full_page=True)
