"""Linking by token when PagerDuty's user holds text no form would accept: it links, and keeps the text."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.integrations.pagerduty.credentials import store_grant
from app.integrations.pagerduty.oauth import Grant
from app.models import AccountStatus, AuthKind, PagerDutyAccount
from pdsim.testing import RunningSim
from tests.factories import Personas, make_pd_account
from tests.integrations.helpers import link_by_token, text_of
from tests.pdsim_support import clean

LONG_NAME = "Ann \u202e" + "Ü" * 400 + " 🚨\x00"


@pytest.fixture
def sim(sim_session: RunningSim) -> RunningSim:
    running = clean(sim_session)
    admin = running.sim.directory.admin["id"]
    with running.store.write() as conn:
        conn.execute("UPDATE users SET name = ? WHERE id = ?", (LONG_NAME, admin))
    running.sim.reload_directory()
    return running


def test_it_links_a_token_whose_user_has_a_very_long_name(
    login_as: Callable[[str], FlaskClient], personas: Personas, sim: RunningSim
) -> None:
    admin = login_as(personas.admin.email)

    assert link_by_token(admin).status_code == 303

    account = db.session.scalars(select(PagerDutyAccount)).one()
    assert account.status is AccountStatus.ACTIVE
    assert account.token_user_name == LONG_NAME.replace("\x00", "")
    assert account.token_user_email == sim.admin_email
    page = admin.get(f"/integrations/pagerduty/{account.id}")
    assert page.status_code == 200 and "acme" in text_of(page.get_data(as_text=True))


def test_it_keeps_a_broad_oauth_grant_whole(personas: Personas) -> None:
    # A scoped app granted everything lists dozens of scopes: far past what a short column would hold.
    scopes = " ".join(f"resource{i}.read resource{i}.write" for i in range(60))
    account = make_pd_account(personas.workspace, auth_kind=AuthKind.OAUTH)
    grant = Grant(access_token="at", refresh_token="rt", expires_at=None, scopes=scopes)

    store_grant(account, grant)
    db.session.commit()

    db.session.expire_all()
    assert db.session.get(PagerDutyAccount, account.id).scopes == scopes  # type: ignore[union-attr]
