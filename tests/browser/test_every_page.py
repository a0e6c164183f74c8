"""Every page of the app, as an owner on a desktop and on a phone and as a member on a phone: no server error,
no console error, no horizontal scrollbar on the page body, no serious or critical axe-core (WCAG 2.1 AA)
violation, and headings in order and no empty table header (moderate and minor in axe's words, but each makes
a page harder to read with a screen reader).

The pages come from the app's own URL map, each parameter filled with a real row of a seeded workspace, so a
new page is walked as soon as it exists; a parameter the walker cannot fill fails the test until it can.
axe-core comes from the npm registry (`make test` installs it into .venv/axe) and is injected by the test.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.accounts import workspaces as accounts
from app.analytics.panels import PANELS
from app.extensions import db
from app.models import (
    AlertRule,
    Delivery,
    DeliveryAction,
    DeliveryStatus,
    LogEntryType,
    RuleTarget,
    SyncKind,
    SyncRun,
    SyncStatus,
)
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
from tests.factories import Role, make_user, membership_of

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (1400, 390)
# Pages that are not pages: files, JSON, HTMX fragments that need their form's fields, OAuth's return leg.
NOT_PAGES = {
    "static",
    "core.healthz",
    "analytics.breakdown_csv",
    "incidents.export",
    "reports.by_service_csv",
    "reports.by_team_csv",
    "alerts.target_services",
    "alerts.signal_fields",
    "pagerduty.oauth_callback",
}


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        message = f"axe-core is not installed at {AXE}: run `make test` (it installs it with npm)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return AXE.read_text()


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    # Saving a rule asks PagerDuty about its service; nothing listens here, so the synced row answers.
    return {"pagerduty_api_url": "http://127.0.0.1:9", "pagerduty_eu_api_url": "http://127.0.0.1:9"}


def _seed(world: World) -> dict[str, Any]:
    """A lived-in workspace: incidents with pages and acknowledgements, deploys, a rule that paged, a run."""
    now = utcnow().replace(microsecond=0)
    ana = make_responder(world, "Ana Oncall")
    first = None
    for day in range(20):
        incident = make_incident(
            world.api if day % 3 else world.web,
            now - timedelta(days=day, hours=3),
            ack_after=120 + day,
            resolve_after=900 + 60 * day,
            title=f"Disk {90 + day % 9}% full on db-{day % 4}",
            teams=[world.team],
        )
        make_notification(incident, ana, incident.created_at + timedelta(seconds=20), channel="phone")
        make_log_entry(incident, LogEntryType.ACKNOWLEDGE, incident.created_at + timedelta(minutes=2), ana)
        first = first or incident
        if day % 4 == 0:
            make_deployment(world.api, now - timedelta(days=day, hours=5))
    unfollowed = world.legacy
    rule = AlertRule(
        workspace_id=world.workspace.id,
        uid="walkrule",
        name="Queue too deep",
        signal="pushed",
        metric="queue.depth",
        aggregation="avg",
        window_seconds=300,
        operator=">",
        threshold=100,
    )
    db.session.add(rule)
    db.session.flush()
    target = RuleTarget(rule_id=rule.id, account_id=world.account.id, service_remote_id=world.api.remote_id)
    db.session.add(target)
    db.session.flush()
    test = Delivery(
        workspace_id=world.workspace.id,
        rule_id=rule.id,
        target_id=target.id,
        account_id=world.account.id,
        action=DeliveryAction.TEST_TRIGGER,
        incident_key="vigil/rule/walkrule/test/1",
        service_remote_id=world.api.remote_id,
        service_name="api",
        title="[TEST] Vigil test alert",
        status=DeliveryStatus.SENT,
        pd_incident_id="PWALK1",
    )
    db.session.add(test)
    db.session.add(
        SyncRun(
            workspace_id=world.workspace.id,
            account_id=world.account.id,
            kind=SyncKind.BACKFILL,
            status=SyncStatus.SUCCEEDED,
            finished_at=now,
        )
    )
    db.session.commit()
    assert first is not None
    return {
        "incident_id": first.id,
        "rule_id": rule.id,
        "delivery_id": test.id,
        "account_id": world.account.id,
        "service_id": unfollowed.id,
    }


def _pages(app: Flask, ids: dict[str, Any], invite_token: str) -> list[tuple[str, str]]:
    """(access, path) for every GET page of the URL map, parameters filled from the seeded rows."""
    values = {**ids, "token": invite_token}
    pages = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint in NOT_PAGES or rule.rule.startswith("/api/"):
            continue
        access = getattr(app.view_functions[rule.endpoint], "access", "")
        if rule.endpoint == "analytics.panel":
            pages += [(access, f"/dashboard/panels/{name}") for name in PANELS]
            continue
        missing = [name for name in rule.arguments if name not in values]
        assert not missing, f"the page walker cannot fill {missing} of {rule.rule}: add a seeded row"
        pages.append((access, re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: str(values[m.group(1)]), rule.rule)))
    return sorted(set(pages), key=lambda page: page[1])


def _problems(page: Any, url: str, axe: str, width: int) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    response = page.goto(url)
    page.wait_for_load_state("networkidle")
    found: list[str] = []
    if response is None or response.status >= 500:
        found.append(f"status {response.status if response else 'none'}")
    found += [f"console: {text}" for text in errors if not text.startswith("Failed to load resource")]
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        found.append(f"the page is {overflow} px wider than the {width} px screen")
    page.evaluate(axe)
    violations = page.evaluate(
        """() => axe.run(document, {runOnly: {type: "tag", values: TAGS}})
              .then(r => r.violations.filter(v => v.impact === "serious" || v.impact === "critical"
                                                  || ALSO.includes(v.id))
              .map(v => v.id + " (" + v.impact + "): "
                        + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", ")))""".replace(
            "TAGS", '["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]'
        ).replace("ALSO", '["heading-order", "empty-table-header"]')
    )
    found += [f"axe {violation}" for violation in violations]
    return found


@pytest.fixture
def seeded(app: Flask) -> dict[str, Any]:
    world = make_world(name="Acme Payments")
    owner = make_user("owner@walk.test", "Olive Owner", world.workspace, Role.OWNER)
    make_user("member@walk.test", "Mia Member", world.workspace, Role.MEMBER)
    ids = _seed(world)
    _, token = accounts.create_invitation(world.workspace, membership_of(owner, world.workspace), Role.MEMBER)
    db.session.commit()
    return {"ids": {**ids, "workspace_id": world.workspace.id}, "token": token}


@pytest.mark.slow
def test_every_page_as_each_role_on_desktop_and_phone(
    app: Flask, live_server, browser, seeded, axe_source: str, artifacts: Path
) -> None:
    pages = _pages(app, seeded["ids"], seeded["token"])
    assert len(pages) >= 25
    failures: list[str] = []
    # The owner sees every page at both widths; a member's pages are the owner's less the admin controls,
    # so the phone, where layouts break first, is where the member walks.
    for email, role, widths in (("owner@walk.test", "owner", WIDTHS), ("member@walk.test", "member", (390,))):
        for width in widths:
            context = browser.new_context(viewport={"width": width, "height": 900})
            page = context.new_page()
            page.set_default_timeout(15_000)
            log_in(page, live_server.url, email)
            page.wait_for_load_state("networkidle")
            for access, path in pages:
                if role == "member" and access in {"admin", "owner"}:
                    continue
                for problem in _problems(page, live_server.url + path, axe_source, width):
                    failures.append(f"{role} {width}px {path}: {problem}")
            page.screenshot(path=str(artifacts / f"every-page-{role}-{width}.png"))
            context.close()
    assert failures == [], "\n".join(failures)
