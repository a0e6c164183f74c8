"""The JSON Schemas of the API's bodies and answers: the OpenAPI document's `components.schemas`.

`body.json_body` enforces the request schemas' types and fields, so the document and the API cannot drift
apart; ranges, choices and references to rows are the domain parsers' to check, with their own messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(kind: str, **extra: Any) -> Schema:
    return {"type": [kind, "null"], **extra}


def read_only(kind: str | list[str], **extra: Any) -> Schema:
    return {"type": kind, "readOnly": True, **extra}


def obj(
    properties: dict[str, Schema], required: Sequence[str] = (), *, closed: bool = False, **extra: Any
) -> Schema:
    """An object with these properties; `closed` refuses any other field."""
    schema: Schema = {"type": "object", **extra, "properties": properties}
    if required:
        schema["required"] = list(required)
    if closed:
        schema["additionalProperties"] = False
    return schema


STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
TEXT_LABELS: Schema = {"type": "object", "additionalProperties": STRING, "maxProperties": 20}
ID_LIST: Schema = nullable("array", items=STRING)
DATE_TIME: Schema = {"type": "string", "format": "date-time"}
INCIDENT_STATUS: Schema = {"type": "string", "enum": ["triggered", "acknowledged", "resolved"]}
PER_PAGE: Schema = {"type": "integer", "minimum": 1, "maximum": 100}
DISTRIBUTION: Schema = {"type": "object", "additionalProperties": {"type": ["number", "integer", "null"]}}

ERROR = obj(
    {
        "error": obj(
            {
                "status": {"type": "integer", "minimum": 400, "maximum": 599},
                "message": {"type": "string", "minLength": 1},
                "field": {"type": "string", "description": "The parameter or body field at fault."},
            },
            ["status", "message"],
            closed=True,
        ),
        "errors": {
            "type": "object",
            "description": "Every field at fault, when there are several (alert rules).",
            "additionalProperties": STRING,
        },
    },
    ["error"],
    closed=True,
)

DEPLOYMENT_IN = obj(
    {
        "service": {"type": "string", "description": "PagerDuty service id, or the service's exact name."},
        "at": {**DATE_TIME, "description": "With a time zone; from 1970 to 5 minutes ahead."},
        "summary": nullable("string", maxLength=1024),
        "url": nullable("string", maxLength=1000, description="An http(s) link to the build or release."),
        "id": {
            "type": ["string", "integer", "null"],
            "description": "The caller's id: a retry with the same id records nothing new.",
        },
    },
    ["service", "at"],
    closed=True,
)

SERVICE_REF = obj({"id": STRING, "name": STRING}, ["id", "name"])
DEPLOYMENT = obj(
    {
        "id": INTEGER,
        "external_id": STRING,
        "source": {"type": "string", "enum": ["api", "pagerduty_change_event"]},
        "service": ref("ServiceRef"),
        "at": DATE_TIME,
        "summary": STRING,
        "url": nullable("string"),
    },
    ["id", "external_id", "source", "service", "at", "summary", "url"],
)

POINT_IN = obj(
    {
        "name": {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_.:-]{0,199}$"},
        "value": {"type": "number"},
        "at": nullable("string", format="date-time", description="Default: now; at most 5 minutes ahead."),
        "labels": {**TEXT_LABELS, "type": ["object", "null"]},
    },
    ["name", "value"],
    closed=True,
)
POINTS_IN = obj(
    {"points": {"type": "array", "minItems": 1, "maxItems": 1000, "items": ref("PointIn")}},
    ["points"],
    closed=True,
)
POINTS_ACCEPTED = obj({"accepted": {"type": "integer", "minimum": 1}}, ["accepted"])

TARGET = obj(
    {
        "id": read_only("integer"),
        "account": {"type": "integer", "description": "A linked PagerDuty account of the workspace."},
        "service": {"type": "string", "description": "The PagerDuty service id to page."},
        "service_name": read_only(["string", "null"]),
        "urgency": nullable("string", enum=["high", "low", None]),
        "escalation_policy": nullable("string"),
    },
    ["account", "service"],
    closed=True,
)

ALERT_RULE = obj(
    {
        "id": read_only("integer"),
        "name": {"type": "string", "maxLength": 120},
        "description": nullable("string", maxLength=2000),
        "signal": {"type": "string", "enum": ["incident", "pushed"]},
        "metric": STRING,
        "aggregation": nullable("string"),
        "labels": {**TEXT_LABELS, "type": ["object", "null"]},
        "filters": {
            "type": ["object", "null"],
            "additionalProperties": False,
            "properties": {"services": ID_LIST, "teams": ID_LIST, "urgencies": ID_LIST},
        },
        "window_seconds": INTEGER,
        "operator": STRING,
        "threshold": {"type": "number", "minimum": -1e15, "maximum": 1e15},
        "for_seconds": INTEGER,
        "severity": {"type": "string", "enum": ["critical", "error", "warning", "info"]},
        "no_data": {"type": "string", "enum": ["ok", "alert", "keep"]},
        "enabled": {"type": "boolean"},
        "muted": {"type": "boolean"},
        "notify_on_resolve": {"type": "boolean"},
        "title_template": nullable(
            "string",
            maxLength=255,
            description="Text with placeholders, each of {rule} {metric} {value} {threshold} {operator} "
            "{severity} {window}; no other braces.",
        ),
        "targets": nullable("array", maxItems=10, items=ref("Target")),
        "state": read_only("string"),
        "state_since": read_only(["string", "null"]),
        "episode": read_only("integer"),
        "last_value": read_only(["number", "null"]),
        "last_evaluated_at": read_only(["string", "null"]),
        "last_error": read_only(["string", "null"]),
        "created_at": read_only(["string", "null"]),
    },
    ["name", "signal", "metric", "operator", "threshold"],
    closed=True,
    description="Sent without the read-only fields; a rule read with GET may be sent back as it is.",
)
# A PATCH sends only what changes.
ALERT_RULE_CHANGES: Schema = {key: value for key, value in ALERT_RULE.items() if key != "required"}
ALERT_RULE_LIST = obj({"alert_rules": {"type": "array", "items": ref("AlertRule")}}, ["alert_rules"])

INCIDENT = obj(
    {
        "id": STRING,
        "number": {"type": ["integer", "null"]},
        "title": STRING,
        "status": INCIDENT_STATUS,
        "urgency": {"type": ["string", "null"]},
        "priority": {"type": ["string", "null"]},
        "service": ref("ServiceRef"),
        "teams": {"type": "array", "items": ref("ServiceRef")},
        "created_at": DATE_TIME,
        "first_ack_at": nullable("string", format="date-time"),
        "resolved_at": nullable("string", format="date-time"),
        "ack_seconds": {"type": ["number", "null"]},
        "resolve_seconds": {"type": ["number", "null"]},
        "escalation_count": {"type": ["integer", "null"]},
        "reopen_count": {"type": ["integer", "null"]},
        "auto_resolved": {"type": ["boolean", "null"]},
        "excluded": {"type": "boolean"},
        "html_url": {"type": ["string", "null"]},
    },
    ["id", "number", "title", "status", "service", "teams", "created_at", "excluded"],
)
INCIDENT_PAGE = obj(
    {
        "incidents": {"type": "array", "items": ref("Incident")},
        "page": {"type": "integer", "minimum": 1},
        "per_page": PER_PAGE,
        "total": {"type": "integer", "minimum": 0},
        "next": nullable(
            "string",
            format="uri-reference",
            description="The next page: a URL under VIGIL_BASE_URL, else a path; null on the last page.",
        ),
    },
    ["incidents", "page", "per_page", "total", "next"],
)

METRICS = obj(
    {
        "window": obj({"start": STRING, "end": STRING, "timezone": STRING}, ["start", "end", "timezone"]),
        "incident_count": INTEGER,
        "unresolved_count": INTEGER,
        "mtta_seconds": DISTRIBUTION,
        "mttr_seconds": DISTRIBUTION,
        "deployment_count": INTEGER,
        "failed_deployment_count": INTEGER,
        "change_failure_rate": {"type": ["number", "null"]},
        "escalation_rate": {"type": ["number", "null"]},
        "interruptions": {"type": "object"},
        "failed_deployment_recovery_seconds": DISTRIBUTION,
        "unrecovered_deployment_count": INTEGER,
        "auto_resolve_rate": {"type": ["number", "null"]},
        "dora": {"type": "object"},
        "excluded_count": INTEGER,
    },
    ["window", "incident_count", "mtta_seconds", "mttr_seconds", "change_failure_rate"],
)

WEBHOOK_DELIVERY = obj(
    {"event": obj({"id": STRING, "event_type": STRING})},
    description="A PagerDuty webhook v3 delivery; Vigil reads only event.id and event.event_type.",
)
WEBHOOK_ANSWER = obj({"status": {"type": "string", "enum": ["queued", "duplicate", "pong"]}, "error": STRING})

SCHEMAS: dict[str, Schema] = {
    "Error": ERROR,
    "DeploymentIn": DEPLOYMENT_IN,
    "Deployment": DEPLOYMENT,
    "ServiceRef": SERVICE_REF,
    "PointIn": POINT_IN,
    "PointsIn": POINTS_IN,
    "PointsAccepted": POINTS_ACCEPTED,
    "Target": TARGET,
    "AlertRule": ALERT_RULE,
    "AlertRuleChanges": ALERT_RULE_CHANGES,
    "AlertRuleList": ALERT_RULE_LIST,
    "Incident": INCIDENT,
    "IncidentPage": INCIDENT_PAGE,
    "Metrics": METRICS,
    "WebhookDelivery": WEBHOOK_DELIVERY,
    "WebhookAnswer": WEBHOOK_ANSWER,
}
