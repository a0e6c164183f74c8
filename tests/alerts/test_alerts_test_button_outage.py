"""Alert changes and the test-alert button while the queue (a Redis of the test's own, killed) is down.

The test alert gets a clear 503 and is recorded as failed, so the sweep never sends it later and a second
click pages once, not twice; a change that owes a resolve is kept, and the resolve is sent afterwards."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.alerts import manage, outbox
from app.alerts.jobs import requeue_owed
from app.extensions import db
from app.models import AlertRule, Delivery, DeliveryAction, DeliveryStatus, PagerDutyAccount
from app.models.types import utcnow
from pdsim.testing import RunningSim
from tests.alerts.ui_helpers import link_pdsim
from tests.factories import Personas
from tests.processes import RedisServer

HX = {"HX-Request": "true"}


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, object], own_redis: RedisServer) -> dict[str, object]:
    return {**settings_overrides, "redis_url": own_redis.url}


@pytest.fixture
def account(personas: Personas, sim: RunningSim) -> PagerDutyAccount:
    return link_pdsim(personas.workspace, sim)


@pytest.fixture
def admin(
    login_as: Callable[[str], FlaskClient], personas: Personas, account: PagerDutyAccount
) -> FlaskClient:
    return login_as(personas.admin.email)


def _tests(rule: AlertRule) -> list[Delivery]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Delivery).where(
                Delivery.rule_id == rule.id, Delivery.action == DeliveryAction.TEST_TRIGGER
            )
        )
    )


def test_it_answers_503_and_sends_nothing_later(
    admin: FlaskClient,
    make_rule: Callable[..., AlertRule],
    own_redis: RedisServer,
    sim: RunningSim,
) -> None:
    rule = make_rule()
    own_redis.kill()
    url = f"/alerts/{rule.id}/targets/{rule.targets[0].id}/test"
    response = admin.post(url, headers=HX)
    assert response.status_code == 503
    assert "job queue is unreachable, so nothing was sent to PagerDuty" in response.text
    [failed] = _tests(rule)
    assert failed.status is DeliveryStatus.FAILED

    own_redis.start()
    assert outbox.stale_deliveries(utcnow()) == ([], [])  # the next pass owes nothing for it
    assert admin.post(url, headers=HX).status_code == 202
    assert len(_tests(rule)) == 2
    assert sim.control.created() == []


def test_it_says_so_on_the_page_without_htmx(
    admin: FlaskClient, make_rule: Callable[..., AlertRule], own_redis: RedisServer
) -> None:
    rule = make_rule()
    own_redis.kill()
    response = admin.post(f"/alerts/{rule.id}/targets/{rule.targets[0].id}/test", follow_redirects=True)
    assert "job queue is unreachable, so nothing was sent to PagerDuty" in response.text


def test_it_keeps_a_change_made_while_the_queue_is_down_and_owes_its_resolve(
    make_rule: Callable[..., AlertRule],
    push: Callable[..., None],
    tick: Callable[..., object],
    own_redis: RedisServer,
    sim: RunningSim,
) -> None:
    rule = make_rule()
    push(150)
    tick()
    [incident] = sim.control.created()
    own_redis.kill()
    manage.set_switches(rule, enabled=False)  # a firing rule disabled: its incident must be resolved
    db.session.expire_all()
    assert rule.enabled is False
    own_redis.start()
    waiting, _ = outbox.stale_deliveries(utcnow() + outbox.GRACE)
    assert len(waiting) == 1  # the next evaluation pass enqueues the resolve
    requeue_owed(utcnow() + outbox.GRACE)
    tick()
    assert [i["status"] for i in sim.control.created()] == ["resolved"]
    assert incident["id"] == sim.control.created()[0]["id"]
