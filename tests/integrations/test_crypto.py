"""Tokens at rest: Fernet under the first key, any key decrypts (MultiFernet), rotation re-encrypts."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from app import crypto

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()
SECRET = "u+Very_Secret_Token"


def test_it_round_trips_without_keeping_the_plaintext() -> None:
    sealed = crypto.encrypt(SECRET, (OLD,))

    assert SECRET not in sealed
    assert crypto.decrypt(sealed, (OLD,)) == SECRET
    assert crypto.encrypt(SECRET, (OLD,)) != sealed  # a fresh IV every time


def test_it_decrypts_with_an_older_key_after_a_new_one_is_added() -> None:
    sealed = crypto.encrypt(SECRET, (OLD,))

    assert crypto.decrypt(sealed, (NEW, OLD)) == SECRET


def test_it_reencrypts_under_the_first_key_so_the_old_one_can_go() -> None:
    rotated = crypto.reencrypt(crypto.encrypt(SECRET, (OLD,)), (NEW, OLD))

    assert crypto.decrypt(rotated, (NEW,)) == SECRET


def test_it_fails_without_the_key_and_without_revealing_anything() -> None:
    sealed = crypto.encrypt(SECRET, (OLD,))

    with pytest.raises(crypto.DecryptionError) as caught:
        crypto.decrypt(sealed, (NEW,))

    assert SECRET not in str(caught.value) and sealed not in str(caught.value)


def test_it_uses_the_apps_keys_by_default(app) -> None:
    sealed = crypto.encrypt(SECRET)

    assert crypto.decrypt(sealed, app.config["VIGIL"].encryption_keys) == SECRET


def test_it_reencrypts_every_stored_token_from_the_cli(app, personas) -> None:
    import dataclasses

    from app.extensions import db
    from tests.factories import make_pd_account

    old_keys = app.config["VIGIL"].encryption_keys
    account = make_pd_account(personas.workspace, access_token_enc=crypto.encrypt(SECRET))
    db.session.commit()
    app.config["VIGIL"] = dataclasses.replace(app.config["VIGIL"], encryption_keys=(NEW, *old_keys))

    result = app.test_cli_runner().invoke(args=["pagerduty", "reencrypt"])

    assert result.exit_code == 0, result.output
    assert "Re-encrypted 1 secrets." in result.output
    db.session.refresh(account)
    assert crypto.decrypt(account.access_token_enc, (NEW,)) == SECRET
