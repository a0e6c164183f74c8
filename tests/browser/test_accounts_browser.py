"""A person's first minutes with Vigil, in a real browser: sign up, log out and in, invite, change a role."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Membership, Role, User
from tests.browser.helpers import log_in

pytestmark = pytest.mark.browser


def test_it_takes_a_team_from_sign_up_to_a_second_admin(live_server, page, new_page, artifacts: Path) -> None:
    url = live_server.url
    page.goto(url + "/")
    assert "Welcome to Vigil" in page.content()
    page.fill("input[name=name]", "Fay First")
    page.fill("input[name=email]", "fay@example.com")
    page.fill("input[name=password]", "a long password")
    page.fill("input[name=workspace]", "Ops Team")
    page.fill("input[name=timezone]", "Europe/Berlin")
    page.screenshot(path=str(artifacts / "accounts-01-signup.png"), full_page=True)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/dashboard")
    assert "Link PagerDuty to see your incidents" in page.content()
    page.screenshot(path=str(artifacts / "accounts-02-empty-dashboard.png"), full_page=True)

    page.click("text=Log out")
    page.wait_for_url(url + "/login")
    page.fill("input[name=email]", "fay@example.com")
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    assert "do not match an account" in page.content()
    page.fill("input[name=password]", "a long password")
    page.click("button[type=submit]")
    page.wait_for_url(url + "/dashboard")

    page.goto(url + "/settings/members")
    page.select_option("#invitations-body select[name=role]", "member")
    page.click("text=Create invitation link")
    link = page.locator("#invite-link").inner_text().strip()
    assert "/invite?token=" in link
    page.screenshot(path=str(artifacts / "accounts-03-invitation.png"), full_page=True)

    new_page.goto(link)
    new_page.click("text=Create an account")
    new_page.fill("input[name=name]", "Sam Second")
    new_page.fill("input[name=email]", "sam@example.com")
    new_page.fill("input[name=password]", "another long password")
    new_page.click("button[type=submit]")
    new_page.wait_for_url(url + "/dashboard")
    assert "Ops Team" in new_page.content()
    new_page.screenshot(path=str(artifacts / "accounts-04-joined-phone.png"), full_page=True)

    page.reload()
    sam = db.session.scalar(select(User).where(User.email == "sam@example.com"))
    membership = db.session.scalar(select(Membership).where(Membership.user_id == sam.id))
    row = page.locator(f"#member-{membership.id}")
    row.locator("select[name=role]").select_option("admin")
    row.locator("text=Saved").wait_for()
    page.screenshot(path=str(artifacts / "accounts-05-role-changed.png"), full_page=True)
    db.session.expire_all()
    assert db.session.get(Membership, membership.id).role is Role.ADMIN
    assert page.console_errors == []
    assert new_page.url.endswith("/dashboard")


def test_it_lists_sessions_and_signs_out_everywhere_else(
    live_server, page, new_page, artifacts: Path, personas
) -> None:
    url = live_server.url

    page.set_viewport_size({"width": 1400, "height": 900})
    log_in(page, url, personas.member.email)
    log_in(new_page, url, personas.member.email, remember=True)

    page.goto(url + "/account")
    rows = page.locator("#sessions tbody tr")
    assert rows.count() == 2
    assert page.locator("#sessions .badge", has_text="this browser").count() == 1
    assert "Chrome on Linux" in page.locator("#sessions").inner_text()
    page.screenshot(path=str(artifacts / "accounts-06-sessions-wide.png"), full_page=True)
    new_page.goto(url + "/account")
    assert "kept signed in" in new_page.locator("#sessions").inner_text()
    new_page.screenshot(path=str(artifacts / "accounts-07-sessions-phone.png"), full_page=True)

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("text=Sign out everywhere else")
    page.locator("text=Signed out everywhere else (1 session)").wait_for()
    assert page.locator("#sessions tbody tr").count() == 1
    page.screenshot(path=str(artifacts / "accounts-08-signed-out-elsewhere.png"), full_page=True)

    new_page.goto(url + "/dashboard")
    new_page.wait_for_url(url + "/login?next=/dashboard")
    assert page.console_errors == []
