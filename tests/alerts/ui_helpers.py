"""Helpers for the Alerts UI and API tests: the personas' workspace (Acme) linked to pdsim."""

from __future__ import annotations

from sqlalchemy import func, select

from app.crypto import encrypt
from app.extensions import db
from app.integrations.pagerduty.credentials import client_for
from app.integrations.pagerduty.directory import refresh_directory
from app.models import AlertRule, PagerDutyAccount, Workspace
from pdsim.testing import RunningSim
from tests.alerts.conftest import TOKEN
from tests.factories import make_pd_account


def link_pdsim(workspace: Workspace, sim: RunningSim) -> PagerDutyAccount:
    """What the `account` fixture does, but in a given workspace (so the personas can use it)."""
    account = make_pd_account(
        workspace,
        subdomain="acme",
        token_user_email=sim.admin_email,
        token_user_role="admin",
        access_token_enc=encrypt(TOKEN),
    )
    db.session.commit()
    refresh_directory(account, client_for(account))
    db.session.commit()
    return account


def rule_count() -> int:
    return db.session.scalar(select(func.count()).select_from(AlertRule)) or 0
