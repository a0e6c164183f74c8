"""GET /api/v1/metrics: the exact JSON for a small hand-built week, nulls for an empty one, filters, 400s."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.accounts import api_keys as keys
from app.analytics.windows import local_date
from app.extensions import db
from app.models.types import utcnow
from app.security import NUL_IN_ADDRESS
from tests.analytics.factories import (
    World,
    make_deployment,
    make_incident,
    make_notification,
    make_priority,
    make_responder,
    make_world,
    utc,
)
from tests.api.conftest import Api, error_of

WEEK = {"start": "2024-03-04", "end": "2024-03-11"}


def _week(world: World) -> None:
    a = make_incident(world.api, utc(2024, 3, 4, 10), ack_after=120, resolve_after=600, escalation_count=1)
    make_incident(world.api, utc(2024, 3, 5, 10), ack_after=300, teams=[world.team])  # open
    make_incident(world.web, utc(2024, 3, 6, 10), resolve_after=1200, urgency="low", auto_resolved=True)
    # Not counted: at the (exclusive) end, excluded, on an unselected service.
    make_incident(world.api, utc(2024, 3, 11), ack_after=1, resolve_after=1)
    make_incident(world.api, utc(2024, 3, 5, 11), ack_after=1, resolve_after=1, excluded=True)
    make_incident(world.legacy, utc(2024, 3, 5, 12), ack_after=1, resolve_after=1)
    make_deployment(world.api, utc(2024, 3, 4, 9))  # A follows within 24 h: failed
    make_deployment(world.web, utc(2024, 3, 8, 9))
    responder = make_responder(world, "Rae")
    make_notification(a, responder, utc(2024, 3, 4, 10, 1))  # Monday 10:01: business
    make_notification(a, responder, utc(2024, 3, 5, 23, 0))  # 23:00: sleep
    db.session.commit()


def test_it_answers_the_summary_of_the_window(api: Api, world: World) -> None:
    _week(world)
    response = api.get("/api/v1/metrics", **WEEK)
    assert response.status_code == 200
    assert response.json == {
        "window": {"start": "2024-03-04", "end": "2024-03-11", "timezone": "UTC"},
        "incident_count": 3,
        "unresolved_count": 1,
        "mtta_seconds": {"mean": 210.0, "p50": 210.0, "p90": pytest.approx(282.0), "count": 2},
        "mttr_seconds": {"mean": 900.0, "p50": 900.0, "p90": pytest.approx(1140.0), "count": 2},
        "deployment_count": 2,
        "failed_deployment_count": 1,
        "change_failure_rate": 0.5,
        "escalation_rate": pytest.approx(1 / 3),
        "interruptions": {"business": 1, "off_hours": 0, "sleep": 1},
        # The api deployment at 09:00 failed with A, resolved at 10:10: recovered in 4200 s.
        "failed_deployment_recovery_seconds": {"mean": 4200.0, "p50": 4200.0, "p90": 4200.0, "count": 1},
        "unrecovered_deployment_count": 0,
        "auto_resolve_rate": 0.5,  # the web incident, of the 2 resolved
        "dora": {"change_failure_rate": "low", "recovery_time": "high"},  # 50 % and 1 h 10 m
        "excluded_count": 1,  # the excluded api incident; the unselected service's is not in the population
    }


def test_it_answers_nulls_for_an_empty_window(api: Api, world: World) -> None:
    response = api.get("/api/v1/metrics", start="2023-01-01", end="2023-02-01")
    body = response.json
    assert body["incident_count"] == 0
    assert body["mtta_seconds"] == {"mean": None, "p50": None, "p90": None, "count": 0}
    assert body["mttr_seconds"] == {"mean": None, "p50": None, "p90": None, "count": 0}
    assert body["change_failure_rate"] is None
    assert body["escalation_rate"] is None
    assert body["deployment_count"] == 0
    assert body["failed_deployment_recovery_seconds"] == {"mean": None, "p50": None, "p90": None, "count": 0}
    assert body["auto_resolve_rate"] is None
    assert body["dora"] == {"change_failure_rate": None, "recovery_time": None}
    assert body["excluded_count"] == 0


def test_it_defaults_to_the_last_30_days_in_the_workspace_zone(client: FlaskClient, app: Flask) -> None:
    world = make_world("Pacific/Auckland")
    _, raw = keys.create_key(world.workspace, "ci")
    db.session.commit()
    body = Api(client, raw).get("/api/v1/metrics").json
    tomorrow = local_date(utcnow(), ZoneInfo("Pacific/Auckland")) + timedelta(days=1)
    assert body["window"] == {
        "start": (tomorrow - timedelta(days=30)).isoformat(),
        "end": tomorrow.isoformat(),
        "timezone": "Pacific/Auckland",
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"service": "web"}, 1),
        ({"service": "api,web"}, 3),
        ({"team": "team"}, 1),
        ({"urgency": "low"}, 1),
        ({"urgency": "high", "service": "web"}, 0),
    ],
)
def test_it_filters_by_pagerduty_ids_and_urgency(
    api: Api, world: World, params: dict[str, str], expected: int
) -> None:
    _week(world)
    remote = {"api": world.api.remote_id, "web": world.web.remote_id, "team": world.team.remote_id}
    mapped = {k: ",".join(remote.get(v, v) for v in value.split(",")) for k, value in params.items()}
    assert api.get("/api/v1/metrics", **WEEK, **mapped).json["incident_count"] == expected


def test_it_accepts_repeated_service_parameters(api: Api, world: World) -> None:
    _week(world)
    response = api.client.get(
        f"/api/v1/metrics?start=2024-03-04&end=2024-03-11&service={world.api.remote_id}"
        f"&service={world.web.remote_id}",
        headers={"Authorization": f"Bearer {api.key}"},
    )
    assert response.json["incident_count"] == 3


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"start": "March 1st"}, "start", "start must be a date as YYYY-MM-DD."),
        ({"start": "2024-03-01", "end": "2024-02-30"}, "end", "end must be a date as YYYY-MM-DD."),
        ({"start": "0001-01-01", "end": "2024-01-02"}, "start", "start must be between 1970 and 2999."),
        ({"start": "2024-03-10", "end": "2024-03-10"}, "end", "end must be after start (end is exclusive)."),
        ({"start": "2020-01-01", "end": "2024-01-01"}, "end", "The window is at most 731 days long."),
        ({"service": "PNOPE"}, "service", "Unknown service id: PNOPE."),
        ({"team": "PNOPE"}, "team", "Unknown team id: PNOPE."),
        ({"service": "P\x00"}, "service", NUL_IN_ADDRESS.format(name="“service”")),
        ({"urgency": "urgent"}, "urgency", "urgency must be one of: high, low."),
        ({"priority": "P1,SEV9"}, "priority", "Unknown priority: SEV9."),
    ],
)
def test_it_names_the_field_of_a_bad_parameter(
    api: Api, world: World, params: dict[str, str], field: str, message: str
) -> None:
    make_priority(world, "P1")
    db.session.commit()
    response = api.get("/api/v1/metrics", **params)
    assert response.status_code == 400
    assert error_of(response) == {"status": 400, "message": message, "field": field}


def test_it_treats_another_workspaces_service_as_unknown(api: Api, world: World) -> None:
    other = make_world(name="Umbrella")
    make_incident(other.api, utc(2024, 3, 4, 10))
    db.session.commit()
    response = api.get("/api/v1/metrics", **WEEK, service=other.api.remote_id)
    assert response.status_code == 400
    assert error_of(response)["field"] == "service"
    assert api.get("/api/v1/metrics", **WEEK).json["incident_count"] == 0


def test_it_filters_by_priority_names_and_none(api: Api, world: World) -> None:
    make_priority(world, "P1", rank=0)
    make_priority(world, "P2", rank=1)
    make_incident(world.api, utc(2024, 3, 4, 10), priority="P1")
    make_incident(world.api, utc(2024, 3, 5, 10), priority="P2")
    make_incident(world.web, utc(2024, 3, 6, 10), priority="P2", resolve_after=60)
    make_incident(world.web, utc(2024, 3, 7, 10))  # no priority
    db.session.commit()

    def count(**params: str) -> int:
        response = api.get("/api/v1/metrics", **WEEK, **params)
        assert response.status_code == 200, response.json
        return int(response.json["incident_count"])

    assert count() == 4
    assert count(priority="P2") == 2
    assert count(priority="P1,none") == 2
    assert count(priority="none") == 1
    assert count(priority="P2", service=world.web.remote_id) == 1
    incidents = api.get("/api/v1/incidents", **WEEK, priority="P1").json["incidents"]
    assert [incident["priority"] for incident in incidents] == ["P1"]


def test_it_treats_another_workspaces_priority_as_unknown(api: Api, world: World) -> None:
    other = make_world(name="Umbrella")
    make_priority(other, "SEV1")
    make_incident(other.api, utc(2024, 3, 4, 10), priority="SEV1")
    db.session.commit()
    response = api.get("/api/v1/metrics", **WEEK, priority="SEV1")
    assert response.status_code == 400
    assert error_of(response) == {"status": 400, "message": "Unknown priority: SEV1.", "field": "priority"}
