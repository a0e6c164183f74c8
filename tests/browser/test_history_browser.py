"""The account page's History field in a real browser: a refused value and its message, then a saved one."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.crypto import encrypt
from app.extensions import db
from app.models import PagerDutyAccount
from tests.browser.helpers import log_in
from tests.factories import Personas, make_pd_account

pytestmark = pytest.mark.browser


def test_it_refuses_then_saves_a_history(live_server, page, personas: Personas, artifacts: Path) -> None:
    account = make_pd_account(personas.workspace, access_token_enc=encrypt("t"))
    db.session.commit()
    log_in(page, live_server.url, personas.admin.email)
    page.goto(f"{live_server.url}/integrations/pagerduty/{account.id}")
    field = page.locator("#history input[name=history_days]")
    assert field.input_value() == "365"
    field.fill("10")
    page.locator("#history button[type=submit]").click()
    alert = page.locator("#history [role=alert]")
    assert "from 30 to 1825" in alert.inner_text()
    assert page.locator("#history input[name=history_days]").input_value() == "10"
    page.screenshot(path=str(artifacts / "history-01-refused.png"), full_page=True)
    page.locator("#history input[name=history_days]").fill("730")
    page.locator("#history button[type=submit]").click()
    assert "Saved: 730 days of history" in page.locator(".flash").first.inner_text()
    assert page.locator("#history input[name=history_days]").input_value() == "730"
    page.locator("#history").screenshot(path=str(artifacts / "history-02-saved.png"))
    db.session.expire_all()
    assert db.session.get(PagerDutyAccount, account.id).history_days == 730
