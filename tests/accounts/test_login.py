from flask.testing import FlaskClient

from tests.conftest import AuthActions
from tests.factories import Personas


def test_it_logs_in_and_out(client: FlaskClient, auth: AuthActions, personas: Personas) -> None:
    response = auth.login(personas.member.email)
    assert response.status_code == 302
    assert client.get("/dashboard").status_code == 200
    assert auth.logout().status_code == 302
    assert client.get("/dashboard").status_code == 302


def test_it_refuses_a_wrong_password_without_saying_which_part(auth: AuthActions, personas: Personas) -> None:
    response = auth.login(personas.member.email, "wrong password!")
    assert response.status_code == 400
    assert "do not match an account" in response.get_data(as_text=True)
    unknown = auth.login("nobody@example.com", "wrong password!")
    assert "do not match an account" in unknown.get_data(as_text=True)


def test_it_throttles_an_account_after_five_failures(auth: AuthActions, personas: Personas) -> None:
    for _ in range(5):
        assert auth.login(personas.member.email, "wrong password!").status_code == 400
    # Even the right password waits now: guessing must not be able to tell when it hit.
    response = auth.login(personas.member.email)
    assert response.status_code == 429
    assert "Too many failed attempts" in response.get_data(as_text=True)
    # Other accounts from elsewhere are unaffected.
    assert auth.login(personas.admin.email).status_code == 302


def test_it_throttles_one_address_trying_many_accounts(auth: AuthActions, personas: Personas) -> None:
    for n in range(20):
        auth.login(f"guess{n}@example.com", "wrong password!")
    assert auth.login(personas.admin.email).status_code == 429


def test_it_follows_a_local_next_only(client: FlaskClient, personas: Personas) -> None:
    data = {"email": personas.admin.email, "password": "correct horse battery"}
    response = client.post("/login?next=/settings/members", data=data)
    assert response.headers["Location"] == "/settings/members"
    client.post("/logout")
    response = client.post("/login?next=https://evil.example/x", data=data)
    assert response.headers["Location"] == "/"


def test_it_only_logs_out_on_post(client: FlaskClient, auth: AuthActions, personas: Personas) -> None:
    auth.login(personas.member.email)
    assert client.get("/logout").status_code == 405
    assert client.get("/dashboard").status_code == 200


def test_it_changes_the_password(client: FlaskClient, auth: AuthActions, personas: Personas) -> None:
    auth.login(personas.member.email)
    wrong = client.post(
        "/account",
        data={
            "password-current": "nope nope nope",
            "password-new": "brand new secret",
            "password-confirm": "brand new secret",
        },
    )
    assert wrong.status_code == 400
    assert "current password is not right" in wrong.get_data(as_text=True)
    ok = client.post(
        "/account",
        data={
            "password-current": "correct horse battery",
            "password-new": "brand new secret",
            "password-confirm": "brand new secret",
        },
    )
    assert ok.status_code == 302
    auth.logout()
    assert auth.login(personas.member.email).status_code == 400
    assert auth.login(personas.member.email, "brand new secret").status_code == 302
