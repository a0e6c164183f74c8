"""Linking PagerDuty in Chromium against pdsim: token (after a mistake), services, unlink, OAuth."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import AccountStatus, AuthKind, PagerDutyAccount, PDService
from pdsim.testing import RunningSim
from tests.browser.helpers import log_in
from tests.factories import Personas
from tests.integrations.helpers import INTEGRATION_KEY
from tests.pdsim_support import LINKABLE, USER_TOKEN, PdsimAccount

pytestmark = pytest.mark.browser


@pytest.fixture
def pdsim_account() -> PdsimAccount:
    return LINKABLE


def account_row() -> PagerDutyAccount:
    db.session.expire_all()
    return db.session.scalars(select(PagerDutyAccount)).one()


def test_it_links_by_token_picks_services_unlinks_and_relinks_by_oauth(
    live_server, page, sim: RunningSim, personas: Personas, artifacts: Path
) -> None:
    url = live_server.url
    log_in(page, url, personas.admin.email)
    page.click("nav >> text=Integrations")
    page.wait_for_url(url + "/integrations")
    assert "Link PagerDuty to see your incidents" in page.content()
    page.screenshot(path=str(artifacts / "link-01-integrations-empty.png"), full_page=True)

    # A service integration key by mistake: the form explains, in place.
    page.click("a.button:has-text('Install with API token')")
    page.fill("input[name=token]", INTEGRATION_KEY)
    page.click("button:has-text('Check and link')")
    page.locator(".field-error:has-text('service integration key')").wait_for()
    # The "Checking with PagerDuty…" indicator fades out after the swap settles.
    expect(page.locator("#token-checking")).to_have_css("opacity", "0")
    page.screenshot(path=str(artifacts / "link-02-token-error.png"), full_page=True)

    page.fill("input[name=token]", f"  {USER_TOKEN}  ")
    page.click("button:has-text('Check and link')")
    page.wait_for_url(re.compile(r".*/integrations/pagerduty/\d+$"))
    account = account_row()
    assert account.status is AccountStatus.ACTIVE
    assert "services found: pick the ones Vigil should follow" in page.content()

    # Service selection: filter by team, follow one service, then all shown.
    page.locator("#service-filter").press_sequentially("Platform")
    page.locator("#services:has-text('match “Platform”')").wait_for()
    first = page.locator("#services tbody tr").first
    first.locator("input[type=checkbox]").check()
    first.locator("text=Saved").wait_for()
    page.click("button:has-text('Select all shown')")
    page.locator("#services .saved:has-text('Saved: selected the services shown')").wait_for()
    page.screenshot(path=str(artifacts / "link-03-service-selection.png"), full_page=True)
    db.session.expire_all()
    followed = db.session.scalars(select(PDService).where(PDService.selected.is_(True))).all()
    assert followed and all(any(t.name == "Platform" for t in s.teams) for s in followed)

    page.click("a.button:has-text('Unlink')")
    page.locator("text=What happens").wait_for()
    page.screenshot(path=str(artifacts / "link-04-unlink-confirmation.png"), full_page=True)
    page.check("input[value=keep]")
    page.click("button:has-text('Unlink acme')")
    page.wait_for_url(url + "/integrations")
    assert "Its synced data was kept." in page.content()
    assert account_row().status is AccountStatus.UNLINKED

    # OAuth re-links the same account (same region and subdomain): it resumes with its services.
    page.click("button:has-text('Link with PagerDuty')")
    page.wait_for_url(re.compile(re.escape(sim.identity_url) + r"/oauth/authorize.*"))
    page.screenshot(path=str(artifacts / "link-05-pagerduty-consent.png"), full_page=True)
    page.click("#allow")
    page.wait_for_url(re.compile(r".*/integrations/pagerduty/\d+$"))
    assert "Re-linked PagerDuty account acme (US)." in page.content()
    page.screenshot(path=str(artifacts / "link-06-oauth-relinked.png"), full_page=True)
    again = account_row()
    assert (again.id, again.auth_kind, again.status) == (account.id, AuthKind.OAUTH, AccountStatus.ACTIVE)
    assert db.session.scalars(select(PDService).where(PDService.selected.is_(True))).all()

    page.goto(url + "/integrations")
    page.screenshot(path=str(artifacts / "link-07-integrations-card.png"), full_page=True)
    assert page.console_errors == []


def test_it_says_nothing_was_linked_when_consent_is_denied(
    live_server, page, sim: RunningSim, personas: Personas, artifacts: Path
) -> None:
    log_in(page, live_server.url, personas.owner.email)
    page.goto(live_server.url + "/integrations")
    page.click("button:has-text('Link with PagerDuty')")
    page.click("#deny")
    page.wait_for_url(live_server.url + "/integrations")
    page.locator("text=You declined access in PagerDuty; nothing was linked.").wait_for()
    page.screenshot(path=str(artifacts / "link-09-consent-denied.png"), full_page=True)
    assert db.session.scalars(select(PagerDutyAccount)).all() == []
    assert page.console_errors == []


def test_it_shows_members_the_account_read_only(
    live_server, page, personas: Personas, artifacts: Path
) -> None:
    from tests.factories import make_pd_account, make_service

    account = make_pd_account(personas.workspace, token_user_role="admin")
    make_service(account, "Checkout API", selected=True)
    make_service(account, "Search", selected=False, status="maintenance")
    db.session.commit()

    log_in(page, live_server.url, personas.member.email)
    page.goto(f"{live_server.url}/integrations/pagerduty/{account.id}")
    assert page.locator("#services input[type=checkbox]:disabled").count() == 2
    assert page.locator("text=Select all").count() == 0
    page.screenshot(path=str(artifacts / "link-08-member-read-only.png"), full_page=True)
    assert page.console_errors == []
