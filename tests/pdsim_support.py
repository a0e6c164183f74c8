"""What tests that talk to pdsim (the local PagerDuty) over real HTTP share: settings that point Vigil at it,
a clean simulator per test, and a workspace linked to it by API token."""

from __future__ import annotations

from app.crypto import encrypt
from app.extensions import db
from app.models import PagerDutyAccount
from pdsim.testing import RunningSim
from tests.factories import make_pd_account, make_workspace


def pointing_at(sim: RunningSim, **extra: object) -> dict[str, object]:
    """Settings overrides that send every PagerDuty request of Vigil to `sim` (plus `extra`)."""
    return {
        "pagerduty_api_url": sim.us_url,
        "pagerduty_eu_api_url": sim.eu_url,
        "pagerduty_identity_url": sim.identity_url,
        **extra,
    }


def clean(sim: RunningSim) -> RunningSim:
    """The session's simulator back to its seeded data, with no faults injected."""
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
