"""Sending one alert page to PagerDuty (app/alerts/delivery.py claims, retries and records around `send`).

Exactly one incident per episode and target: a trigger re-sent after a lost answer (or a killed worker) meets
PagerDuty's duplicate-key 400 and adopts the open incident with that key (API-NOTES §2.10); a resolve re-sent
meets "already resolved" (code 1001), which counts as done (§2.11).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.models import Delivery, PagerDutyAccount

from .client import PagerDutyClient
from .credentials import client_for
from .errors import PagerDutyError, is_duplicate_key_error
from .serial import HOLD_SECONDS, SerialSession, queue_connection

REQUEST_TIMEOUT = (5.0, 20.0)  # connect, read


@dataclass(frozen=True)
class SendResult:
    http_status: int | None  # None when PagerDuty's error answer meant "done" (adopted, already resolved)
    note: str = ""
    incident_id: str | None = None  # a trigger's incident
    incident_url: str | None = None


def sending_client(
    account: PagerDutyAccount, *, attempts: int, inline_wait: float, lease_seconds: float
) -> PagerDutyClient:
    """A client that retries `attempts` times, sleeps at most `inline_wait` for a retry, and holds its token's
    turn no longer than the delivery's lease."""
    return client_for(
        account,
        max_attempts=attempts,
        max_inline_wait=inline_wait,
        timeout=REQUEST_TIMEOUT,
        session=SerialSession(account.id, queue_connection(), hold_seconds=min(HOLD_SECONDS, lease_seconds)),
    )


def send(delivery: Delivery, client: PagerDutyClient) -> SendResult:
    return _trigger(delivery, client) if delivery.action.is_trigger else _resolve(delivery, client)


def _trigger(delivery: Delivery, client: PagerDutyClient) -> SendResult:
    try:
        incident = client.create_incident(
            delivery.service_remote_id,
            delivery.title,
            urgency=delivery.urgency,  # type: ignore[arg-type]
            body_details=delivery.details,
            incident_key=delivery.incident_key,
            escalation_policy_id=delivery.escalation_policy_remote_id,
        )
        status, note = 201, ""
    except PagerDutyError as err:
        if not is_duplicate_key_error(err):
            raise
        # An earlier attempt (whose answer was lost) or the same episode already opened it: adopt it.
        incident = client.find_open_incident_by_key(delivery.service_remote_id, delivery.incident_key)
        if incident is None:
            # 2002 is also PagerDuty's answer for a disabled service or one in maintenance (API-NOTES §2.10).
            raise
        # The page is done: PagerDuty's 400 only told us the incident exists, so the log shows no error code.
        status, note = None, "adopted the open incident with this key"
    return SendResult(status, note, str(incident.get("id") or "") or None, incident.get("html_url"))


def _resolve(delivery: Delivery, client: PagerDutyClient) -> SendResult:
    assert delivery.pd_incident_id, "a resolve is sent only for a created incident"
    try:
        resolved = client.resolve_incident(delivery.pd_incident_id, delivery.details or None)
    except PagerDutyError as err:
        if err.status == 404:
            return SendResult(None, "the incident no longer exists in PagerDuty — done")
        raise
    # "Already resolved" is PagerDuty's 400 (code 1001, API-NOTES §2.11) but a finished resolve: a sent
    # delivery never shows an error status in the log.
    return SendResult(200, "") if resolved is not None else SendResult(None, "already resolved — done")
