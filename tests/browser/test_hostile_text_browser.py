"""Hostile text in Chromium (issues #15 and #16): a right-to-left override in a title or name stays inside it,
and long unbroken values neither push the page sideways at 1400 or 390 px nor hide what they say."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from app.accounts import audit
from app.extensions import db
from app.models import AlertRule, Delivery, DeliveryAction, DeliveryStatus
from app.models.types import utcnow
from tests.analytics.factories import make_incident
from tests.browser.helpers import log_in
from tests.factories import Personas, make_pd_account, make_service

pytestmark = pytest.mark.browser

SPOOF = "Checkout \u202eexe.gnp"
LONG_WORD = "x" * 255
WIDTHS = (1400, 390)


def seed(personas: Personas) -> None:
    account = make_pd_account(personas.workspace)
    service = make_service(account, SPOOF)
    now = utcnow().replace(microsecond=0)
    spoofed = make_incident(service, now - timedelta(hours=2), title=SPOOF)
    spoofed.excluded, spoofed.excluded_reason = True, "r" * 200
    make_incident(service, now - timedelta(hours=3), title=LONG_WORD)
    rule = AlertRule(
        workspace_id=personas.workspace.id,
        uid="hostile",
        name=SPOOF + " " + "n" * 100,
        signal="pushed",
        metric="queue.depth",
        aggregation="avg",
        window_seconds=300,
        operator=">",
        threshold=1e300,
        last_value=-1e300,
    )
    db.session.add(rule)
    db.session.flush()
    db.session.add(
        Delivery(
            workspace_id=personas.workspace.id,
            rule_id=rule.id,
            account_id=account.id,
            action=DeliveryAction.TRIGGER,
            incident_key="k" * 255,
            service_remote_id="PSVC1",
            service_name=SPOOF,
            status=DeliveryStatus.FAILED,
            error_message="e" * 300,
            note="n" * 300,
        )
    )
    audit.record(personas.workspace, "invitation.created", "ops@" + "d" * 250 + ".example.com")
    db.session.commit()


def test_it_keeps_a_right_to_left_override_inside_the_title(live_server, page, personas: Personas) -> None:
    seed(personas)
    log_in(page, live_server.url, personas.admin.email)
    page.goto(live_server.url + "/incidents?excluded=1")
    cell = page.locator("td.inc-title", has_text="Checkout")
    title = cell.locator("bdi")
    assert title.evaluate("node => getComputedStyle(node).unicodeBidi") == "isolate"
    # What the page writes after the title (the Excluded badge) stays after it: without isolation the
    # override would carry the badge to the left of the reversed "png.exe".
    title_box, badge_box = title.bounding_box(), cell.locator(".badge").bounding_box()
    assert badge_box["x"] >= title_box["x"] + title_box["width"] - 1


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("incidents", "/incidents?excluded=1"),
        ("incident", None),
        ("alerts", "/alerts"),
        ("deliveries", "/alerts/deliveries"),
        ("audit", "/settings/audit"),
    ],
)
def test_it_keeps_long_values_inside_the_page(
    live_server, page, personas: Personas, artifacts: Path, name: str, path: str | None, width: int
) -> None:
    seed(personas)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server.url, personas.admin.email)
    if path is None:
        page.goto(live_server.url + "/incidents")
        page.click(f"a:has-text('{LONG_WORD[:40]}')")
        page.wait_for_selector("h1 bdi")
    else:
        page.goto(live_server.url + path)
    page.screenshot(path=str(artifacts / f"hostile-{name}-{width}.png"), full_page=True)
    # Tables scroll inside their wrapper; nothing else may make the page wider than the window.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # A value cut for the table keeps its whole text on hover.
    for clipped in page.locator("bdi.ut[title]").all():
        visible, whole = clipped.inner_text().removesuffix("…"), clipped.get_attribute("title") or ""
        assert whole.startswith(visible) and len(whole) > len(visible)
    assert page.console_errors == []
