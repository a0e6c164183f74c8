"""A linked PagerDuty account on the personas' workspace (Acme), with two followed services and a team."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from app.extensions import db
from app.models import PagerDutyAccount, PDService, PDTeam
from app.models.types import utcnow
from tests.factories import Personas, make_pd_account, make_service, make_team


@dataclass
class Acme:
    account: PagerDutyAccount
    api: PDService
    web: PDService
    team: PDTeam
    now: datetime

    def ago(self, days: float = 0, hours: float = 0) -> datetime:
        return self.now - timedelta(days=days, hours=hours)


@pytest.fixture
def acme(personas: Personas) -> Acme:
    account = make_pd_account(personas.workspace, subdomain="acme")
    world = Acme(
        account=account,
        api=make_service(account, "api"),
        web=make_service(account, "web"),
        team=make_team(account, "Payments"),
        now=utcnow().replace(microsecond=0),
    )
    db.session.commit()
    return world
