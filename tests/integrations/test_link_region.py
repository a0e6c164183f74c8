"""An account in PagerDuty's EU service region: found by detection, refused with a clear message otherwise."""

from __future__ import annotations

import pytest
import responses
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.integrations.pagerduty import link
from app.integrations.pagerduty.credentials import client_for
from app.models import PagerDutyAccount, Region
from pdsim.testing import RunningSim
from tests.integrations.helpers import link_by_oauth, link_by_token
from tests.pdsim_support import LINKABLE, USER_TOKEN, PdsimAccount


@pytest.fixture
def pdsim_account() -> PdsimAccount:
    return LINKABLE.with_options(region="eu", subdomain="acme-eu")


def only_account() -> PagerDutyAccount:
    db.session.expire_all()
    [account] = db.session.scalars(select(PagerDutyAccount)).all()
    return account


def test_it_detects_the_eu_region_after_a_us_401(admin: FlaskClient, sim: RunningSim) -> None:
    response = link_by_token(admin, USER_TOKEN, region="")

    assert response.status_code == 303
    account = only_account()
    assert (account.region, account.subdomain) == (Region.EU, "acme-eu")
    assert "acme-eu · EU" in admin.get(response.headers["Location"]).get_data(as_text=True)


def test_it_links_when_eu_is_chosen(admin: FlaskClient) -> None:
    assert link_by_token(admin, USER_TOKEN, region="eu").status_code == 303
    assert only_account().region is Region.EU


def test_it_says_the_token_belongs_to_the_other_region(admin: FlaskClient) -> None:
    response = link_by_token(admin, USER_TOKEN, region="us")

    assert response.status_code == 400
    assert link.wrong_region("eu") in response.get_data(as_text=True)
    assert db.session.scalars(select(PagerDutyAccount)).all() == []


def test_it_takes_the_eu_region_from_the_oauth_id_token(admin: FlaskClient, sim: RunningSim) -> None:
    response = link_by_oauth(admin, sim)

    assert response.status_code == 302, response.get_data(as_text=True)
    account = only_account()
    assert (account.region, account.subdomain) == (Region.EU, "acme-eu")


def test_it_gives_eu_accounts_a_client_on_the_eu_api(admin: FlaskClient, sim: RunningSim) -> None:
    link_by_token(admin, USER_TOKEN, region="eu")
    account = only_account()

    with responses.RequestsMock() as api:
        api.get(f"{sim.eu_url}/abilities", json={"abilities": ["teams"]})
        assert client_for(account).get("/abilities") == {"abilities": ["teams"]}
        assert api.calls[0].request.headers["Authorization"] == f"Token token={USER_TOKEN}"
