"""What tests that talk to pdsim (the local PagerDuty) over real HTTP share: the seeded accounts they run
against, settings that point Vigil at one, a clean simulator per test, and a workspace linked to it by API
token.

A package or module says which account its tests use by overriding the `pdsim_account` fixture (see
tests/conftest.py); the suite starts each account once and resets it for every test that asks for `sim`.
"""

from __future__ import annotations

import dataclasses
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from app.crypto import encrypt
from app.extensions import db
from app.models import PagerDutyAccount
from pdsim.testing import RunningSim, run_pdsim
from tests.factories import make_pd_account, make_workspace

ANCHOR = "2026-11-01T00:00:00Z"
USER_TOKEN = "u+Vigil_User_Token1"
SECOND_TOKEN = "u+Vigil_User_Token2"
ACCOUNT_TOKEN = "Acct_Level_Token_1"
SCOPED_CLIENT = ("vigil-scoped", "scoped-secret")
CLASSIC_CLIENT = ("vigil-classic", "classic-secret", "classic")
SYNC_TOKEN = "sync-test-token"
ALERTS_TOKEN = "alerts-test-token"


@dataclass(frozen=True)
class PdsimAccount:
    """A seeded pdsim account (the options of `run_pdsim`) and the settings Vigil runs with against it."""

    seed: int
    incidents: int
    days: int
    tokens: tuple[str, ...]
    options: tuple[tuple[str, Any], ...] = ()
    settings: tuple[tuple[str, Any], ...] = field(default=(), compare=False)

    @classmethod
    def of(
        cls, seed: int, incidents: int, days: int, tokens: list[str], settings: dict[str, Any], **options: Any
    ) -> PdsimAccount:
        """`seed`, `incidents`, `days`, `tokens` and `options` as `run_pdsim` takes them."""
        return cls(seed, incidents, days, tuple(tokens), _frozen(options), tuple(settings.items()))

    def with_options(self, **options: Any) -> PdsimAccount:
        """The same account served with other `run_pdsim` options (so by a simulator of its own)."""
        return dataclasses.replace(self, options=_frozen({**dict(self.options), **options}))


def _frozen(options: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """`options` as a key that tells one simulator from another (lists become tuples)."""
    return tuple((name, tuple(v) if isinstance(v, list) else v) for name, v in options.items())


# The sync tests page through a few hundred incidents over four months.
SYNC = PdsimAccount.of(11, 400, 120, [SYNC_TOKEN], {"sync_lock_seconds": 5}, rate_limit=100_000)
# The alert tests need services to page and a little history for the incident signals.
ALERTS = PdsimAccount.of(7, 30, 30, [ALERTS_TOKEN], {"base_url": "https://vigil.example"}, rate_limit=100_000)
# Linking tests: a small account with a user token, an account token and both kinds of OAuth client.
LINKABLE = PdsimAccount.of(
    7,
    10,
    30,
    [USER_TOKEN, SECOND_TOKEN],
    {
        "pagerduty_client_id": SCOPED_CLIENT[0],
        "pagerduty_client_secret": SCOPED_CLIENT[1],
        "pagerduty_oauth_kind": "scoped",
    },
    anchor=ANCHOR,
    account_tokens=[ACCOUNT_TOKEN],
    oauth_clients=[SCOPED_CLIENT, CLASSIC_CLIENT],
)


class PdsimServers:
    """The simulators of a test session: one per account, started the first time a test needs it."""

    def __init__(self, stack: ExitStack) -> None:
        self._stack = stack
        self._running: dict[PdsimAccount, RunningSim] = {}

    def __call__(self, account: PdsimAccount) -> RunningSim:
        if account not in self._running:
            self._running[account] = self._stack.enter_context(
                run_pdsim(
                    seed=account.seed,
                    incidents=account.incidents,
                    days=account.days,
                    api_tokens=account.tokens,
                    **dict(account.options),
                )
            )
        return self._running[account]


def pointing_at(sim: RunningSim, **extra: object) -> dict[str, object]:
    """Settings overrides that send every PagerDuty request of Vigil to `sim` (plus `extra`)."""
    return {
        "pagerduty_api_url": sim.us_url,
        "pagerduty_eu_api_url": sim.eu_url,
        "pagerduty_identity_url": sim.identity_url,
        **extra,
    }


def clean(sim: RunningSim) -> RunningSim:
    """The simulator back to its seeded data, with no faults injected."""
    sim.control.reset()
    sim.control.clear_faults()
    return sim


def linked_account(sim: RunningSim, token: str, **fields: object) -> PagerDutyAccount:
    """Workspace "Acme" linked to `sim` with an API token of its admin; committed."""
    account = make_pd_account(
        make_workspace("Acme"),
        subdomain="acme",
        token_user_email=sim.admin_email,
        access_token_enc=encrypt(token),
        **fields,
    )
    db.session.commit()
    return account
