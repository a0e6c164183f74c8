"""POST /api/v1/deployments: create, idempotent retries, service by id or name, and a 400 per bad field."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Deployment
from tests.analytics.factories import World, make_world
from tests.api.conftest import Api, error_of
from tests.factories import make_service

URL = "/api/v1/deployments"


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Deployment)) or 0


def test_it_records_a_deployment(api: Api, world: World) -> None:
    body = {
        "service": world.api.remote_id,
        "at": "2024-03-04T12:00:00+02:00",
        "summary": "v1.2.3",
        "url": "https://ci.example.com/builds/42",
        "id": "build-42",
    }
    response = api.post(URL, body)
    assert response.status_code == 201
    deployment = db.session.scalars(select(Deployment)).one()
    assert response.json == {
        "id": deployment.id,
        "external_id": "build-42",
        "source": "api",
        "service": {"id": world.api.remote_id, "name": "api"},
        "at": "2024-03-04T10:00:00Z",
        "summary": "v1.2.3",
        "url": "https://ci.example.com/builds/42",
    }
    assert deployment.workspace_id == world.workspace.id
    assert deployment.account_id == world.account.id


def test_it_answers_200_with_the_first_deployment_when_the_id_comes_again(api: Api, world: World) -> None:
    body = {"service": world.api.remote_id, "at": "2024-03-04T10:00:00Z", "id": 42}
    first = api.post(URL, body)
    again = api.post(URL, {**body, "summary": "changed"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json == first.json
    assert _count() == 1


def test_it_derives_an_idempotency_key_without_an_id(api: Api, world: World) -> None:
    body = {"service": world.api.remote_id, "at": "2024-03-04T10:00:00Z", "summary": "v2"}
    assert api.post(URL, body).status_code == 201
    # The same instant written with another offset is the same deployment.
    assert api.post(URL, {**body, "at": "2024-03-04T11:00:00+01:00"}).status_code == 200
    assert api.post(URL, {**body, "summary": "v3"}).status_code == 201
    assert _count() == 2


def test_it_finds_the_service_by_name_ignoring_case(api: Api, world: World) -> None:
    response = api.post(URL, {"service": "WEB", "at": "2024-03-04T10:00:00Z"})
    assert response.status_code == 201
    assert response.json["service"] == {"id": world.web.remote_id, "name": "web"}


def test_it_refuses_a_name_shared_by_two_services(api: Api, world: World) -> None:
    make_service(world.account, "Web")
    db.session.commit()
    response = api.post(URL, {"service": "web", "at": "2024-03-04T10:00:00Z"})
    assert response.status_code == 400
    assert error_of(response) == {
        "status": 400,
        "message": "Several services are named 'web': send the PagerDuty service id.",
        "field": "service",
    }


def test_it_cannot_record_on_another_workspaces_service(api: Api, world: World) -> None:
    other = make_world(name="Umbrella")
    db.session.commit()
    response = api.post(URL, {"service": other.api.remote_id, "at": "2024-03-04T10:00:00Z"})
    assert response.status_code == 400
    assert error_of(response)["field"] == "service"
    assert _count() == 0


GOOD: dict[str, Any] = {"service": "api", "at": "2024-03-04T10:00:00Z"}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"service": None}, "service", "service is required: a PagerDuty service id or name."),
        ({"service": 7}, "service", "service must be text."),
        ({"service": "PNOPE"}, "service", "No service with id or name 'PNOPE' in this workspace."),
        ({"at": None}, "at", "at is required: an ISO-8601 date and time, e.g. 2024-05-01T12:00:00Z."),
        ({"at": "yesterday"}, "at", "at must be an ISO-8601 date and time, e.g. 2024-05-01T12:00:00Z."),
        ({"at": 1709546400}, "at", "at must be text."),
        (
            {"at": "2024-03-04T10:00:00"},
            "at",
            "at needs a time zone: end it with Z or an offset such as +02:00.",
        ),
        ({"service": "api\x00"}, "service", "service must not contain a NUL character."),
        (
            {"at": "0001-01-01T00:00:00+01:00"},
            "at",
            "at is out of range. Dates must be between 1970 and 2999.",
        ),
        ({"summary": ["x"]}, "summary", "summary must be text."),
        ({"summary": "v1\x00"}, "summary", "summary must not contain a NUL character."),
        ({"url": "http://[::1"}, "url", "url must be an http(s) URL."),
        ({"summary": "x" * 1025}, "summary", "summary is at most 1024 characters."),
        ({"url": "ftp://example.com/x"}, "url", "url must be an http(s) URL."),
        ({"url": "https://"}, "url", "url must be an http(s) URL."),
        ({"url": 5}, "url", "url must be text."),
        ({"id": ""}, "id", "id must be 1 to 100 characters."),
        ({"id": "x" * 101}, "id", "id must be 1 to 100 characters."),
        ({"id": {"a": 1}}, "id", "id must be text or a whole number."),
        ({"id": True}, "id", "id must be text or a whole number."),
        ({"id": "a\x00b"}, "id", "id must not contain a NUL character."),
    ],
)
def test_it_names_the_field_of_a_bad_body(
    api: Api, world: World, change: dict[str, Any], field: str, message: str
) -> None:
    response = api.post(URL, {**GOOD, **change})
    assert response.status_code == 400
    assert error_of(response) == {"status": 400, "message": message, "field": field}
    assert _count() == 0


@pytest.mark.parametrize("body", [None, [], "text", 3])
def test_it_refuses_a_body_that_is_not_an_object(api: Api, world: World, body: Any) -> None:
    response = api.post(URL, body)
    assert response.status_code == 400
    assert error_of(response)["message"].startswith("The body must be a JSON object")


def test_it_refuses_a_body_that_is_not_json(api: Api, world: World) -> None:
    response = api.client.post(URL, data="service=api", headers={"Authorization": f"Bearer {api.key}"})
    assert response.status_code == 400
    assert error_of(response)["status"] == 400
