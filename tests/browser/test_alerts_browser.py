"""Alerts in Chromium against pdsim: create a rule through the HTMX form, send a test alert, read the log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.alerts import points
from app.extensions import db
from app.models import AlertRule, PDService
from app.models.types import utcnow
from pdsim.testing import RunningSim
from tests.alerts.ui_helpers import link_pdsim
from tests.browser.helpers import log_in
from tests.factories import Personas
from tests.pdsim_support import ALERTS, PdsimAccount

pytestmark = pytest.mark.browser


@pytest.fixture
def pdsim_account() -> PdsimAccount:
    return ALERTS


def test_it_creates_a_rule_sends_a_test_alert_and_shows_the_log(
    live_server,
    page,
    personas: Personas,
    sim: RunningSim,
    run_jobs: Callable[[], int],
    artifacts: Path,
) -> None:
    account = link_pdsim(personas.workspace, sim)
    service = db.session.scalars(
        select(PDService)
        .where(PDService.account_id == account.id, PDService.status == "active")
        .order_by(PDService.name)
    ).first()
    assert service is not None
    now = utcnow()
    points.store_points(
        personas.workspace,
        [points.PointIn("queue.depth", v, now - timedelta(seconds=s), {}) for v, s in ((140, 60), (180, 5))],
    )

    log_in(page, live_server.url, personas.admin.email)
    page.goto(live_server.url + "/alerts")
    expect(page.locator("h2")).to_have_text("No alert rules yet")
    page.screenshot(path=str(artifacts / "alerts-01-empty.png"), full_page=True)
    page.click("a:has-text('New rule')")

    page.fill("#name", "Queue too deep")
    page.select_option("#signal", "pushed")  # HTMX swaps in the pushed metric's fields
    page.wait_for_selector("#signal-fields #aggregation")
    page.fill("#signal-fields #metric", "queue.depth")
    page.select_option("#aggregation", "avg")
    page.fill("#labels", "")
    page.fill("#window_minutes", "5")
    page.select_option("#operator", ">")
    page.fill("#threshold", "100")
    page.select_option("#severity", "critical")
    # Choosing the account (re)loads its services from the synced directory. Each choice waits for
    # its own swap (the old picker is marked first): a wait the old picker satisfies would let the
    # service be chosen on it, and the late swap would then replace the choice with an empty one.
    for account_value in ("", str(account.id)):
        page.eval_on_selector("#target-service-0", "el => { el.dataset.replaced = 'no'; }")
        page.select_option("#targets-0-account", account_value)
        page.wait_for_selector(
            f"#target-service-0:not([data-replaced]) option[value='{service.remote_id}']", state="attached"
        )
    page.select_option("#targets-0-service", service.remote_id)
    page.fill("#threshold", "")
    page.click("button:has-text('Create rule')")  # a mistake first: shown next to its field, nothing saved
    expect(page.locator("#threshold + .field-error")).to_have_text("Threshold must be a number.")
    assert db.session.scalar(select(AlertRule.id)) is None
    page.screenshot(path=str(artifacts / "alerts-02-form-error.png"), full_page=True)
    assert page.input_value("#signal-fields #metric") == "queue.depth"  # what was typed is kept
    assert page.input_value("#targets-0-service") == service.remote_id
    page.fill("#threshold", "100")
    page.click("button:has-text('Preview')")
    expect(page.locator("#preview")).to_contain_text("Value now: 160")
    expect(page.locator("#preview")).to_contain_text("would fire now")
    page.screenshot(path=str(artifacts / "alerts-03-form.png"), full_page=True)
    page.click("button:has-text('Create rule')")

    expect(page.locator(".flash-success")).to_have_text("Rule “\u2068Queue too deep\u2069” created.")
    rule = db.session.scalars(select(AlertRule)).one()
    assert (rule.signal, rule.metric, rule.window_seconds, rule.threshold) == (
        "pushed",
        "queue.depth",
        300,
        100,
    )
    assert [t.service_remote_id for t in rule.targets] == [service.remote_id]
    expect(page.locator("dl.pd-facts")).to_contain_text("avg(queue.depth) > 100 over 5 min")

    page.click("button:has-text('Send test alert')")
    steps = page.locator(".alert-steps")
    expect(steps).to_contain_text("Creating test incident…")
    assert steps.get_attribute("hx-trigger") == "every 1s"
    assert run_jobs() == 2  # the trigger, then the resolve it schedules
    expect(steps).to_contain_text("Resolving… ✓ resolved", timeout=10_000)
    expect(steps).to_contain_text("Creating test incident… ✓ created #")
    assert steps.get_attribute("hx-trigger") is None  # both steps final: polling stopped
    [incident] = sim.control.created()
    assert incident["status"] == "resolved" and incident["title"].startswith("[TEST]")
    assert incident["id"] in (steps.locator("a").get_attribute("href") or "")
    expect(page.locator("#rule-deliveries table tbody tr")).to_have_count(2)  # refreshed out of band
    page.screenshot(path=str(artifacts / "alerts-04-test-alert.png"), full_page=True)

    page.click("a:has-text('The workspace')")
    expect(page.locator("h1")).to_have_text("Delivery log")
    rows = page.locator("table.alert-deliveries tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Queue too deep")
    # The page's h1 shows before htmx has processed it (CI once changed the filter in that gap: no request).
    page.wait_for_load_state("load")
    page.select_option("#status", "failed")  # HTMX filter
    expect(page.locator("#delivery-log")).to_contain_text("No failed deliveries.")
    page.select_option("#status", "")
    expect(rows).to_have_count(2)
    page.screenshot(path=str(artifacts / "alerts-05-delivery-log.png"), full_page=True)

    page.goto(live_server.url + "/alerts")
    expect(page.locator("table.alert-rules tbody tr")).to_have_count(1)
    page.screenshot(path=str(artifacts / "alerts-06-rules.png"), full_page=True)
    assert page.console_errors == []  # type: ignore[attr-defined]
