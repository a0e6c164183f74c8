"""Near-real-time sync end to end: Vigil creates the subscription in pdsim, pdsim delivers signed events to
Vigil served over HTTP, and the nudged sync brings the new incident in."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.serving import make_server

from app.crypto import decrypt, encrypt
from app.extensions import db
from app.integrations.pagerduty.sync import runner
from app.models import AuditEvent, Incident, PagerDutyAccount, PDService, SyncKind
from app.queue import get_queue
from pdsim.testing import RunningSim
from tests.factories import Personas, make_pd_account
from tests.sync.conftest import TOKEN, make_client, select_all_services


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PORT = _free_port()


@pytest.fixture
def settings_overrides(settings_overrides: dict[str, object]) -> dict[str, object]:
    return {**settings_overrides, "base_url": f"http://127.0.0.1:{PORT}"}


@pytest.fixture
def served(app: Flask) -> Iterator[None]:
    """The test's app on the port VIGIL_BASE_URL names, so pdsim can deliver to it."""
    server = make_server("127.0.0.1", PORT, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="webhook-target", daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def acme_account(personas: Personas, sim: RunningSim) -> PagerDutyAccount:
    account = make_pd_account(
        personas.workspace,
        token_user_email=sim.admin_email,
        token_user_role="admin",
        access_token_enc=encrypt(TOKEN),
    )
    db.session.commit()
    select_all_services(account, sim)
    return account


def release_scheduled() -> None:
    """Make the nudged (delayed) sync due now instead of in a few seconds."""
    queue = get_queue("sync")
    for job_id in queue.scheduled_job_registry.get_job_ids():
        job = queue.fetch_job(job_id)
        assert job is not None
        queue.scheduled_job_registry.remove(job)
        queue.enqueue_job(job)


def enable(client: FlaskClient, account: PagerDutyAccount) -> str:
    response = client.post(f"/integrations/pagerduty/{account.id}/webhook/enable", follow_redirects=True)
    assert "Near-real-time sync is on." in response.get_data(as_text=True)
    db.session.refresh(account)
    assert account.webhook_subscription_id and account.webhook_secret_enc
    return account.webhook_subscription_id


def test_it_syncs_an_incident_triggered_in_pagerduty_within_seconds(
    app: Flask,
    served: None,
    login_as: Callable[[str], FlaskClient],
    personas: Personas,
    acme_account: PagerDutyAccount,
    sim: RunningSim,
    run_jobs: Callable[[], int],
) -> None:
    subscription_id = enable(login_as(personas.admin.email), acme_account)
    (subscription,) = make_client(sim).get("/webhook_subscriptions")["webhook_subscriptions"]
    assert subscription["id"] == subscription_id
    assert (
        subscription["delivery_method"]["url"]
        == f"http://127.0.0.1:{PORT}/webhooks/pagerduty/{acme_account.id}"
    )
    assert subscription["filter"] == {"type": "account_reference"}
    assert "incident.priority_updated" in subscription["events"]
    assert decrypt(acme_account.webhook_secret_enc or "") not in str(
        db.session.scalars(select(AuditEvent.details)).all()
    )
    service = db.session.scalars(select(PDService).where(PDService.selected.is_(True))).first()
    assert service is not None
    created = sim.control.trigger_incident(service.remote_id, "Checkout latency above 2 s")
    deliveries = sim.control.wait_webhooks()
    assert [d["state"] for d in deliveries] == ["delivered"]
    assert deliveries[0]["attempts"][-1]["status"] == 202
    release_scheduled()
    assert run_jobs() == 2  # the sync, then the dashboard's first view it changed
    assert db.session.scalar(select(Incident).where(Incident.remote_id == created["id"])) is not None
    db.session.expire_all()
    assert [r.kind for r in runner.latest_runs(acme_account, 1)] == [SyncKind.WEBHOOK]


def test_it_keeps_verifying_while_pagerduty_rotates_the_secret(
    app: Flask,
    served: None,
    login_as: Callable[[str], FlaskClient],
    personas: Personas,
    acme_account: PagerDutyAccount,
    sim: RunningSim,
) -> None:
    subscription_id = enable(login_as(personas.admin.email), acme_account)
    rotated = sim.control.rotate_webhook_secret(subscription_id)
    assert rotated["secret"] != decrypt(acme_account.webhook_secret_enc or "")
    service = db.session.scalars(select(PDService).where(PDService.selected.is_(True))).first()
    assert service is not None
    sim.control.trigger_incident(service.remote_id, "Disk full on db-1")
    deliveries = sim.control.wait_webhooks()
    assert [d["attempts"][-1]["status"] for d in deliveries] == [202]


def test_it_deletes_the_subscription_when_disabled(
    app: Flask,
    login_as: Callable[[str], FlaskClient],
    personas: Personas,
    acme_account: PagerDutyAccount,
    sim: RunningSim,
) -> None:
    client = login_as(personas.admin.email)
    enable(client, acme_account)
    response = client.post(
        f"/integrations/pagerduty/{acme_account.id}/webhook/disable", follow_redirects=True
    )
    assert "Near-real-time sync is off." in response.get_data(as_text=True)
    assert make_client(sim).get("/webhook_subscriptions")["webhook_subscriptions"] == []
    db.session.refresh(acme_account)
    assert acme_account.webhook_subscription_id is None and acme_account.webhook_secret_enc is None


def test_it_deletes_the_subscription_on_unlink(
    app: Flask,
    login_as: Callable[[str], FlaskClient],
    personas: Personas,
    acme_account: PagerDutyAccount,
    sim: RunningSim,
) -> None:
    client = login_as(personas.admin.email)
    enable(client, acme_account)
    response = client.post(f"/integrations/pagerduty/{acme_account.id}/unlink", data={"synced_data": "keep"})
    assert response.status_code == 302
    assert make_client(sim).get("/webhook_subscriptions")["webhook_subscriptions"] == []
    db.session.refresh(acme_account)
    assert acme_account.webhook_subscription_id is None and acme_account.webhook_secret_enc is None


def test_it_refuses_a_second_subscription(
    app: Flask,
    login_as: Callable[[str], FlaskClient],
    personas: Personas,
    acme_account: PagerDutyAccount,
    sim: RunningSim,
) -> None:
    client = login_as(personas.admin.email)
    enable(client, acme_account)
    response = client.post(f"/integrations/pagerduty/{acme_account.id}/webhook/enable", follow_redirects=True)
    assert "already on" in response.get_data(as_text=True)
    assert len(make_client(sim).get("/webhook_subscriptions")["webhook_subscriptions"]) == 1
