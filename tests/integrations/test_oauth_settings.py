"""PAGERDUTY_OAUTH_KIND is validated like every other setting, and decides whether OAuth is offered."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from app.integrations.pagerduty.oauth import is_configured
from config import ConfigError, load_settings

BASE = {"SECRET_KEY": "x" * 20, "ENCRYPTION_KEYS": Fernet.generate_key().decode()}


@pytest.mark.parametrize(("raw", "kind"), [(None, "scoped"), ("classic", "classic"), ("Scoped", "scoped")])
def test_it_reads_the_oauth_kind(raw: str | None, kind: str) -> None:
    env = {**BASE, **({"PAGERDUTY_OAUTH_KIND": raw} if raw else {})}

    assert load_settings(env).pagerduty_oauth_kind == kind


def test_it_refuses_an_unknown_oauth_kind() -> None:
    with pytest.raises(ConfigError, match="PAGERDUTY_OAUTH_KIND must be one of scoped, classic"):
        load_settings({**BASE, "PAGERDUTY_OAUTH_KIND": "public"})


@pytest.mark.parametrize(
    ("extra", "configured"),
    [
        ({}, False),
        ({"PAGERDUTY_CLIENT_ID": "cid"}, False),  # a scoped app is always a confidential client
        ({"PAGERDUTY_CLIENT_ID": "cid", "PAGERDUTY_CLIENT_SECRET": "s"}, True),
        ({"PAGERDUTY_CLIENT_ID": "cid", "PAGERDUTY_OAUTH_KIND": "classic"}, True),  # public classic client
    ],
)
def test_it_offers_oauth_only_when_the_client_is_complete(extra: dict[str, str], configured: bool) -> None:
    assert is_configured(load_settings({**BASE, **extra})) is configured
