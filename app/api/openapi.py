"""The OpenAPI 3.1 document of /api/v1 and the webhook receiver, served at /api/v1/openapi.json without a key.

Written by hand from the views; tests check real answers against it and fuzz every operation it lists.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify
from werkzeug.wrappers import Response

from app.accounts.context import public
from app.api import bp
from app.api.schemas import INCIDENT_STATUS, PER_PAGE, SCHEMAS, Schema, ref

VERSION = "1.0.0"
ERROR_STATUSES = {
    "400": "A bad parameter or body: `field` names the one at fault, `errors` lists several.",
    "401": "No API key, or one that is unknown or revoked.",
    "404": "No such endpoint or row in the key's workspace (any id above 2147483647 included).",
    "405": "The endpoint does not take this method.",
    "413": "The body is larger than 2 MB.",
}


def _json(schema: Schema, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: str) -> dict[str, Any]:
    return {status: {"$ref": f"#/components/responses/Error{status}"} for status in statuses}


def _query(name: str, description: str, schema: Schema | None = None, *, many: bool = False) -> Schema:
    base = schema or {"type": "string"}
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "array", "items": base} if many else base,
        **({"style": "form", "explode": True} if many else {}),
    }


def _body(schema_name: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": ref(schema_name)}}}


FILTERS = [
    _query(
        "start", "First local date (YYYY-MM-DD), included. Default: 30 days before end.", {"format": "date"}
    ),
    _query("end", "Local date (YYYY-MM-DD) after the window. Default: tomorrow.", {"format": "date"}),
    _query("service", "PagerDuty service id; repeat or comma-separate for several.", many=True),
    _query("team", "PagerDuty team id; repeat or comma-separate for several.", many=True),
    _query("urgency", "high or low.", {"type": "string", "enum": ["high", "low"]}, many=True),
    _query("priority", "Priority name as PagerDuty names it (P1), or none.", many=True),
]
ROW_ID = {"type": "integer", "minimum": 1, "maximum": 2147483647}
RULE_ID = {"name": "rule_id", "in": "path", "required": True, "schema": ROW_ID}
ACCOUNT_ID = {**RULE_ID, "name": "account_id", "description": "The linked PagerDuty account's id in Vigil."}
RULE_SAVED = {"200": _json(ref("AlertRule"), "The rule as saved."), **_errors("400", "401", "404", "413")}

PATHS: dict[str, Any] = {
    "/api/v1/openapi.json": {
        "get": {
            "operationId": "getOpenApi",
            "summary": "This document.",
            "security": [],
            "responses": {"200": _json({"type": "object"}, "The OpenAPI document.")},
        }
    },
    "/api/v1/metrics": {
        "get": {
            "operationId": "getMetrics",
            "summary": "The headline metrics of one window (docs/metrics.md defines each).",
            "parameters": FILTERS,
            "responses": {"200": _json(ref("Metrics"), "The metrics."), **_errors("400", "401")},
        }
    },
    "/api/v1/incidents": {
        "get": {
            "operationId": "listIncidents",
            "summary": "The window's incidents, newest first, excluded ones included and marked.",
            "parameters": [
                *FILTERS,
                _query("status", "triggered, acknowledged or resolved.", INCIDENT_STATUS, many=True),
                _query("page", "Page number, from 1.", {"type": "integer", "minimum": 1, "maximum": 100000}),
                _query("per_page", "Incidents a page, 1 to 100.", PER_PAGE),
            ],
            "responses": {"200": _json(ref("IncidentPage"), "A page of incidents."), **_errors("400", "401")},
        }
    },
    "/api/v1/deployments": {
        "post": {
            "operationId": "createDeployment",
            "summary": "Record a deployment; a retry with the same id records nothing new.",
            "requestBody": _body("DeploymentIn"),
            "responses": {
                "201": _json(ref("Deployment"), "Recorded."),
                "200": _json(ref("Deployment"), "Already recorded under this id: the first record."),
                **_errors("400", "401", "413"),
            },
        }
    },
    "/api/v1/metrics/points": {
        "post": {
            "operationId": "pushMetricPoints",
            "summary": "Store up to 1,000 metric points for alert rules; all or nothing.",
            "requestBody": _body("PointsIn"),
            "responses": {"202": _json(ref("PointsAccepted"), "Stored."), **_errors("400", "401", "413")},
        }
    },
    "/api/v1/alert-rules": {
        "get": {
            "operationId": "listAlertRules",
            "summary": "The workspace's alert rules.",
            "responses": {"200": _json(ref("AlertRuleList"), "The rules."), **_errors("401")},
        },
        "post": {
            "operationId": "createAlertRule",
            "summary": "Create an alert rule.",
            "requestBody": _body("AlertRule"),
            "responses": {"201": _json(ref("AlertRule"), "Created."), **_errors("400", "401", "413")},
        },
    },
    "/api/v1/alert-rules/{rule_id}": {
        "parameters": [RULE_ID],
        "get": {
            "operationId": "getAlertRule",
            "summary": "One alert rule.",
            "responses": {"200": _json(ref("AlertRule"), "The rule."), **_errors("401", "404")},
        },
        "put": {
            "operationId": "replaceAlertRule",
            "summary": "Replace a rule: fields left out go back to their defaults.",
            "requestBody": _body("AlertRule"),
            "responses": RULE_SAVED,
        },
        "patch": {
            "operationId": "changeAlertRule",
            "summary": "Change the fields sent; filters merge key by key, targets (when sent) replace.",
            "requestBody": _body("AlertRuleChanges"),
            "responses": RULE_SAVED,
        },
        "delete": {
            "operationId": "deleteAlertRule",
            "summary": "Delete a rule; a firing rule's PagerDuty incidents are resolved.",
            "responses": {"204": {"description": "Deleted."}, **_errors("401", "404")},
        },
    },
    "/webhooks/pagerduty/{account_id}": {
        "post": {
            "operationId": "receivePagerDutyWebhook",
            "summary": "PagerDuty webhooks v3 deliveries; each one nudges the account's sync.",
            "description": "Authenticated by the X-PagerDuty-Signature header (HMAC-SHA256 of the raw body "
            "with the subscription's secret), not by an API key. The signature is checked before the body "
            "is read.",
            "security": [],
            "parameters": [
                ACCOUNT_ID,
                {
                    "name": "X-PagerDuty-Signature",
                    "in": "header",
                    "required": True,
                    "schema": {"type": "string"},
                    "description": "v1=<hex HMAC-SHA256>, comma-separated while a secret rotates.",
                },
                {
                    "name": "X-Webhook-Id",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string"},
                    "description": "The delivery's id: a repeat within 3 days is acknowledged and ignored.",
                },
            ],
            "requestBody": _body("WebhookDelivery"),
            "responses": {
                "202": _json(ref("WebhookAnswer"), "Queued, a duplicate, or the answer to a ping."),
                **_errors("400", "404", "413"),
                "401": _json(ref("Error"), "Unknown account, or a missing or wrong signature."),
                "503": _json(ref("Error"), "The queue is unreachable: PagerDuty retries later."),
            },
        }
    },
}

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Vigil API",
        "version": VERSION,
        "description": "Metrics, incidents, deployments, metric points and alert rules of one workspace, "
        "and the receiver of PagerDuty's webhooks. Every error has the shape of the Error schema.",
    },
    "security": [{"apiKey": []}],
    "paths": PATHS,
    "components": {
        "securitySchemes": {
            "apiKey": {
                "type": "http",
                "scheme": "bearer",
                "description": "A workspace API key (vgl_…), made in Settings → API keys.",
            }
        },
        "schemas": SCHEMAS,
        "responses": {f"Error{status}": _json(ref("Error"), text) for status, text in ERROR_STATUSES.items()},
    },
}


@bp.get("/openapi.json")
@public
def openapi_document() -> Response:
    return jsonify(DOCUMENT)
