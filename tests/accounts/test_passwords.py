"""Password rules at sign-up and password change, and a login that costs the same for unknown addresses."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.accounts import workspaces
from tests.conftest import AuthActions
from tests.factories import PASSWORD, Personas


@pytest.fixture
def scrypt_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts the password key derivations (Werkzeug hashes with hashlib.scrypt) the code runs."""
    calls: list[int] = []
    real = hashlib.scrypt

    def counting(*args: object, **kwargs: object) -> bytes:
        calls.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(hashlib, "scrypt", counting)
    yield calls


def test_it_runs_the_password_hash_for_an_unknown_address_too(
    auth: AuthActions, personas: Personas, scrypt_calls: list[int]
) -> None:
    auth.login("first-unknown@example.com", "wrong password!")  # makes the stand-in hash, once per process
    scrypt_calls.clear()
    auth.login(personas.member.email, "wrong password!")
    known = len(scrypt_calls)
    scrypt_calls.clear()
    response = auth.login("nobody@example.com", "wrong password!")
    assert response.status_code == 400
    assert known == 1
    assert len(scrypt_calls) == known


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "at least 10 characters"),
        ("new.person@example.com", "email address"),
        ("new.person-rocks!", "email address"),
        ("aaaaaaaaaaaa", "more than two different characters"),
        ("abababababab", "more than two different characters"),
        ("password1234", "most common"),
        ("Password123!", "most common"),
        ("qwertyuiop", "most common"),
        ("2024iloveyou", "most common"),
        ("1234567890", "most common"),
    ],
)
def test_it_refuses_guessable_passwords_at_sign_up(
    app: Flask, client: FlaskClient, password: str, message: str
) -> None:
    response = client.post(
        "/signup",
        data={
            "email": "new.person@example.com",
            "password": password,
            "workspace": "Newco",
            "timezone": "UTC",
        },
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert workspaces.find_user("new.person@example.com") is None


def test_it_refuses_a_guessable_new_password(
    login_as: Callable[[str], FlaskClient], personas: Personas
) -> None:
    client = login_as(personas.member.email)
    response = client.post(
        "/account",
        data={
            "password-current": PASSWORD,
            "password-new": "Password2024",
            "password-confirm": "Password2024",
        },
    )
    assert response.status_code == 400
    assert "most common" in response.get_data(as_text=True)


def test_it_accepts_a_password_nobody_else_picks() -> None:
    workspaces.check_password_strength("plum tractor wednesday", "someone@example.com")
    assert not workspaces.is_common_password("plum tractor wednesday")
