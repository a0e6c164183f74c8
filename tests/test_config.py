from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from config import ConfigError, load_settings

KEY = Fernet.generate_key().decode()


def env(**extra: str) -> dict[str, str]:
    return {
        "SECRET_KEY": "x" * 32,
        "ENCRYPTION_KEYS": KEY,
        "VIGIL_INSTANCE_PATH": "/nonexistent-vigil",
        **extra,
    }


def test_it_defaults_to_sqlite_in_the_instance_folder() -> None:
    settings = load_settings(env())
    assert settings.database_url == "sqlite:////nonexistent-vigil/vigil.db"
    assert settings.redis_url is None
    assert settings.open_signup is False
    assert settings.pagerduty_api_url == "https://api.pagerduty.com"


def test_it_refuses_to_start_without_a_secret_key() -> None:
    values = env()
    del values["SECRET_KEY"]
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        load_settings(values)


def test_it_reads_secrets_from_name_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-a-file-0123456789\n")
    values = env(SECRET_KEY_FILE=str(secret))
    assert load_settings(values).secret_key == "from-a-file-0123456789"


def test_it_names_an_unreadable_secret_file() -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY_FILE"):
        load_settings(env(SECRET_KEY_FILE="/no/such/file"))


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ENCRYPTION_KEYS", "not-a-key", "not a Fernet key"),
        ("VIGIL_OPEN_SIGNUP", "maybe", "true or false"),
        ("VIGIL_DEFAULT_TIMEZONE", "Mars/Olympus", "IANA"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL"),
        ("DATABASE_URL", "mysql://db/vigil", "postgresql"),
        ("REDIS_URL", "http://redis", "redis://"),
        ("PAGERDUTY_API_URL", "api.pagerduty.com", "http"),
        ("VIGIL_LOGIN_MAX_FAILURES", "0", "at least 1"),
        ("VIGIL_LOGIN_MAX_FAILURES", "five", "whole number"),
    ],
)
def test_it_fails_loudly_on_a_bad_value(name: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(env(**{name: value}))


def test_it_accepts_several_encryption_keys_for_rotation() -> None:
    second = Fernet.generate_key().decode()
    assert load_settings(env(ENCRYPTION_KEYS=f"{KEY}, {second}")).encryption_keys == (KEY, second)


def test_it_normalises_postgres_urls_to_psycopg3() -> None:
    settings = load_settings(env(DATABASE_URL="postgres://u:p@db:5432/vigil"))
    assert settings.database_url == "postgresql+psycopg://u:p@db:5432/vigil"


def test_it_uses_secure_cookies_behind_https() -> None:
    settings = load_settings(env(VIGIL_BASE_URL="https://vigil.example.com"))
    assert settings.flask_config()["SESSION_COOKIE_SECURE"] is True
    assert load_settings(env()).flask_config()["SESSION_COOKIE_SECURE"] is False


def test_it_does_no_io_when_creating_the_app() -> None:
    from app import create_app

    # An unreachable database and queue must not matter until a request needs them.
    settings = load_settings(
        env(DATABASE_URL="postgresql://nobody@127.0.0.1:1/none", REDIS_URL="redis://127.0.0.1:1/0")
    )
    app = create_app(settings)
    assert "accounts" in app.blueprints


def test_it_plans_postgresql_queries_with_their_values_and_without_jit() -> None:
    from config import engine_options

    postgres = engine_options("postgresql+psycopg://u@db/vigil")["connect_args"]
    assert (postgres["prepare_threshold"], postgres["options"]) == (None, "-c jit=off")
    assert "connect_args" not in engine_options("sqlite:////tmp/vigil.db")


def test_it_sends_list_parameters_to_postgresql_in_binary() -> None:
    from psycopg.adapt import PyFormat
    from psycopg.types.array import ListBinaryDumper

    from config import engine_options

    adapters = engine_options("postgresql+psycopg://u@db/vigil")["connect_args"]["context"]
    assert adapters.get_dumper(list, PyFormat.AUTO) is ListBinaryDumper
