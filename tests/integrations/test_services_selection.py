"""Choosing the services Vigil follows: HTMX toggles, filter, select all/none, read-only for members."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import AccountStatus, AuditEvent, PagerDutyAccount, PDService
from tests.factories import Personas, make_pd_account, make_service, make_team
from tests.integrations.helpers import text_of

HX = {"HX-Request": "true"}


@pytest.fixture
def account(personas: Personas) -> PagerDutyAccount:
    account = make_pd_account(personas.workspace)
    platform, data = make_team(account, "Platform"), make_team(account, "Data")
    make_service(account, "Checkout API", selected=False, remote_id="PCHK", teams=[platform])
    make_service(account, "Search", selected=False, remote_id="PSRC", teams=[data], status="maintenance")
    make_service(account, "Billing", selected=True, remote_id="PBIL", teams=[platform], status="disabled")
    make_service(
        account,
        "Ledger",
        selected=False,
        remote_id="PLED",
        last_incident_at=datetime(2026, 10, 1, 9, 30, tzinfo=UTC),
    )
    db.session.commit()
    return account


def by_name(name: str) -> PDService:
    db.session.expire_all()
    return db.session.scalars(select(PDService).where(PDService.name == name)).one()


def url(account: PagerDutyAccount, tail: str = "") -> str:
    return f"/integrations/pagerduty/{account.id}{tail}"


def test_it_lists_services_with_teams_flags_and_last_incident(admin: FlaskClient, account) -> None:
    page = text_of(admin.get(url(account)).get_data(as_text=True))

    assert "1 of 4 services followed" in page
    assert "Checkout API Platform active" in page
    assert "Search Data maintenance In maintenance: triggers no incidents" in page
    assert "Billing Platform disabled Disabled: triggers no incidents" in page
    assert "Ledger — active 2026-10-01 09:30" in page


def test_it_saves_a_toggle_at_once_and_returns_the_row(admin: FlaskClient, account) -> None:
    service = by_name("Checkout API")
    service.backfilled_at = datetime(2026, 1, 1, tzinfo=UTC)
    db.session.commit()

    response = admin.post(url(account, f"/services/{service.id}"), data={"selected": "1"}, headers=HX)

    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith(f'<tr id="service-{service.id}"')
    assert "Saved" in body and "checked" in body
    service = by_name("Checkout API")
    assert service.selected is True and service.selected_at is not None and service.backfilled_at is None
    event = db.session.scalars(select(AuditEvent)).one()
    assert (event.action, event.details["services"]) == ("pagerduty.services_selected", ["Checkout API"])


def test_it_deselects_when_the_box_is_unticked(admin: FlaskClient, account) -> None:
    billing = by_name("Billing")

    response = admin.post(url(account, f"/services/{billing.id}"), data={}, headers=HX)

    assert response.status_code == 200
    assert by_name("Billing").selected is False


def test_it_filters_by_service_or_team_name(admin: FlaskClient, account) -> None:
    response = admin.get(url(account), query_string={"q": "platf"}, headers=HX)

    body = text_of(response.get_data(as_text=True))
    assert response.get_data(as_text=True).lstrip().startswith('<div id="services">')
    assert "2 match “platf”" in body
    assert "Checkout API" in body and "Billing" in body and "Search" not in body


def test_it_selects_all_and_none_of_the_filtered_services(admin: FlaskClient, account) -> None:
    response = admin.post(
        url(account, "/services/selection"), data={"selected": "1", "q": "platform"}, headers=HX
    )

    assert "Saved: selected the services shown (1 changed)." in text_of(response.get_data(as_text=True))
    assert [by_name(n).selected for n in ("Checkout API", "Billing", "Search", "Ledger")] == [
        True,
        True,
        False,
        False,
    ]

    admin.post(url(account, "/services/selection"), data={"selected": "0", "q": ""}, headers=HX)

    assert not any(by_name(n).selected for n in ("Checkout API", "Billing", "Search", "Ledger"))


def test_it_refuses_a_selection_without_a_choice(admin: FlaskClient, account) -> None:
    response = admin.post(url(account, "/services/selection"), data={"selected": "maybe"}, headers=HX)

    assert response.status_code == 400
    assert "Choose select or deselect." in response.get_data(as_text=True)


def test_it_shows_members_the_services_read_only(login_as, personas: Personas, account) -> None:
    member = login_as(personas.member.email)

    body = member.get(url(account)).get_data(as_text=True)

    assert "disabled" in body and "Select all" not in body and "Unlink" not in body
    assert "Only owners and admins change which services Vigil follows." in body
    checkout = by_name("Checkout API")
    assert member.post(url(account, f"/services/{checkout.id}"), data={"selected": "1"}).status_code == 403
    assert by_name("Checkout API").selected is False


def test_it_explains_an_account_without_services(admin: FlaskClient, personas: Personas) -> None:
    empty = make_pd_account(personas.workspace, subdomain="empty", token_user_email="bot@empty.test")
    db.session.commit()

    page = text_of(admin.get(url(empty)).get_data(as_text=True))

    assert "PagerDuty returned no services for this account." in page
    assert "create one in PagerDuty → Services → Service Directory" in page
    assert "bot@empty.test cannot see any" in page


def test_it_keeps_an_unlinked_accounts_selection_read_only(admin: FlaskClient, account) -> None:
    account.status = AccountStatus.UNLINKED
    db.session.commit()
    checkout = by_name("Checkout API")

    response = admin.post(url(account, f"/services/{checkout.id}"), data={"selected": "1"}, headers=HX)

    assert response.status_code == 409
    assert by_name("Checkout API").selected is False


def test_it_answers_404_for_another_workspaces_account_or_service(
    login_as, personas: Personas, account
) -> None:
    outsider = login_as(personas.outsider.email)
    service = by_name("Checkout API")

    assert outsider.get(url(account)).status_code == 404
    assert outsider.post(url(account, f"/services/{service.id}"), data={"selected": "1"}).status_code == 404
    assert outsider.post(url(account, "/services/selection"), data={"selected": "1"}).status_code == 404
    assert outsider.get(url(account, "/unlink")).status_code == 404
    assert outsider.post(url(account, "/unlink"), data={"synced_data": "delete"}).status_code == 404
    assert by_name("Checkout API").selected is False


def test_it_answers_404_for_a_service_of_another_account(
    admin: FlaskClient, personas: Personas, account
) -> None:
    other = make_pd_account(personas.workspace, subdomain="other")
    foreign = make_service(other, "Foreign", selected=False)
    db.session.commit()

    assert admin.post(url(account, f"/services/{foreign.id}"), data={"selected": "1"}).status_code == 404


def test_it_falls_back_to_a_redirect_without_htmx(admin: FlaskClient, account) -> None:
    checkout = by_name("Checkout API")

    response = admin.post(url(account, f"/services/{checkout.id}"), data={"selected": "1"})

    assert response.status_code == 302
    assert "Saved: Checkout API is followed." in text_of(admin.get(url(account)).get_data(as_text=True))


def test_a_changed_selection_asks_the_sync_widget_to_look_again(
    login_as, personas: Personas, account: PagerDutyAccount
) -> None:
    response = login_as(personas.admin.email).post(
        f"/integrations/pagerduty/{account.id}/services/selection",
        data={"selected": "1", "q": ""},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "sync-requested"
