import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import responses

from app.integrations.pagerduty.client import PagerDutyClient
from app.integrations.pagerduty.errors import PagerDutyError, is_duplicate_key_error

BASE = "https://api.pagerduty.com"
INCIDENT = {"id": "PT4KHLK", "type": "incident", "status": "triggered", "incident_key": "vigil-rule-7-ep-3"}
DUPLICATE_KEY = {
    "error": {
        "message": "Arguments Caused Error",
        "code": 2002,
        "errors": ["Open incident with matching dedup key already exists on this service"],
    }
}


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


@pytest.fixture
def client() -> PagerDutyClient:
    return PagerDutyClient(
        BASE, "tok", auth_kind="api_token", from_email="oncall@example.com", sleep=lambda _: None
    )


def sent_json(call: Any) -> Any:
    return json.loads(call.request.body)


def test_it_creates_an_incident_with_the_exact_body(
    api: responses.RequestsMock, client: PagerDutyClient
) -> None:
    api.post(f"{BASE}/incidents", json={"incident": INCIDENT}, status=201)

    incident = client.create_incident(
        "PIJ90N7",
        "p95 latency above 800 ms",
        urgency="high",
        body_details="checkout: 912 ms over 5 min",
        incident_key="vigil-rule-7-ep-3",
        escalation_policy_id="PEP1234",
        priority_id="PPRIO1",
    )

    assert incident == INCIDENT
    assert sent_json(api.calls[0]) == {
        "incident": {
            "type": "incident",
            "title": "p95 latency above 800 ms",
            "service": {"id": "PIJ90N7", "type": "service_reference"},
            "urgency": "high",
            "incident_key": "vigil-rule-7-ep-3",
            "body": {"type": "incident_body", "details": "checkout: 912 ms over 5 min"},
            "escalation_policy": {"id": "PEP1234", "type": "escalation_policy_reference"},
            "priority": {"id": "PPRIO1", "type": "priority_reference"},
        }
    }


def test_it_leaves_out_optional_incident_fields(api: responses.RequestsMock, client: PagerDutyClient) -> None:
    api.post(f"{BASE}/incidents", json={"incident": INCIDENT}, status=201)

    client.create_incident("PIJ90N7", "Disk full", urgency="low", body_details=None, incident_key="k-1")

    assert sent_json(api.calls[0]) == {
        "incident": {
            "type": "incident",
            "title": "Disk full",
            "service": {"id": "PIJ90N7", "type": "service_reference"},
            "urgency": "low",
            "incident_key": "k-1",
        }
    }


def test_it_surfaces_a_duplicate_key_and_finds_the_open_incident(
    api: responses.RequestsMock, client: PagerDutyClient
) -> None:
    api.post(f"{BASE}/incidents", json=DUPLICATE_KEY, status=400)
    api.get(f"{BASE}/incidents", json={"incidents": [INCIDENT], "limit": 100, "offset": 0, "more": False})

    with pytest.raises(PagerDutyError) as caught:
        client.create_incident(
            "PIJ90N7", "t", urgency="high", body_details=None, incident_key="vigil-rule-7-ep-3"
        )
    adopted = client.find_open_incident_by_key("PIJ90N7", "vigil-rule-7-ep-3")

    assert is_duplicate_key_error(caught.value)
    assert adopted == INCIDENT
    assert len(api.calls) == 2
    assert unquote(urlsplit(api.calls[1].request.url).query) == (
        "incident_key=vigil-rule-7-ep-3&service_ids[]=PIJ90N7&statuses[]=triggered&statuses[]=acknowledged"
        "&date_range=all&limit=100&offset=0"
    )


def test_it_finds_no_open_incident_for_an_unknown_key(
    api: responses.RequestsMock, client: PagerDutyClient
) -> None:
    api.get(f"{BASE}/incidents", json={"incidents": [], "limit": 100, "offset": 0, "more": False})

    assert client.find_open_incident_by_key("PIJ90N7", "nope") is None


def test_it_resolves_with_the_exact_body(api: responses.RequestsMock, client: PagerDutyClient) -> None:
    resolved = {**INCIDENT, "status": "resolved"}
    api.put(f"{BASE}/incidents/PT4KHLK", json={"incident": resolved})

    assert client.resolve_incident("PT4KHLK", "Recovered: p95 back to 310 ms") == resolved

    assert sent_json(api.calls[0]) == {
        "incident": {
            "type": "incident_reference",
            "status": "resolved",
            "resolution": "Recovered: p95 back to 310 ms",
        }
    }


def test_it_resolves_without_a_resolution_note(api: responses.RequestsMock, client: PagerDutyClient) -> None:
    api.put(f"{BASE}/incidents/PT4KHLK", json={"incident": {**INCIDENT, "status": "resolved"}})

    client.resolve_incident("PT4KHLK", None)

    assert sent_json(api.calls[0]) == {"incident": {"type": "incident_reference", "status": "resolved"}}


def test_it_treats_an_already_resolved_incident_as_done(
    api: responses.RequestsMock, client: PagerDutyClient
) -> None:
    api.put(
        f"{BASE}/incidents/PT4KHLK",
        json={"error": {"message": "Incident Already Resolved", "code": 1001}},
        status=400,
    )

    assert client.resolve_incident("PT4KHLK", "Recovered") is None
    assert len(api.calls) == 1


def test_it_raises_other_resolve_failures(api: responses.RequestsMock, client: PagerDutyClient) -> None:
    api.put(f"{BASE}/incidents/PNOPE", json={"error": {"message": "Not Found", "code": 2100}}, status=404)

    with pytest.raises(PagerDutyError) as caught:
        client.resolve_incident("PNOPE", None)

    assert (caught.value.status, caught.value.code, caught.value.retryable) == (404, 2100, False)


def test_it_gets_an_incident_and_its_log_entries(
    api: responses.RequestsMock, client: PagerDutyClient
) -> None:
    api.get(f"{BASE}/incidents/PT4KHLK", json={"incident": INCIDENT})
    entries = [{"id": "Q02JTSNZWHSEKV", "type": "acknowledge_log_entry"}]
    api.get(
        f"{BASE}/incidents/PT4KHLK/log_entries",
        json={"log_entries": entries, "limit": 100, "offset": 0, "more": False},
    )

    assert client.get_incident("PT4KHLK", include=["priorities"]) == INCIDENT
    assert client.list_incident_log_entries("PT4KHLK") == entries

    assert unquote(urlsplit(api.calls[0].request.url).query) == "include[]=priorities"
    assert unquote(urlsplit(api.calls[1].request.url).query) == "time_zone=UTC&limit=100&offset=0"


def test_it_quotes_ids_into_one_path_segment(api: responses.RequestsMock, client: PagerDutyClient) -> None:
    api.get(f"{BASE}/incidents/a%2Fb%3Fc", json={"incident": INCIDENT})

    client.get_incident("a/b?c")

    assert api.calls[0].request.url == f"{BASE}/incidents/a%2Fb%3Fc"


def test_it_reports_a_success_without_the_wrapped_entity(
    api: responses.RequestsMock, client: PagerDutyClient
) -> None:
    api.get(f"{BASE}/incidents/PT4KHLK", json={"incidents": []})

    with pytest.raises(PagerDutyError, match="'incident'"):
        client.get_incident("PT4KHLK")
