"""One v3 event per request, signed over the raw body (API-NOTES §6.2-6.4)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

from pdsim.timeutil import iso_ms

USER_AGENT = "PagerDuty-Webhook/V3.0"
INCIDENT_EVENTS = (
    "incident.triggered",
    "incident.acknowledged",
    "incident.unacknowledged",
    "incident.escalated",
    "incident.reassigned",
    "incident.resolved",
    "incident.reopened",
    "incident.priority_updated",
)


def event_id() -> str:
    return secrets.token_hex(13).upper()[:26]


def event_body(
    event_type: str,
    occurred_at: float,
    agent: dict[str, Any] | None,
    client: str | None,
    data: dict[str, Any],
    resource_type: str = "incident",
) -> bytes:
    event = {
        "id": event_id(),
        "event_type": event_type,
        "resource_type": resource_type,
        "occurred_at": iso_ms(occurred_at),
        "agent": agent,
        "client": {"name": client} if client else None,
        "data": data,
    }
    return json.dumps({"event": event}, separators=(",", ":")).encode()


def ping_body(occurred_at: float) -> bytes:
    # The `pagey.ping` type name is observed in third-party captures, not documented (API-NOTES §6.1).
    data = {"message": "Hello from your friend Pagey!", "type": "ping"}
    return event_body("pagey.ping", occurred_at, None, None, data, resource_type="pagey")


def signature(body: bytes, *secrets_: str) -> str:
    """`v1=<hex>` per secret, comma-separated: two while a rotated secret is still honoured (§6.4)."""
    return ",".join("v1=" + hmac.new(s.encode(), body, hashlib.sha256).hexdigest() for s in secrets_ if s)


def verify(body: bytes, header: str, secret: str) -> bool:
    """What a receiver does; pdsim's tests use it to check what pdsim sent."""
    want = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return any(
        hmac.compare_digest(part.strip()[3:], want)
        for part in header.split(",")
        if part.strip().startswith("v1=")
    )
