"""An independent client: PagerDuty's official Python library (PyPI `pagerduty`) against pdsim."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from typing import Any

import pytest

from pdsim.testing import RunningSim, run_pdsim

pagerduty = pytest.importorskip("pagerduty")


@pytest.fixture(scope="module")
def https_sim(creds: Any) -> Iterator[RunningSim]:
    """The library refuses any base URL that is not https://, so this pdsim serves TLS."""
    with run_pdsim(
        seed=7,
        incidents=300,
        days=90,
        anchor=creds.anchor,
        now=creds.anchor,
        api_tokens=[creds.user_token],
        tls=True,
    ) as s:
        yield s


@pytest.fixture
def fresh(https_sim: RunningSim) -> RunningSim:
    https_sim.control.reset()
    return https_sim


@pytest.fixture
def client(fresh: RunningSim, creds: Any) -> Iterator[Any]:
    trust = ssl.create_default_context(cafile=str(fresh.ca_file))
    pd = pagerduty.RestApiV2Client(
        creds.user_token, default_from=fresh.admin_email, base_url=fresh.base_url, verify=trust
    )
    yield pd
    pd.close()


def test_it_lists_users_services_and_incidents_with_its_own_pagination(
    fresh: RunningSim, client: Any
) -> None:
    users = client.list_all("users")
    assert len(users) == 60 and len({u["id"] for u in users}) == 60
    services = client.list_all("services")
    assert {s["id"] for s in services} == {s["id"] for s in fresh.store.services()}
    incidents = client.list_all("incidents", params={"date_range": "all", "statuses[]": ["resolved"]})
    expected = [i for i in fresh.store.all_incidents() if i["status"] == "resolved"]
    assert len(incidents) == len(expected) and len({i["id"] for i in incidents}) == len(expected)
    assert client.get_total("incidents", params={"date_range": "all"}) == len(fresh.store.all_incidents())


def test_it_reads_the_account_through_the_library_helpers(fresh: RunningSim, client: Any) -> None:
    assert client.subdomain == "acme"
    assert client.api_key_access == "user"
    assert client.account_has_ability("teams")
    assert client.rget("users/me")["email"] == fresh.admin_email


def test_it_creates_and_resolves_an_incident(fresh: RunningSim, client: Any) -> None:
    service = next(s["id"] for s in fresh.store.services() if s["status"] == "active")
    created = client.rpost(
        "incidents",
        json={
            "incident": {
                "type": "incident",
                "title": "Created by the official client",
                "incident_key": "official-1",
                "service": {"id": service, "type": "service_reference"},
            }
        },
    )
    assert created["status"] == "triggered" and created["title"] == "Created by the official client"
    resolved = client.rput(created, json={"incident": {"type": "incident_reference", "status": "resolved"}})
    assert resolved["status"] == "resolved" and resolved["resolved_at"]
    assert fresh.control.created()[-1]["status"] == "resolved"
    with pytest.raises(pagerduty.HttpError) as caught:
        client.rput(created, json={"incident": {"type": "incident_reference", "status": "resolved"}})
    assert caught.value.response.status_code == 400
