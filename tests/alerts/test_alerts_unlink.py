"""Unlinking an account a firing rule pages through: its PagerDuty incident is resolved (through the delivery
queue, before the token goes), and the rule says the account is gone and offers to re-target."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.alerts.rules import RuleInvalid
from app.alerts.unlink import RESOLVE_NOTE
from app.extensions import db
from app.integrations.pagerduty.credentials import UNLINKING
from app.models import (
    AccountStatus,
    AlertRule,
    AlertState,
    Delivery,
    DeliveryAction,
    DeliveryStatus,
    PagerDutyAccount,
    Role,
    Workspace,
)
from app.queue import get_queue
from pdsim.testing import RunningSim
from tests.alerts.conftest import TOKEN
from tests.factories import make_user
from tests.integrations.helpers import text_of


@pytest.fixture
def admin(workspace: Workspace, login_as: Callable[[str], FlaskClient]) -> FlaskClient:
    make_user("root@acme.test", "Ada Admin", workspace, Role.ADMIN)
    db.session.commit()
    return login_as("root@acme.test")


@pytest.fixture
def firing(make_rule: Callable[..., AlertRule], push, tick) -> AlertRule:
    rule = make_rule()
    push(150)
    tick()
    db.session.expire_all()
    assert rule.state is AlertState.FIRING
    return rule


def deliveries(rule: AlertRule, action: DeliveryAction) -> list[Delivery]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(Delivery)
            .where(Delivery.rule_id == rule.id, Delivery.action == action)
            .order_by(Delivery.id)
        )
    )


def unlink(admin: FlaskClient, account_id: int, choice: str) -> str:
    response = admin.post(f"/integrations/pagerduty/{account_id}/unlink", data={"synced_data": choice})
    assert response.status_code == 302
    return text_of(admin.get("/integrations").get_data(as_text=True))


def test_it_names_the_firing_rules_before_the_admin_confirms(
    account: PagerDutyAccount, firing: AlertRule, admin: FlaskClient
) -> None:
    html = admin.get(f"/integrations/pagerduty/{account.id}/unlink").get_data(as_text=True)

    page = text_of(html)
    assert "Firing now through this account: Queue too deep" in page
    assert f'<a href="/alerts/{firing.id}">Queue too deep</a>' in html
    assert "Vigil first resolves the PagerDuty incidents these rules opened" in page


@pytest.mark.parametrize("choice", ["keep", "delete"])
def test_it_resolves_the_incident_of_a_firing_rule_before_deleting_the_token(
    choice: str,
    sim: RunningSim,
    account: PagerDutyAccount,
    firing: AlertRule,
    admin: FlaskClient,
    run_jobs: Callable[[], int],
) -> None:
    [incident] = sim.control.created()
    assert incident["status"] == "triggered"
    account_id = account.id

    page = unlink(admin, account_id, choice)

    # Nothing is sent from the request: the resolve is queued, and the token is still there to send it.
    assert (
        "Unlinking acme (US): first Vigil resolves the PagerDuty incidents that firing rules opened" in page
    )
    assert "“Queue too deep”" in page
    db.session.expire_all()
    assert account.access_token_enc is not None and account.unlink_requested_at is not None
    assert [c["status"] for c in sim.control.created()] == ["triggered"]

    run_jobs()

    [resolve] = deliveries(firing, DeliveryAction.RESOLVE)
    assert (resolve.status, resolve.pd_incident_id) == (DeliveryStatus.SENT, incident["id"])
    assert resolve.details == RESOLVE_NOTE
    assert [c["status"] for c in sim.control.created()] == ["resolved"]
    db.session.expire_all()
    gone = db.session.get(PagerDutyAccount, account_id)
    if choice == "keep":
        assert gone is not None and gone.status is AccountStatus.UNLINKED and gone.access_token_enc is None
    else:
        assert gone is None
    # The rule owes nothing more: a later pass neither pages the gone account again nor resolves twice.
    firing = db.session.get(AlertRule, firing.id)  # type: ignore[assignment]
    [target] = firing.targets
    assert target.account_label == "acme (US)"
    assert (target.account_id is None) == (choice == "delete")
    assert len(deliveries(firing, DeliveryAction.TRIGGER)) == 1


@pytest.mark.parametrize("choice", ["keep", "delete"])
def test_it_shows_the_rule_pages_the_gone_account_no_more_and_offers_to_retarget(
    choice: str,
    account: PagerDutyAccount,
    firing: AlertRule,
    admin: FlaskClient,
    run_jobs: Callable[[], int],
) -> None:
    rule_id = firing.id
    unlink(admin, account.id, choice)
    run_jobs()
    db.session.expire_all()  # the worker wrote through its own session

    show = admin.get(f"/alerts/{rule_id}")
    listing = admin.get("/alerts")
    edit = admin.get(f"/alerts/{rule_id}/edit")

    assert (show.status_code, listing.status_code, edit.status_code) == (200, 200, 200)
    page = text_of(show.get_data(as_text=True))
    state = "was unlinked and its synced data deleted" if choice == "delete" else "is unlinked"
    assert f"acme (US) {state}: this rule pages" in page
    assert "The incident Vigil had opened there was resolved before the token was deleted." in page
    assert f'href="/alerts/{firing.id}/edit">Edit the rule to page another service' in show.get_data(
        as_text=True
    )
    listed = text_of(listing.get_data(as_text=True))
    assert ("account deleted acme (US)" if choice == "delete" else "account unlinked acme (US)") in listed
    assert f'href="/alerts/{rule_id}/edit">re-target' in listing.get_data(as_text=True)


def test_it_says_when_pagerduty_refused_the_resolve_and_still_unlinks(
    sim: RunningSim,
    account: PagerDutyAccount,
    firing: AlertRule,
    admin: FlaskClient,
    run_jobs: Callable[[], int],
) -> None:
    sim.control.revoke_token(TOKEN)  # revoked in PagerDuty before the admin unlinks in Vigil

    unlink(admin, account.id, "keep")
    run_jobs()
    db.session.expire_all()

    [resolve] = deliveries(firing, DeliveryAction.RESOLVE)
    assert (resolve.status, resolve.http_status) == (DeliveryStatus.FAILED, 401)
    db.session.expire_all()
    assert account.status is AccountStatus.UNLINKED and account.access_token_enc is None
    page = text_of(admin.get(f"/alerts/{firing.id}").get_data(as_text=True))
    assert "Vigil could not resolve the incident it had opened there (" in page
    assert "resolve it in PagerDuty." in page


def test_it_pages_nothing_new_through_an_account_being_unlinked(
    account: PagerDutyAccount, firing: AlertRule, make_rule, admin: FlaskClient
) -> None:
    unlink(admin, account.id, "keep")  # no worker has run yet: the resolve is still queued
    assert get_queue("deliver").count >= 1

    with pytest.raises(RuleInvalid) as refused:
        make_rule(name="Second rule")

    assert refused.value.errors == {"targets[0].account": UNLINKING}
    page = text_of(admin.get("/integrations").get_data(as_text=True))
    assert "Unlinking" in page and "Being unlinked: Vigil is resolving the PagerDuty incidents" in page
