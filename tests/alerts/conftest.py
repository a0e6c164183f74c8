"""Alert tests: rules in a workspace linked (by API token) to pdsim, the local PagerDuty, over real HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from app.alerts import evaluate, manage, points
from app.alerts.jobs import enqueue_deliveries
from app.alerts.rules import parse_rule
from app.extensions import db
from app.integrations.pagerduty.credentials import client_for
from app.integrations.pagerduty.directory import refresh_directory
from app.models import AlertRule, PagerDutyAccount, PDService, Workspace
from app.models.types import utcnow
from pdsim.testing import RunningSim
from tests.pdsim_support import ALERTS, PdsimAccount, linked_account
from tests.pdsim_support import ALERTS_TOKEN as TOKEN
from tests.processes import RedisServer


@pytest.fixture
def pdsim_account() -> PdsimAccount:
    return ALERTS


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A Redis server of the test's own, for tests that kill the queue."""
    server = RedisServer(tmp_path).start()
    yield server
    server.kill()


@pytest.fixture
def account(app: Flask, sim: RunningSim) -> PagerDutyAccount:
    account = linked_account(sim, TOKEN, token_user_role="admin")
    refresh_directory(account, client_for(account))
    db.session.commit()
    return account


@pytest.fixture
def workspace(account: PagerDutyAccount) -> Workspace:
    return db.session.get(Workspace, account.workspace_id)  # type: ignore[return-value]


@pytest.fixture
def pd_service(account: PagerDutyAccount) -> PDService:
    """An active service of the seeded account to page."""
    return db.session.scalars(
        db.select(PDService)
        .where(PDService.account_id == account.id, PDService.status == "active")
        .order_by(PDService.name)
    ).first()  # type: ignore[return-value]


def rule_body(pd_service: PDService, **fields: object) -> dict[str, object]:
    """A pushed-metric rule "avg(queue.depth) > 100 over 5 minutes" paging `pd_service`."""
    body: dict[str, object] = {
        "name": "Queue too deep",
        "signal": "pushed",
        "metric": "queue.depth",
        "aggregation": "avg",
        "window_seconds": 300,
        "operator": ">",
        "threshold": 100,
        "severity": "critical",
        "targets": [{"account": pd_service.account_id, "service": pd_service.remote_id}],
    }
    body.update(fields)
    return body


@pytest.fixture
def make_rule(workspace: Workspace, pd_service: PDService) -> Callable[..., AlertRule]:
    def make(**fields: object) -> AlertRule:
        spec = parse_rule(rule_body(pd_service, **fields), manage.choices_for(workspace))
        return manage.create_rule(workspace, spec, None)

    return make


@pytest.fixture
def push(workspace: Workspace) -> Callable[..., None]:
    def push_value(
        value: float, name: str = "queue.depth", at: datetime | None = None, **labels: str
    ) -> None:
        point = points.PointIn(name, float(value), at or utcnow() - timedelta(seconds=5), dict(labels))
        points.store_points(workspace, [point])

    return push_value


@pytest.fixture
def tick(run_jobs: Callable[[], int]) -> Callable[..., evaluate.PassResult]:
    """One evaluation pass, then every delivery it owes sent by a real RQ worker."""

    def run(now: datetime | None = None) -> evaluate.PassResult:
        result = evaluate.evaluate_all(now)
        enqueue_deliveries(result.deliveries)
        run_jobs()
        return result

    return run
