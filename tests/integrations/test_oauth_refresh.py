"""OAuth access tokens are refreshed before they expire and on a 401; refresh tokens rotate; failures show."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs

import pytest
import responses
from flask.testing import FlaskClient
from sqlalchemy import select, update

from app import crypto
from app.extensions import db
from app.integrations.pagerduty import oauth
from app.integrations.pagerduty.credentials import TokenUnavailable, client_for, settings
from app.integrations.pagerduty.errors import PagerDutyError
from app.models import AccountStatus, AuthKind, PagerDutyAccount
from app.models.types import utcnow
from pdsim.testing import RunningSim
from tests.factories import Personas, make_pd_account
from tests.integrations.helpers import link_by_oauth, text_of


def linked(admin: FlaskClient, sim: RunningSim) -> PagerDutyAccount:
    assert link_by_oauth(admin, sim).status_code == 302
    return reload()


def reload() -> PagerDutyAccount:
    db.session.expire_all()
    return db.session.scalars(select(PagerDutyAccount)).one()


def secrets_of(account: PagerDutyAccount) -> tuple[str, str]:
    return crypto.decrypt(account.access_token_enc), crypto.decrypt(account.refresh_token_enc)


def test_it_refreshes_a_token_about_to_expire_and_stores_the_rotated_refresh_token(admin, sim) -> None:
    account = linked(admin, sim)
    old_access, old_refresh = secrets_of(account)
    account.expires_at = utcnow() + timedelta(minutes=2)
    db.session.commit()

    user = client_for(account).get_current_user()

    assert user["email"] == sim.admin_email
    account = reload()
    new_access, new_refresh = secrets_of(account)
    assert new_access != old_access and new_refresh != old_refresh
    assert account.expires_at > utcnow() + timedelta(hours=23)
    with pytest.raises(oauth.RefreshRefused, match="invalid_grant"):
        oauth.refresh(old_refresh, settings())  # rotation: the old refresh token is dead


def test_it_refreshes_once_when_pagerduty_answers_401(admin, sim) -> None:
    account = linked(admin, sim)
    old_access, old_refresh = secrets_of(account)
    sim.control.revoke_token(old_access)

    assert client_for(account).get_current_user()["email"] == sim.admin_email

    assert secrets_of(reload()) != (old_access, old_refresh)


def test_it_marks_the_account_when_the_refresh_token_has_expired(admin, sim) -> None:
    sim.control.set_oauth_config(refresh_token_ttl=60)
    account = linked(admin, sim)
    sim.control.advance_clock(120)
    account.expires_at = utcnow()
    db.session.commit()

    with pytest.raises(TokenUnavailable) as caught:
        client_for(account)

    account = reload()
    assert caught.value.status == 401 and caught.value.is_auth_failure
    assert account.status is AccountStatus.NEEDS_ATTENTION
    assert "no longer accepts Vigil's access" in account.status_reason
    assert "The refresh token is invalid or expired" in account.status_reason
    page = text_of(admin.get("/integrations").get_data(as_text=True))
    assert "Needs attention" in page and "Re-link" in page


def test_it_marks_the_account_when_access_is_revoked_in_pagerduty(admin, sim) -> None:
    account = linked(admin, sim)
    access, refresh = secrets_of(account)
    sim.control.revoke_token(access)
    sim.control.revoke_token(refresh)

    with pytest.raises(PagerDutyError) as caught:
        client_for(account).list_services()

    assert caught.value.status == 401
    assert reload().status is AccountStatus.NEEDS_ATTENTION


class TestWithoutPdsim:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {
            "pagerduty_api_url": "https://api.test",
            "pagerduty_identity_url": "https://identity.test",
            "pagerduty_client_id": "cid",
            "pagerduty_client_secret": "csecret",
        }

    @pytest.fixture
    def account(self, personas: Personas) -> PagerDutyAccount:
        account = make_pd_account(
            personas.workspace,
            auth_kind=AuthKind.OAUTH,
            access_token_enc=crypto.encrypt("old-access"),
            refresh_token_enc=crypto.encrypt("old-refresh"),
            expires_at=utcnow() + timedelta(seconds=30),
        )
        db.session.commit()
        return account

    def test_it_posts_the_refresh_with_the_client_secret_in_the_body(self, account: PagerDutyAccount) -> None:
        token = {
            "access_token": "new-access",
            "refresh_token": "new-refresh",
            "expires_in": 86400,
            "scope": "x",
        }
        with responses.RequestsMock() as api:
            api.post("https://identity.test/oauth/token", json=token)
            api.get("https://api.test/users/me", json={"user": {"id": "P1"}})
            client_for(account).get_current_user()
            refresh, me = api.calls
            assert "Authorization" not in refresh.request.headers  # client_secret_post, never HTTP Basic
            assert parse_qs(refresh.request.body) == {
                "grant_type": ["refresh_token"],
                "refresh_token": ["old-refresh"],
                "client_id": ["cid"],
                "client_secret": ["csecret"],
            }
            assert me.request.headers["Authorization"] == "Bearer new-access"
            assert me.request.headers["Accept"] == "application/vnd.pagerduty+json;version=2"
        assert secrets_of(reload()) == ("new-access", "new-refresh")
        assert reload().scopes == "x"

    def test_it_keeps_the_account_active_when_the_identity_server_is_down(self, account) -> None:
        with responses.RequestsMock() as api:
            api.post("https://identity.test/oauth/token", status=503, body="down")
            with pytest.raises(PagerDutyError) as caught:
                client_for(account)
        assert caught.value.retryable is True
        assert not isinstance(caught.value, TokenUnavailable)
        assert reload().status is AccountStatus.ACTIVE

    def test_it_uses_a_token_another_worker_just_refreshed(self, account: PagerDutyAccount) -> None:
        account.expires_at = utcnow() + timedelta(days=1)
        db.session.commit()
        client = client_for(account)
        # Meanwhile another worker rotated the tokens (committed in its own transaction).
        with db.engine.begin() as conn:
            conn.execute(
                update(PagerDutyAccount)
                .where(PagerDutyAccount.id == account.id)
                .values(access_token_enc=crypto.encrypt("theirs"), refresh_token_enc=crypto.encrypt("r2"))
            )
        with responses.RequestsMock() as api:
            api.get(
                "https://api.test/users/me", status=401, json={"error": {"message": "expired", "code": 2006}}
            )
            api.get("https://api.test/users/me", json={"user": {"id": "P1"}})
            client.get_current_user()
            assert [c.request.headers["Authorization"] for c in api.calls] == [
                "Bearer old-access",
                "Bearer theirs",
            ]

    def test_it_refuses_an_unlinked_account(self, account: PagerDutyAccount) -> None:
        account.status = AccountStatus.UNLINKED
        with pytest.raises(TokenUnavailable, match="unlinked"):
            client_for(account)

    def test_it_marks_an_account_whose_token_cannot_be_decrypted(self, account: PagerDutyAccount) -> None:
        account.access_token_enc = crypto.encrypt("x", keys=("A" * 43 + "=",))
        db.session.commit()

        with pytest.raises(TokenUnavailable, match="ENCRYPTION_KEYS changed"):
            client_for(account)

        assert reload().status is AccountStatus.NEEDS_ATTENTION
