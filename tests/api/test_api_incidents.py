"""GET /api/v1/incidents: fields, newest first, pagination with a next link, filters, isolation."""

from __future__ import annotations

import pytest

from app.extensions import db
from tests.analytics.factories import World, make_incident, make_world, utc
from tests.api.conftest import Api, error_of

URL = "/api/v1/incidents"
WEEK = {"start": "2024-03-04", "end": "2024-03-11"}


def test_it_lists_an_incident_with_its_fields(api: Api, world: World) -> None:
    incident = make_incident(
        world.api,
        utc(2024, 3, 4, 10),
        ack_after=120,
        resolve_after=600,
        priority="P1",
        escalation_count=1,
        teams=[world.team],
        title="Checkout 500s",
    )
    incident.html_url = "https://acme.pagerduty.com/incidents/X"
    db.session.commit()
    body = api.get(URL, **WEEK).json
    assert body == {
        "incidents": [
            {
                "id": incident.remote_id,
                "number": incident.number,
                "title": "Checkout 500s",
                "status": "resolved",
                "urgency": "high",
                "priority": "P1",
                "service": {"id": world.api.remote_id, "name": "api"},
                "teams": [{"id": world.team.remote_id, "name": "Payments"}],
                "created_at": "2024-03-04T10:00:00Z",
                "first_ack_at": "2024-03-04T10:02:00Z",
                "resolved_at": "2024-03-04T10:10:00Z",
                "ack_seconds": 120.0,
                "resolve_seconds": 600.0,
                "escalation_count": 1,
                "reopen_count": 0,
                "auto_resolved": False,
                "excluded": False,
                "html_url": "https://acme.pagerduty.com/incidents/X",
            }
        ],
        "page": 1,
        "per_page": 50,
        "total": 1,
        "next": None,
    }


def test_it_pages_newest_first(api: Api, world: World) -> None:
    made = [make_incident(world.api, utc(2024, 3, 4, hour)) for hour in range(5)]
    db.session.commit()
    first = api.get(URL, **WEEK, per_page="2").json
    assert [i["id"] for i in first["incidents"]] == [made[4].remote_id, made[3].remote_id]
    assert (first["total"], first["page"], first["per_page"]) == (5, 1, 2)
    assert "page=2" in first["next"] and "per_page=2" in first["next"] and "start=2024-03-04" in first["next"]
    last = api.client.get(
        first["next"].replace("http://localhost", ""), headers={"Authorization": f"Bearer {api.key}"}
    )
    assert last.status_code == 200
    third = api.get(URL, **WEEK, per_page="2", page="3").json
    assert [i["id"] for i in third["incidents"]] == [made[0].remote_id]
    assert third["next"] is None


def test_it_filters_by_status_and_lists_excluded_incidents(api: Api, world: World) -> None:
    make_incident(world.api, utc(2024, 3, 4, 10), resolve_after=60)
    open_one = make_incident(world.api, utc(2024, 3, 4, 11))
    excluded = make_incident(world.web, utc(2024, 3, 4, 12), excluded=True)
    make_incident(world.legacy, utc(2024, 3, 4, 13))  # unselected service: not in the population
    db.session.commit()
    triggered = api.get(URL, **WEEK, status="triggered").json["incidents"]
    assert [(i["id"], i["excluded"]) for i in triggered] == [
        (excluded.remote_id, True),
        (open_one.remote_id, False),
    ]
    assert api.get(URL, **WEEK, service=world.web.remote_id).json["total"] == 1


def test_it_never_lists_another_workspaces_incidents(api: Api, world: World) -> None:
    other = make_world(name="Umbrella")
    make_incident(other.api, utc(2024, 3, 4, 10))
    db.session.commit()
    assert api.get(URL, **WEEK).json["total"] == 0


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"per_page": "101"}, "per_page", "per_page is at most 100."),
        ({"per_page": "0"}, "per_page", "per_page must be a whole number, 1 or more."),
        ({"page": "-1"}, "page", "page must be a whole number, 1 or more."),
        ({"page": "two"}, "page", "page must be a whole number, 1 or more."),
        ({"page": "\u00b2"}, "page", "page must be a whole number, 1 or more."),
        ({"page": "99999999999999999999"}, "page", "page must be a whole number, 1 or more."),
        ({"page": "100001"}, "page", "page is at most 100000."),
        ({"status": "snoozed"}, "status", "status must be one of: triggered, acknowledged, resolved."),
        ({"service": "PNOPE"}, "service", "Unknown service id: PNOPE."),
        ({"start": "2024-03-04", "end": "2024-03-01"}, "end", "end must be after start (end is exclusive)."),
    ],
)
def test_it_names_the_field_of_a_bad_parameter(
    api: Api, world: World, params: dict[str, str], field: str, message: str
) -> None:
    response = api.get(URL, **params)
    assert response.status_code == 400
    assert error_of(response) == {"status": 400, "message": message, "field": field}
