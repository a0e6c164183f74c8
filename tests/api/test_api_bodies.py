"""Every JSON body goes through one reader: too deep, huge or non-finite numbers, lone surrogates, wrong types
and unknown fields are a 400 in the API's error shape, naming the field where there is one; nothing is
saved."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from app.extensions import db
from app.models import AlertRule, Deployment, MetricPoint
from tests.analytics.factories import World
from tests.api.conftest import Api, error_of

DEPLOYMENTS = "/api/v1/deployments"
POINTS = "/api/v1/metrics/points"
RULES = "/api/v1/alert-rules"
ENDPOINTS = [("POST", DEPLOYMENTS), ("POST", POINTS), ("POST", RULES), ("PUT", RULES), ("PATCH", RULES)]


def rule(**changes: Any) -> dict[str, Any]:
    body = {
        "name": "Queue too deep",
        "signal": "pushed",
        "metric": "queue.depth",
        "operator": ">",
        "threshold": 100,
        "window_seconds": 300,
        "enabled": False,
    }
    return {**body, **changes}


def send(api: Api, method: str, path: str, raw: bytes | str) -> TestResponse:
    return api.client.open(
        path,
        method=method,
        data=raw,
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.key}"},
    )


def saved() -> tuple[int, int, int]:
    def count(model: Any) -> int:
        return db.session.scalar(select(func.count()).select_from(model)) or 0

    return count(Deployment), count(MetricPoint), count(AlertRule)


@pytest.fixture
def endpoint(request: pytest.FixtureRequest, api: Api) -> tuple[str, str]:
    method, path = request.param
    if method != "POST":
        created = api.post(RULES, rule())
        assert created.status_code == 201, created.json
        path = f"{RULES}/{created.json['id']}"
    return method, path


@pytest.mark.parametrize("endpoint", ENDPOINTS, indirect=True)
@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("[" * 100_000, "The body is nested more than 32 levels deep."),
        ('{"a":' * 50_000 + "1" + "}" * 50_000, "The body is nested more than 32 levels deep."),
        ("9" * 5000, "Numbers must be between -1,000,000,000,000,000 and 1,000,000,000,000,000."),
        ('{"threshold": 1' + "0" * 300 + "}", "Numbers must be between"),
        ('{"threshold": 1e999}', "Numbers must be between"),
        ('{"threshold": NaN}', "NaN is not a JSON number."),
        ('{"name": "\\ud800"}', "A text value holds an unpaired surrogate character"),
        ('{"\\udfff": 1}', "A field name holds an unpaired surrogate character."),
        (b'{"name": "\xff"}', "The body must be JSON in UTF-8."),
        ("[1, 2]", "The body must be a JSON object (Content-Type: application/json)."),
        ('"text"', "The body must be a JSON object (Content-Type: application/json)."),
        ("{not json", "The body is not valid JSON"),
    ],
)
def test_it_refuses_a_body_it_cannot_read_safely(
    api: Api, endpoint: tuple[str, str], raw: str | bytes, message: str
) -> None:
    before = saved()
    response = send(api, *endpoint, raw)
    assert response.status_code == 400
    error = error_of(response)
    assert error["status"] == 400
    assert error["message"].startswith(message), error
    assert saved() == before


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (rule(threshold="5"), "threshold", "threshold must be a number."),
        (rule(threshold="--5"), "threshold", "threshold must be a number."),
        (rule(threshold="²"), "threshold", "threshold must be a number."),
        (rule(threshold="9" * 5000), "threshold", "threshold must be a number."),
        (rule(window_seconds="300"), "window_seconds", "window_seconds must be a whole number."),
        (rule(window_seconds=300.5), "window_seconds", "window_seconds must be a whole number."),
        (rule(enabled="false"), "enabled", "enabled must be true or false."),
        (rule(name=5), "name", "name must be text."),
        (rule(name="a\x00b"), "name", "name must not contain a NUL character."),
        (rule(thresold=5), "thresold", "Unknown field thresold: the body takes name, description, signal,"),
        (rule(filters={"service": ["P1"]}), "filters.service", "Unknown field filters.service"),
        (
            rule(targets=[{"account": 1, "service": "P1", "urgent": "high"}]),
            "targets[0].urgent",
            "Unknown field targets[0].urgent: targets[0] takes account, service, urgency, escalation_policy.",
        ),
        (
            rule(targets=[{"account": "1", "service": "P1"}]),
            "targets[0].account",
            "targets[0].account must be",
        ),
        (rule(labels={"env": 3}), "labels.env", "labels.env must be text."),
        (rule(threshold=-1e15 - 1), "threshold", "Numbers must be between"),
    ],
)
def test_it_refuses_a_rule_field_of_the_wrong_type_naming_it(
    api: Api, body: dict[str, Any], field: str, message: str
) -> None:
    response = api.post(RULES, body)
    assert response.status_code == 400, response.json
    error = error_of(response)
    if "field" in error:  # the first field at fault in `error`, all of them in `errors`
        problems = response.json.get("errors") or {error["field"]: error["message"]}
        assert problems[field].startswith(message), problems
    else:  # refused by the reader, before any field is looked at
        assert error["message"].startswith(message)
    assert saved() == (0, 0, 0)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"threshold": "5"}, "threshold", "threshold must be a number."),
        ({"nmae": "x"}, "nmae", "Unknown field nmae"),
        ({"title_template": "{nope} {value"}, "title_template", "title_template has an unknown placeholder"),
    ],
)
def test_it_refuses_a_patch_of_the_wrong_type_and_changes_nothing(
    api: Api, changes: dict[str, Any], field: str, message: str
) -> None:
    created = api.post(RULES, rule()).json
    response = api.client.patch(
        f"{RULES}/{created['id']}", json=changes, headers={"Authorization": f"Bearer {api.key}"}
    )
    assert response.status_code == 400
    assert error_of(response)["field"] == field
    assert error_of(response)["message"].startswith(message)
    assert api.get(f"{RULES}/{created['id']}").json == created


def test_it_takes_back_a_rule_it_answered(api: Api) -> None:
    """Read-only fields (id, state, …) are part of the rule's shape: a GET sent back as a PUT is accepted."""
    created = api.post(RULES, rule()).json
    response = api.client.put(
        f"{RULES}/{created['id']}",
        json={**created, "threshold": 250},
        headers={"Authorization": f"Bearer {api.key}"},
    )
    assert response.status_code == 200, response.json
    assert response.json["threshold"] == 250


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"points": [{"name": "q", "value": "5"}]}, "points[0].value", "points[0].value must be a number."),
        ({"points": [{"name": "q", "value": 1, "lables": {}}]}, "points[0].lables", "Unknown field"),
        ({"points": [], "extra": 1}, "extra", "Unknown field extra: the body takes points."),
        ({"points": [{"name": "q\ud800", "value": 1}]}, "points[0].name", "points[0].name must not contain"),
    ],
)
def test_it_refuses_points_of_the_wrong_type_naming_the_field(
    api: Api, body: dict[str, Any], field: str, message: str
) -> None:
    # json.dumps keeps a lone surrogate as the \ud800 escape a sender would write.
    response = send(api, "POST", POINTS, json.dumps(body))
    assert response.status_code == 400
    if "\ud800" in json.dumps(body, ensure_ascii=False):
        assert error_of(response)["message"].startswith("A text value holds an unpaired surrogate")
    else:
        assert error_of(response)["field"] == field
        assert error_of(response)["message"].startswith(message)
    assert saved() == (0, 0, 0)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"at": "2099-01-01T00:00:00Z"}, "at", "at is more than 5 minutes in the future"),
        ({"at": "1969-12-31T23:00:00Z"}, "at", "at is out of range. Dates must be between 1970 and 2999."),
        ({"at": "9999-12-31T23:59:59-05:00"}, "at", "at is out of range."),
        ({"when": "2024-01-01T00:00:00Z"}, "when", "Unknown field when: the body takes service, at, "),
        ({"id": 10**16}, None, "Numbers must be between"),
    ],
)
def test_it_refuses_a_deployment_out_of_bounds(
    api: Api, world: World, change: dict[str, Any], field: str | None, message: str
) -> None:
    body = {"service": world.api.remote_id, "at": "2024-03-04T10:00:00Z", **change}
    response = api.post(DEPLOYMENTS, body)
    assert response.status_code == 400
    assert error_of(response).get("field") == field
    assert error_of(response)["message"].startswith(message)
    assert saved() == (0, 0, 0)
