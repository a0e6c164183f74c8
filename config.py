"""Settings, read from the environment once and validated loudly.

Every setting may also come from a file named by `<NAME>_FILE` (Docker/Kubernetes secrets), which wins over
the plain variable. A bad value raises `ConfigError` naming the variable, so a misconfigured deployment stops
at start-up instead of failing later in a request.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import psycopg
from cryptography.fernet import Fernet
from psycopg.adapt import AdaptersMap
from psycopg.types.array import ListBinaryDumper

PROJECT_ROOT = Path(__file__).resolve().parent
DEFAULT_INSTANCE = PROJECT_ROOT / "instance"


class ConfigError(ValueError):
    """A setting is missing or malformed."""


def _read(env: Mapping[str, str], name: str) -> str | None:
    file_name = env.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text().strip()
        except OSError as exc:
            raise ConfigError(f"{name}_FILE={file_name!r} cannot be read: {exc.strerror}") from exc
    value = env.get(name)
    return value.strip() if value is not None and value.strip() != "" else None


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = _read(env, name)
    if raw is None:
        return default
    lowered = raw.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}")


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = _read(env, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from exc
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {value}")
    return value


def _url(env: Mapping[str, str], name: str, default: str) -> str:
    value = _read(env, name) or default
    if not value.startswith(("http://", "https://")):
        raise ConfigError(f"{name} must be an http(s) URL, not {value!r}")
    return value.rstrip("/")


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    """One of `choices` (case-insensitive); the first is the default."""
    value = (_read(env, name) or choices[0]).lower()
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def _database_url(env: Mapping[str, str], instance: Path) -> str:
    url = _read(env, "DATABASE_URL")
    if url is None:
        return f"sqlite:///{instance / 'vigil.db'}"
    # Heroku-style URLs name the driver "postgres"; SQLAlchemy wants an explicit psycopg 3 driver.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://") :]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    if not url.startswith(("postgresql+psycopg://", "sqlite:///")):
        raise ConfigError(
            f"DATABASE_URL must be a postgresql:// or sqlite:/// URL, not {url.split(':')[0]}://…"
        )
    return url


def _instance_secret(instance: Path, name: str) -> str | None:
    """Read a secret the embedded launcher generated into instance/ (never generated here: no I/O writes)."""
    path = instance / name
    try:
        return path.read_text().strip() or None
    except FileNotFoundError:
        return None


@dataclass(frozen=True)
class Settings:
    secret_key: str
    database_url: str
    redis_url: str | None
    encryption_keys: tuple[str, ...]
    instance_path: Path
    base_url: str | None = None
    open_signup: bool = False
    secure_cookies: bool = False
    log_level: str = "INFO"
    default_timezone: str = "UTC"
    login_max_failures: int = 5
    login_window_seconds: int = 900
    # A login ends after this long without a request, and after session_lifetime_seconds in any case.
    session_idle_seconds: int = 7 * 24 * 3600
    session_lifetime_seconds: int = 30 * 24 * 3600
    trusted_proxies: int = 0
    sync_interval_seconds: int = 300
    sync_lock_seconds: int = 300
    alert_interval_seconds: int = 60
    # A page that keeps failing with retryable errors is given up (and shown as failed) after this long.
    deliver_give_up_seconds: int = 3600
    # How long a worker owns a delivery it is sending; one that dies holding it is retried after this.
    deliver_lease_seconds: int = 120
    metric_retention_days: int = 35
    # How long a computed dashboard panel or API answer is kept (a data change retires it sooner); 0 = never.
    analytics_cache_seconds: int = 600
    pagerduty_api_url: str = "https://api.pagerduty.com"
    pagerduty_eu_api_url: str = "https://api.eu.pagerduty.com"
    pagerduty_identity_url: str = "https://identity.pagerduty.com"
    pagerduty_client_id: str | None = None
    pagerduty_client_secret: str | None = None
    # "scoped" (a private Scoped OAuth app: per-resource scopes, PKCE required) or "classic" (read/write).
    pagerduty_oauth_kind: str = "scoped"
    testing: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def migrations_path(self) -> Path:
        return PROJECT_ROOT / "migrations"

    def flask_config(self) -> dict[str, Any]:
        """The subset Flask and its extensions read, plus ours under VIGIL_*."""
        return {
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options(self.database_url),
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.secure_cookies,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SECURE": self.secure_cookies,
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_DURATION": timedelta(seconds=self.session_lifetime_seconds),
            "WTF_CSRF_TIME_LIMIT": None,
            # Nothing Vigil accepts is large (a PagerDuty webhook is at most 256 KB, API-NOTES §6.5); a bigger
            # body gets a 413 before anything reads it into memory.
            "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
            "WTF_CSRF_SSL_STRICT": self.secure_cookies,
            "TESTING": self.testing,
            "VIGIL": self,
            **self.extra,
        }


def engine_options(database_url: str) -> dict[str, Any]:
    options: dict[str, Any] = {"pool_pre_ping": True}
    if database_url.startswith("postgresql"):
        options["connect_args"] = {
            # psycopg prepares a statement after 5 runs and PostgreSQL may then keep a generic plan chosen
            # while a table was still empty: a backfill's lookups by (account, remote id) turned into
            # sequential scans of a growing table. Planning each query with its values avoids that.
            "prepare_threshold": None,
            # JIT compilation costs ~50 ms per dashboard query and never pays off on indexed lookups.
            "options": "-c jit=off",
            "context": _binary_arrays(),
        }
    return options


@cache
def _binary_arrays() -> Any:
    """psycopg adapters that send a list parameter in binary (the sync's arrays of incident ids): psycopg
    formats a list as text in Python element by element, quoting and escaping each, about 4x the cost of
    packing it in binary. PostgreSQL reads either format; the statements cast each array to its type.
    """
    adapters = AdaptersMap(psycopg.adapters)
    adapters.register_dumper(list, ListBinaryDumper)  # the last one registered serves `%s` placeholders
    return adapters


def load_settings(env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    env = os.environ if env is None else env
    instance = Path(_read(env, "VIGIL_INSTANCE_PATH") or DEFAULT_INSTANCE)

    secret_key = _read(env, "SECRET_KEY") or _instance_secret(instance, "secret_key")
    if secret_key is None:
        raise ConfigError(
            "SECRET_KEY is not set. Set SECRET_KEY (or SECRET_KEY_FILE), or start Vigil once with "
            "`make run`, which generates one in instance/."
        )
    if len(secret_key) < 16:
        raise ConfigError("SECRET_KEY must be at least 16 characters long")

    raw_keys = _read(env, "ENCRYPTION_KEYS") or _instance_secret(instance, "encryption_key")
    if raw_keys is None:
        raise ConfigError(
            "ENCRYPTION_KEYS is not set: it encrypts PagerDuty tokens at rest. Generate one with "
            "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`."
        )
    keys = tuple(k.strip() for k in raw_keys.split(",") if k.strip())
    _check_fernet_keys(keys)

    timezone = _read(env, "VIGIL_DEFAULT_TIMEZONE") or "UTC"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"VIGIL_DEFAULT_TIMEZONE {timezone!r} is not an IANA time zone") from exc

    log_level = (_read(env, "LOG_LEVEL") or "INFO").upper()
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {log_level!r}")

    base_url = _read(env, "VIGIL_BASE_URL")
    if base_url is not None:
        base_url = _url(env, "VIGIL_BASE_URL", base_url)

    redis_url = _read(env, "REDIS_URL")
    if redis_url is not None and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("REDIS_URL must be a redis:// or rediss:// URL")

    values: dict[str, Any] = {
        "secret_key": secret_key,
        "database_url": _database_url(env, instance),
        "redis_url": redis_url,
        "encryption_keys": keys,
        "instance_path": instance,
        "base_url": base_url,
        "open_signup": _bool(env, "VIGIL_OPEN_SIGNUP", False),
        "secure_cookies": _bool(
            env, "VIGIL_SECURE_COOKIES", base_url is not None and base_url.startswith("https")
        ),
        "log_level": log_level,
        "default_timezone": timezone,
        "login_max_failures": _int(env, "VIGIL_LOGIN_MAX_FAILURES", 5, minimum=1),
        "login_window_seconds": _int(env, "VIGIL_LOGIN_WINDOW_SECONDS", 900, minimum=1),
        "session_idle_seconds": _int(env, "VIGIL_SESSION_IDLE_SECONDS", 7 * 24 * 3600, minimum=600),
        "session_lifetime_seconds": _int(env, "VIGIL_SESSION_LIFETIME_SECONDS", 30 * 24 * 3600, minimum=600),
        "trusted_proxies": _int(env, "VIGIL_TRUSTED_PROXIES", 0),
        "sync_interval_seconds": _int(env, "VIGIL_SYNC_INTERVAL_SECONDS", 300, minimum=30),
        "sync_lock_seconds": _int(env, "VIGIL_SYNC_LOCK_SECONDS", 300, minimum=5),
        "alert_interval_seconds": _int(env, "VIGIL_ALERT_INTERVAL_SECONDS", 60, minimum=10),
        "deliver_give_up_seconds": _int(env, "VIGIL_DELIVER_GIVE_UP_SECONDS", 3600, minimum=60),
        "deliver_lease_seconds": _int(env, "VIGIL_DELIVER_LEASE_SECONDS", 120, minimum=2),
        "metric_retention_days": _int(env, "VIGIL_METRIC_RETENTION_DAYS", 35, minimum=1),
        "analytics_cache_seconds": _int(env, "VIGIL_ANALYTICS_CACHE_SECONDS", 600),
        "pagerduty_api_url": _url(env, "PAGERDUTY_API_URL", "https://api.pagerduty.com"),
        "pagerduty_eu_api_url": _url(env, "PAGERDUTY_EU_API_URL", "https://api.eu.pagerduty.com"),
        "pagerduty_identity_url": _url(env, "PAGERDUTY_IDENTITY_URL", "https://identity.pagerduty.com"),
        "pagerduty_client_id": _read(env, "PAGERDUTY_CLIENT_ID"),
        "pagerduty_client_secret": _read(env, "PAGERDUTY_CLIENT_SECRET"),
        "pagerduty_oauth_kind": _choice(env, "PAGERDUTY_OAUTH_KIND", ("scoped", "classic")),
    }
    values.update(overrides)
    return Settings(**values)


def _check_fernet_keys(keys: tuple[str, ...]) -> None:
    if not keys:
        raise ConfigError("ENCRYPTION_KEYS is empty")
    for index, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                f"ENCRYPTION_KEYS entry {index} is not a Fernet key (32 url-safe base64-encoded bytes)"
            ) from exc
