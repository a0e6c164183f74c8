"""Fetching services and teams (`responses` at the client seam): exact requests, idempotent upserts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import responses
from flask import Flask
from sqlalchemy import select

from app import crypto
from app.extensions import db
from app.integrations.pagerduty.credentials import client_for
from app.integrations.pagerduty.directory import refresh_directory
from app.integrations.pagerduty.link import refresh_services
from app.integrations.pagerduty.sync.mapping import map_service, parse_time
from app.models import AccountStatus, PagerDutyAccount, PDService, PDTeam
from tests.factories import Personas, make_pd_account

API = "https://api.test"
TOKEN = "u+Directory_Token"
PLATFORM = {
    "id": "PT1",
    "type": "team",
    "name": "Platform",
    "html_url": "https://acme.pagerduty.com/teams/PT1",
}


def service(
    remote_id: str, name: str, status: str = "active", teams: list[dict[str, Any]] | None = None
) -> dict:
    return {
        "id": remote_id,
        "type": "service",
        "name": name,
        "description": f"{name} service",
        "status": status,
        "html_url": f"https://acme.pagerduty.com/service-directory/{remote_id}",
        "last_incident_timestamp": "2026-10-30T08:15:00-05:00",
        "escalation_policy": {"id": "PEP1", "type": "escalation_policy_reference"},
        "teams": teams if teams is not None else [PLATFORM],
    }


def page(key: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {key: items, "limit": 100, "offset": 0, "more": False, "total": None}


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"pagerduty_api_url": API}


@pytest.fixture
def account(app: Flask, personas: Personas) -> PagerDutyAccount:
    account = make_pd_account(personas.workspace, access_token_enc=crypto.encrypt(TOKEN))
    db.session.commit()
    return account


@pytest.fixture
def api(app: Flask) -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


def rows(model: type) -> list:
    db.session.expire_all()
    return list(db.session.scalars(select(model).order_by(model.remote_id)))


def test_it_lists_services_with_teams_included_in_one_request(api, account: PagerDutyAccount) -> None:
    api.get(f"{API}/services", json=page("services", [service("PS1", "Checkout")]))
    api.get(f"{API}/teams", json=page("teams", [PLATFORM, {"id": "PT2", "name": "Data"}]))

    result = refresh_directory(account, client_for(account))
    db.session.commit()

    request = api.calls[0].request
    assert request.url == f"{API}/services?include%5B%5D=teams&limit=100&offset=0"
    assert request.headers["Authorization"] == f"Token token={TOKEN}"
    assert request.headers["Accept"] == "application/vnd.pagerduty+json;version=2"
    assert (result.services, result.teams, result.added, result.removed) == (1, 2, 1, 0)
    [checkout] = rows(PDService)
    assert (checkout.name, checkout.status, checkout.escalation_policy_remote_id) == (
        "Checkout",
        "active",
        "PEP1",
    )
    assert checkout.last_incident_at == datetime(2026, 10, 30, 13, 15, tzinfo=UTC)
    assert [t.name for t in checkout.teams] == ["Platform"]
    assert [t.name for t in rows(PDTeam)] == ["Platform", "Data"]


def test_it_is_idempotent_and_flags_services_that_disappeared(api, account: PagerDutyAccount) -> None:
    first = [service("PS1", "Checkout"), service("PS2", "Search")]
    api.get(f"{API}/services", json=page("services", first))
    api.get(f"{API}/services", json=page("services", [service("PS1", "Checkout v2", status="maintenance")]))
    api.get(f"{API}/teams", json=page("teams", [PLATFORM]))
    refresh_directory(account, client_for(account))
    db.session.commit()
    search = rows(PDService)[1]
    search.selected = True
    db.session.commit()

    result = refresh_directory(account, client_for(account))
    db.session.commit()

    assert (result.added, result.removed) == (0, 1)
    checkout, gone = rows(PDService)
    assert (checkout.name, checkout.can_trigger) == ("Checkout v2", False)
    assert (gone.remote_id, gone.deleted_remotely, gone.selected) == ("PS2", True, True)
    assert len(rows(PDTeam)) == 1


def test_it_takes_teams_from_services_when_the_account_has_no_teams_ability(api, account) -> None:
    api.get(f"{API}/services", json=page("services", [service("PS1", "Checkout")]))
    api.get(f"{API}/teams", json={"error": {"message": "Missing Account Ability", "code": 2014}}, status=402)

    refresh_directory(account, client_for(account))

    assert [t.name for t in rows(PDTeam)] == ["Platform"]


def test_it_explains_a_token_that_cannot_list_services(api, account: PagerDutyAccount) -> None:
    api.get(f"{API}/services", json={"error": {"message": "Access Denied", "code": 2010}}, status=403)

    result, problem = refresh_services(account)

    assert result is None
    assert problem.startswith("PagerDuty did not let Vigil list services (HTTP 403: Access Denied)")
    db.session.expire_all()
    assert account.status is AccountStatus.NEEDS_ATTENTION


def test_it_accepts_an_account_with_no_services(api, account: PagerDutyAccount) -> None:
    api.get(f"{API}/services", json=page("services", []))
    api.get(f"{API}/teams", json=page("teams", []))

    result, problem = refresh_services(account)

    assert problem is None and result is not None and result.services == 0


def test_it_maps_a_service_and_its_times() -> None:
    values = map_service(
        {"id": "PS9", "summary": "Only a summary", "status": None, "escalation_policy": None}
    ).values

    assert values["name"] == "Only a summary"
    assert values["status"] == "active"
    assert values["escalation_policy_remote_id"] is None
    assert parse_time("2026-01-02T03:04:05Z") == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert parse_time("yesterday") is None and parse_time(None) is None
