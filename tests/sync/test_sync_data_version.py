"""Sync retires the kept dashboard answers (app/analytics/cache.py) when, and only when, it wrote."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select

from app.analytics.panels import PANELS
from app.extensions import db
from app.integrations.pagerduty.sync import jobs, passes
from app.integrations.pagerduty.sync.jobs import tick_sync
from app.models import PagerDutyAccount, PDService, Role, SyncKind, Workspace
from pdsim.testing import RunningSim
from tests.analytics.factories import clear_of_midnight
from tests.factories import make_user
from tests.sync.conftest import make_context, select_all_services


def _version(account: PagerDutyAccount) -> str:
    db.session.expire_all()
    return db.session.scalars(
        select(Workspace.data_version).where(Workspace.id == account.workspace_id)
    ).one()


def test_a_sync_that_writes_moves_the_data_version_and_an_idle_one_does_not(
    account: PagerDutyAccount, sim: RunningSim
) -> None:
    select_all_services(account, sim)
    linked = _version(account)
    passes.run_backfill(make_context(account, sim))
    backfilled = _version(account)
    assert backfilled != linked

    passes.run_incremental(make_context(account, sim, SyncKind.INCREMENTAL))
    assert _version(account) == backfilled  # nothing new: every kept answer still holds

    service = db.session.scalars(select(PDService).where(PDService.selected.is_(True))).first()
    assert service is not None
    sim.control.trigger_incident(service.remote_id, "Disk full on db-7 (/var at 97%)")
    passes.run_incremental(make_context(account, sim, SyncKind.INCREMENTAL))
    assert _version(account) != backfilled


def test_a_sync_that_wrote_computes_the_dashboards_first_view(
    account: PagerDutyAccount,
    sim: RunningSim,
    run_jobs: Callable[[], int],
    login_as: Callable[[str], FlaskClient],
) -> None:
    clear_of_midnight(account.workspace.timezone)
    select_all_services(account, sim)
    jobs.request_sync(account)
    assert run_jobs() == 2  # the backfill, then the dashboard's first view
    make_user("mo@acme.test", "Mo", account.workspace, Role.MEMBER)
    db.session.commit()
    browser = login_as("mo@acme.test")
    for view in ("/dashboard", "/dashboard?range=7", "/dashboard?range=90"):  # the default, then the presets
        html = browser.get(view).get_data(as_text=True)
        for name in PANELS:
            assert f'id="panel-{name}"' in html
        assert "data-panel-placeholder" not in html  # every panel is in the page: none waits to be computed
    html = browser.get("/dashboard?urgency=high").get_data(as_text=True)
    assert "data-panel-placeholder" in html  # a view nobody asked for yet is computed when it is

    tick_sync()
    assert run_jobs() == 1  # nothing new: the incremental sync alone, the kept view still holds
