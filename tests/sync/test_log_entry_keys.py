"""A log entry's one foreign key: it belongs to its incident's account and workspace, and goes with them, on
both engines (SQLite enforces foreign keys on every connection of the app's engine)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import IncidentLogEntry, LogEntryType, PagerDutyAccount, Workspace
from tests.analytics.factories import make_incident, make_log_entry, make_world, utc
from tests.factories import make_pd_account

pytestmark = pytest.mark.usefixtures("app")


def _entries() -> int:
    return db.session.scalar(select(func.count(IncidentLogEntry.id))) or 0


def test_an_entry_cannot_name_another_account_than_its_incidents() -> None:
    world = make_world()
    incident = make_incident(world.api, utc(2026, 1, 5))
    other = make_pd_account(world.workspace, subdomain="other")
    db.session.flush()
    entry = make_log_entry(incident, LogEntryType.TRIGGER, utc(2026, 1, 5))
    entry.account_id = other.id
    with pytest.raises(IntegrityError):
        db.session.flush()


@pytest.mark.parametrize("owner", [PagerDutyAccount, Workspace])
def test_entries_go_with_their_account_or_workspace(owner: type[PagerDutyAccount] | type[Workspace]) -> None:
    world = make_world()
    incident = make_incident(world.api, utc(2026, 1, 5))
    make_log_entry(incident, LogEntryType.TRIGGER, utc(2026, 1, 5))
    db.session.commit()
    assert _entries() == 1
    owner_id = world.account.id if owner is PagerDutyAccount else world.workspace.id
    db.session.execute(delete(owner).where(owner.id == owner_id))
    db.session.commit()
    assert _entries() == 0
