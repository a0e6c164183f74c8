"""Which scopes exist, and what a client is granted.

API-NOTES §5.2-5.3: scoped apps ask for per-resource scopes, classic apps for `read` or `write`; an unknown
scope is not an error — PagerDuty grants the scopes that exist ("partial scopes") and always `openid`.
"""

from __future__ import annotations

_READ_WRITE = (
    "addons",
    "analytics",
    "change_events",
    "contextual_data",
    "custom_fields",
    "escalation_policies",
    "event_orchestrations",
    "event_rules",
    "extensions",
    "incident_types",
    "incident_workflows",
    "incidents",
    "ip_allow_lists",
    "oauth_delegations",
    "recommendations",
    "schedules",
    "services",
    "session_configurations",
    "standards",
    "status_pages",
    "subscribers",
    "tags",
    "teams",
    "templates",
    "users",
    "users:contact_methods",
    "users:sessions",
    "webhook_subscriptions",
    "workflow_integrations:connections",
)
_READ_ONLY = (
    "abilities",
    "audit_records",
    "extension_schemas",
    "incident",
    "licenses",
    "oncalls",
    "priorities",
    "status_dashboards",
    "users:notifications",
    "vendors",
    "workflow_integrations",
)
_WRITE_ONLY = ("incident_workflows:instances", "sre_agent")

SCOPED: frozenset[str] = frozenset(
    [f"{r}.read" for r in _READ_WRITE + _READ_ONLY] + [f"{r}.write" for r in _READ_WRITE + _WRITE_ONLY]
)
CLASSIC: frozenset[str] = frozenset({"read", "write"})
OPENID = "openid"
AS_ACCOUNT = "as_account-"


def grant(requested: list[str], flavour: str) -> list[str]:
    """The scopes actually granted, in a stable order, `openid` first."""
    known = CLASSIC if flavour == "classic" else SCOPED
    granted = sorted({s for s in requested if s in known})
    return [OPENID, *granted]


def as_account(region: str, subdomain: str) -> str:
    return f"{AS_ACCOUNT}{region}.{subdomain}"
