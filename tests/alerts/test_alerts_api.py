"""/api/v1/alert-rules: CRUD with an API key, the same validation as the form, and workspace scoping."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from app.accounts import api_keys as keys
from app.extensions import db
from app.models import AlertRule, AlertState, AuditEvent, PDService, Role, Workspace
from pdsim.testing import RunningSim
from tests.alerts.conftest import rule_body
from tests.alerts.ui_helpers import rule_count
from tests.factories import make_user, make_workspace

URL = "/api/v1/alert-rules"


class Api:
    def __init__(self, client: FlaskClient, key: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {key}"}

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> TestResponse:
        if body is not None:
            kwargs["json"] = body
        return self.client.open(path, method=method, headers=self.headers, **kwargs)


def key_for(workspace: Workspace) -> str:
    _, raw = keys.create_key(workspace, "alerts")
    db.session.commit()
    return raw


@pytest.fixture
def api(client: FlaskClient, workspace: Workspace) -> Api:
    return Api(client, key_for(workspace))


def test_it_creates_lists_and_reads_a_rule(api: Api, pd_service: PDService) -> None:
    assert api.call("GET", URL).json == {"alert_rules": []}
    created = api.call("POST", URL, rule_body(pd_service, labels={"env": "prod"}, for_seconds=60))
    assert created.status_code == 201, created.json
    body = created.json
    rule = db.session.scalars(select(AlertRule)).one()
    assert body["id"] == rule.id
    assert {k: body[k] for k in ("name", "signal", "metric", "aggregation", "labels", "window_seconds")} == {
        "name": "Queue too deep",
        "signal": "pushed",
        "metric": "queue.depth",
        "aggregation": "avg",
        "labels": {"env": "prod"},
        "window_seconds": 300,
    }
    assert (body["operator"], body["threshold"], body["for_seconds"], body["severity"]) == (
        ">",
        100.0,
        60,
        "critical",
    )
    assert (body["state"], body["enabled"], body["muted"], body["notify_on_resolve"]) == (
        "ok",
        True,
        False,
        True,
    )
    [target] = body["targets"]
    assert (target["account"], target["service"], target["service_name"], target["urgency"]) == (
        pd_service.account_id,
        pd_service.remote_id,
        pd_service.name,
        None,
    )
    assert api.call("GET", URL).json == {"alert_rules": [body]}
    assert api.call("GET", f"{URL}/{rule.id}").json == body


def test_it_takes_pagerduty_ids_in_incident_filters(api: Api, pd_service: PDService) -> None:
    body = rule_body(
        pd_service, signal="incident", metric="open_incidents", filters={"services": [pd_service.remote_id]}
    )
    created = api.call("POST", URL, body)
    assert created.status_code == 201
    assert created.json["filters"] == {"services": [pd_service.remote_id], "teams": [], "urgencies": []}
    assert db.session.scalars(select(AlertRule)).one().filters == {"services": [pd_service.id]}


def test_it_answers_400_naming_every_field_at_fault_and_saves_nothing(
    api: Api, pd_service: PDService
) -> None:
    response = api.call("POST", URL, rule_body(pd_service, name="", threshold="lots", operator="~"))
    assert response.status_code == 400
    assert response.json["error"] == {"status": 400, "message": "name is required.", "field": "name"}
    assert response.json["errors"] == {
        "name": "name is required.",
        "operator": "operator must be one of: >, >=, <, <=, ==, !=.",
        "threshold": "threshold must be a number.",
    }
    assert rule_count() == 0


def test_it_refuses_a_target_pagerduty_cannot_page(api: Api, pd_service: PDService, sim: RunningSim) -> None:
    sim.control.set_service_status(pd_service.remote_id, "disabled")
    response = api.call("POST", URL, rule_body(pd_service))
    assert response.status_code == 400
    assert response.json["error"]["field"] == "targets[0].service"
    assert "is disabled in PagerDuty: it would create no incident." in response.json["error"]["message"]
    assert rule_count() == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("{not json", "The body is not valid JSON"),
        ("", "The body is not valid JSON"),
        ("[1, 2]", "The body must be a JSON object (Content-Type: application/json)."),
    ],
)
def test_it_answers_400_to_a_body_that_is_not_a_json_object(api: Api, data: str, message: str) -> None:
    response = api.call("POST", URL, data=data, content_type="application/json")
    assert response.status_code == 400
    assert response.json["error"]["message"].startswith(message)


def test_put_replaces_the_rule(api: Api, make_rule, pd_service: PDService) -> None:
    rule = make_rule(muted=True, labels={"env": "prod"})
    response = api.call("PUT", f"{URL}/{rule.id}", rule_body(pd_service, threshold=250, window_seconds=600))
    assert response.status_code == 200
    assert (response.json["threshold"], response.json["window_seconds"]) == (250.0, 600)
    # What PUT leaves out goes back to its default.
    assert (response.json["muted"], response.json["labels"]) == (False, {})
    db.session.expire_all()
    assert (rule.threshold, rule.muted) == (250.0, False)


def test_patch_changes_only_what_it_sends(api: Api, make_rule, pd_service: PDService) -> None:
    rule = make_rule(
        signal="incident", metric="mtta", filters={"services": [pd_service.remote_id]}, muted=True
    )
    before = api.call("GET", f"{URL}/{rule.id}").json
    response = api.call("PATCH", f"{URL}/{rule.id}", {"threshold": 42, "filters": {"urgencies": ["high"]}})
    assert response.status_code == 200, response.json
    after = response.json
    assert after["threshold"] == 42.0
    assert after["filters"] == {"services": [pd_service.remote_id], "teams": [], "urgencies": ["high"]}
    unchanged = {k for k in before if k not in ("threshold", "filters")}
    assert {k: after[k] for k in unchanged} == {k: before[k] for k in unchanged}


def test_patch_with_an_error_changes_nothing(api: Api, make_rule) -> None:
    rule = make_rule()
    response = api.call("PATCH", f"{URL}/{rule.id}", {"threshold": 5, "window_seconds": 5})
    assert response.status_code == 400
    assert response.json["error"]["field"] == "window_seconds"
    db.session.expire_all()
    assert (rule.threshold, rule.window_seconds) == (100.0, 300)


def test_delete_resolves_a_firing_rules_incident(
    api: Api, make_rule, push, tick, run_jobs, sim: RunningSim
) -> None:
    rule = make_rule()
    push(150)
    tick()
    db.session.expire_all()
    assert rule.state is AlertState.FIRING
    response = api.call("DELETE", f"{URL}/{rule.id}")
    assert response.status_code == 204 and response.data == b""
    run_jobs()
    [incident] = sim.control.created()
    assert incident["status"] == "resolved"
    assert api.call("GET", f"{URL}/{rule.id}").status_code == 404
    assert api.call("GET", URL).json == {"alert_rules": []}


def test_another_workspaces_rule_does_not_exist_for_this_key(client: FlaskClient, make_rule) -> None:
    rule = make_rule()
    other = Api(client, key_for(make_workspace("Globex")))
    for method, body in (("GET", None), ("PUT", {}), ("PATCH", {"threshold": 1}), ("DELETE", None)):
        response = other.call(method, f"{URL}/{rule.id}", body)
        assert response.status_code == 404, method
        assert response.json["error"]["status"] == 404
    assert other.call("GET", URL).json == {"alert_rules": []}
    db.session.expire_all()
    assert (rule.threshold, rule.deleted_at) == (100.0, None)


def test_the_audit_log_names_the_api_key_that_acted(
    api: Api, pd_service: PDService, workspace: Workspace
) -> None:
    assert api.call("POST", URL, rule_body(pd_service)).status_code == 201
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "alert_rule.created")).one()
    assert event.actor_id is None and event.details["api_key"].startswith("alerts (vgl_")
    owner = make_user("owner@audit.test", "Olive", workspace, Role.OWNER)
    db.session.commit()
    page = api.client.post(
        "/login", data={"email": owner.email, "password": "correct horse battery"}, follow_redirects=True
    )
    assert page.status_code == 200
    log = api.client.get("/settings/audit").text
    assert "API key <bdi" in log and "alerts (vgl_" in log and "system" not in log
