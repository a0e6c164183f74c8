"""Logins are server-side sessions: logout, password changes and "sign out" revoke exactly their logins."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from app.extensions import db
from app.models import UserSession
from app.models.types import utcnow
from tests.factories import PASSWORD, Personas, membership_of

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)


@pytest.fixture
def browser(fresh_client: Callable[[], FlaskClient]) -> Callable[..., FlaskClient]:
    """A separate browser (its own cookie jar) signed in as `email`."""

    def sign_in(email: str, user_agent: str = FIREFOX, remember: bool = False) -> FlaskClient:
        client = fresh_client()
        client.environ_base["HTTP_USER_AGENT"] = user_agent
        data = {"email": email, "password": PASSWORD, **({"remember": "y"} if remember else {})}
        response = client.post("/login", data=data)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return sign_in


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/dashboard").status_code == 200


@pytest.fixture
def cookies_only(fresh_client: Callable[[], FlaskClient]) -> Callable[..., FlaskClient]:
    """A browser holding nothing but the given cookies (copied from another)."""

    def make(**cookies: str) -> FlaskClient:
        client = fresh_client()
        client.environ_base["HTTP_USER_AGENT"] = FIREFOX
        for name, value in cookies.items():
            client.set_cookie(name, value)
        return client

    return make


def test_it_ends_the_session_at_logout_even_for_a_copy_of_the_cookie(
    browser: Callable[..., FlaskClient], cookies_only: Callable[..., FlaskClient], personas: Personas
) -> None:
    client = browser(personas.member.email)
    copied = client.get_cookie("session").value
    client.post("/logout")
    assert not _signed_in(cookies_only(session=copied))


def test_it_gives_each_login_its_own_remember_token_and_keeps_only_a_hash(
    browser: Callable[..., FlaskClient], cookies_only: Callable[..., FlaskClient], personas: Personas
) -> None:
    first = browser(personas.member.email, remember=True).get_cookie("remember_token").value
    second = browser(personas.member.email, remember=True).get_cookie("remember_token").value
    assert first != second
    assert str(personas.member.id) != first.split("|", 1)[0]
    token = first.split("|", 1)[0]
    stored = db.session.scalars(select(UserSession.token_hash)).all()
    assert hashlib.sha256(token.encode()).hexdigest() in stored
    assert token not in stored
    # The remember cookie alone signs a browser back in until that login is revoked.
    assert _signed_in(cookies_only(remember_token=first))


def test_it_revokes_the_remember_cookie_with_its_session(
    browser: Callable[..., FlaskClient], cookies_only: Callable[..., FlaskClient], personas: Personas
) -> None:
    client = browser(personas.member.email, remember=True)
    remembered = client.get_cookie("remember_token").value
    client.post("/logout")
    assert not _signed_in(cookies_only(remember_token=remembered))


def test_it_ends_every_other_session_on_a_password_change_and_keeps_this_one(
    browser: Callable[..., FlaskClient], cookies_only: Callable[..., FlaskClient], personas: Personas
) -> None:
    laptop = browser(personas.member.email)
    phone = browser(personas.member.email, IPHONE, remember=True)
    phone_cookie = phone.get_cookie("remember_token").value
    response = laptop.post(
        "/account",
        data={
            "password-current": PASSWORD,
            "password-new": "a new and long passphrase",
            "password-confirm": "a new and long passphrase",
        },
    )
    assert response.status_code == 302
    assert _signed_in(laptop)
    assert not _signed_in(phone)
    assert not _signed_in(cookies_only(remember_token=phone_cookie))


def test_it_lists_the_active_sessions_on_the_account_page(
    browser: Callable[..., FlaskClient], personas: Personas
) -> None:
    browser(personas.member.email, IPHONE)
    laptop = browser(personas.member.email)
    browser(personas.admin.email)  # someone else's session is not listed
    html = laptop.get("/account").get_data(as_text=True)
    assert html.count('<tr id="session-') == 2
    assert "Firefox on Windows" in html
    assert "Safari on iOS" in html
    assert html.count("this browser") == 1
    assert "127.0.0.1" in html
    assert "Sign out everywhere else" in html


def test_it_signs_out_one_other_session(browser: Callable[..., FlaskClient], personas: Personas) -> None:
    phone = browser(personas.member.email, IPHONE)
    laptop = browser(personas.member.email)
    phone_session = db.session.scalars(select(UserSession).where(UserSession.user_agent == IPHONE)).one()
    response = laptop.post(f"/account/sessions/{phone_session.id}/sign-out")
    assert response.status_code == 302
    assert not _signed_in(phone)
    assert _signed_in(laptop)


def test_it_signs_out_this_session_from_its_own_row(
    browser: Callable[..., FlaskClient], personas: Personas
) -> None:
    laptop = browser(personas.member.email)
    mine = db.session.scalars(select(UserSession)).one()
    assert laptop.post(f"/account/sessions/{mine.id}/sign-out").headers["Location"] == "/login"
    assert not _signed_in(laptop)


def test_it_answers_404_for_someone_elses_session(
    browser: Callable[..., FlaskClient], personas: Personas
) -> None:
    victim = browser(personas.admin.email)
    theirs = db.session.scalars(select(UserSession)).one()
    attacker = browser(personas.member.email)
    assert attacker.post(f"/account/sessions/{theirs.id}/sign-out").status_code == 404
    assert _signed_in(victim)


def test_it_signs_out_everywhere_else(browser: Callable[..., FlaskClient], personas: Personas) -> None:
    others = [browser(personas.member.email, IPHONE), browser(personas.member.email, remember=True)]
    laptop = browser(personas.member.email)
    colleague = browser(personas.admin.email)
    response = laptop.post("/account/sessions/sign-out-others", follow_redirects=True)
    assert "Signed out everywhere else (2 sessions)" in response.get_data(as_text=True)
    assert not any(_signed_in(other) for other in others)
    assert _signed_in(laptop)
    assert _signed_in(colleague)


@pytest.mark.parametrize("column", ["last_seen_at", "created_at"])
def test_it_ends_a_session_idle_too_long_or_older_than_its_lifetime(
    app: Flask, browser: Callable[..., FlaskClient], personas: Personas, column: str
) -> None:
    settings = app.config["VIGIL"]
    limit = settings.session_idle_seconds if column == "last_seen_at" else settings.session_lifetime_seconds
    client = browser(personas.member.email, remember=True)
    past = utcnow() - timedelta(seconds=limit + 60)
    db.session.execute(update(UserSession).values(last_seen_at=past, created_at=past))
    db.session.commit()
    assert not _signed_in(client)
    assert db.session.scalars(select(UserSession)).all() == []


def test_it_notes_last_seen_only_every_few_minutes(
    browser: Callable[..., FlaskClient], personas: Personas
) -> None:
    client = browser(personas.member.email)
    a_minute_ago = utcnow() - timedelta(minutes=1)
    an_hour_ago = utcnow() - timedelta(hours=1)
    db.session.execute(update(UserSession).values(last_seen_at=a_minute_ago))
    db.session.commit()
    assert _signed_in(client)
    db.session.expire_all()
    assert db.session.scalars(select(UserSession.last_seen_at)).one() == a_minute_ago
    db.session.execute(update(UserSession).values(last_seen_at=an_hour_ago))
    db.session.commit()
    assert _signed_in(client)
    db.session.expire_all()
    assert db.session.scalars(select(UserSession.last_seen_at)).one() > utcnow() - timedelta(minutes=1)


def test_it_cuts_a_removed_member_off_the_workspace_at_once(
    browser: Callable[..., FlaskClient], personas: Personas
) -> None:
    member = browser(personas.member.email)
    assert member.get("/incidents").status_code == 200
    owner = browser(personas.owner.email)
    target = membership_of(personas.member, personas.workspace)
    assert owner.post(f"/settings/members/{target.id}/remove").status_code == 302
    response = member.get("/incidents")
    assert response.status_code == 302
    assert response.headers["Location"] == "/no-workspace"


def test_it_refuses_to_sign_in_without_a_session_record(
    fresh_client: Callable[[], FlaskClient], personas: Personas
) -> None:
    # The old cookie format named the user id; a cookie naming an id must not be a credential.
    client = fresh_client()
    with client.session_transaction() as cookie_session:
        cookie_session["_user_id"] = str(personas.member.id)
    assert not _signed_in(client)


def test_it_ends_the_login_a_browser_replaces_by_signing_in_again(
    browser: Callable[..., FlaskClient], personas: Personas
) -> None:
    client = browser(personas.member.email)
    again = client.post("/login", data={"email": personas.admin.email, "password": PASSWORD})
    assert again.status_code == 302
    assert [s.user_id for s in db.session.scalars(select(UserSession))] == [personas.admin.id]
