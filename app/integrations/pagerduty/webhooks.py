"""Webhooks v3 (API-NOTES §6): the public endpoint PagerDuty delivers to, and the account's subscription.

A delivery only nudges the account's sync (stable job id, a few seconds' delay so a burst of events makes one
run): the sync fetches what changed, so a missed delivery is healed by the next incremental sync. When the
queue is unreachable the endpoint answers 503 and forgets the dedupe key, so PagerDuty's retry (at-least-once,
§6.5) gets through: more honest, and faster to heal, than a 2xx the scheduler's tick would make good.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from flask import current_app, jsonify, request, url_for
from redis.exceptions import RedisError
from werkzeug.wrappers import Response

from app import crypto
from app.accounts import audit
from app.accounts.context import public
from app.extensions import csrf, db
from app.inputs import JsonInvalid, read_json
from app.models import AccountStatus, PagerDutyAccount, SyncKind
from app.queue import QueueNotConfigured, redis_connection

from . import bp
from .capabilities import capabilities
from .credentials import client_for
from .errors import PagerDutyError
from .sync import jobs

log = logging.getLogger(__name__)

# API-NOTES §6.2: the incident events that change what Vigil stores.
EVENTS = (
    "incident.triggered",
    "incident.acknowledged",
    "incident.unacknowledged",
    "incident.escalated",
    "incident.reassigned",
    "incident.resolved",
    "incident.reopened",
    "incident.priority_updated",
)
DEDUPE_SECONDS = 3 * 86400  # longer than PagerDuty's 48 h retry window (API-NOTES §6.5)
NUDGE_DELAY = timedelta(seconds=5)
REALTIME = "Near-real-time sync"
MAX_DELIVERY_ID = 200  # PagerDuty's ids are a few dozen characters; the id becomes a Redis key


def sign(raw_body: bytes, secret: str) -> str:
    """`v1=<hex>` (API-NOTES §6.4), over the raw request bytes: re-serialised JSON would not match."""
    return "v1=" + _digest(raw_body, secret)


def verify_signature(raw_body: bytes, header_value: str | None, secrets: Sequence[str]) -> bool:
    """True if any `v1=` signature in `X-PagerDuty-Signature: v1=<hex>[,v1=<hex>…]` matches any of the secrets
    (several coexist during a zero-downtime secret rotation)."""
    if not header_value:
        return False
    # Bytes, because compare_digest refuses non-ASCII str and a header is attacker-controlled.
    candidates = [
        entry.strip().removeprefix("v1=").lower().encode("utf-8")
        for entry in header_value.split(",")
        if entry.strip().startswith("v1=")
    ]
    expected = [_digest(raw_body, secret).encode("ascii") for secret in secrets if secret]
    # Compare every pair rather than stopping early, so timing does not reveal which entry matched.
    matches = [hmac.compare_digest(c, e) for c in candidates for e in expected]
    return any(matches)


def _digest(raw_body: bytes, secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), raw_body, hashlib.sha256).hexdigest()


def _refuse(code: int, message: str) -> tuple[Response, int]:
    """The error shape of the whole app's JSON answers (app/errors.py, the API's document)."""
    return jsonify({"error": {"status": code, "message": message}}), code


def _event(raw: bytes) -> dict[str, Any]:
    """The delivery's `event` object; JsonInvalid when the signed body is not one Vigil can read."""
    payload = read_json(raw)
    if not isinstance(payload, dict):
        raise JsonInvalid("The body must be a JSON object.")
    event = payload.get("event") or {}
    if not isinstance(event, dict):
        raise JsonInvalid("event must be a JSON object.")
    event_id = event.get("id")
    if event_id is not None and (not isinstance(event_id, str) or len(event_id) > MAX_DELIVERY_ID):
        raise JsonInvalid(f"event.id must be text of at most {MAX_DELIVERY_ID} characters.")
    return event


@bp.post("/webhooks/pagerduty/<int:account_id>")
@public
@csrf.exempt
def webhook(account_id: int) -> tuple[Response, int]:
    raw = request.get_data(cache=True)  # the signature covers these exact bytes (API-NOTES §6.4)
    account = db.session.get(PagerDutyAccount, account_id)
    if account is None or not verify_signature(
        raw, request.headers.get("X-PagerDuty-Signature"), _secrets(account)
    ):
        log.warning(
            "rejected a webhook delivery for account %s: unknown account or bad signature", account_id
        )
        return _refuse(401, "invalid signature")
    # Signed, so from PagerDuty (or whoever holds the secret): still a body Vigil cannot read is a 400.
    try:
        event = _event(raw)
    except JsonInvalid as exc:
        log.warning("refused a signed webhook delivery for account %s: %s", account_id, exc)
        return _refuse(400, str(exc))
    if event.get("event_type") == "pagey.ping":
        return jsonify(status="pong"), 202
    try:
        conn = redis_connection()
        keys = _dedupe_keys(account, request.headers.get("X-Webhook-Id"), event.get("id"))
        taken = []
        for key in keys:
            if not conn.set(key, 1, nx=True, ex=DEDUPE_SECONDS):
                if taken:
                    conn.delete(*taken)
                return jsonify(status="duplicate"), 202
            taken.append(key)
        try:
            jobs.request_sync(account, delay=NUDGE_DELAY, trigger=SyncKind.WEBHOOK)
        except RedisError:
            if taken:
                conn.delete(*taken)  # let PagerDuty's retry through
            raise
    except (RedisError, QueueNotConfigured) as exc:
        log.warning(
            "webhook for account %s not queued (%s); answering 503 so PagerDuty retries", account_id, exc
        )
        return _refuse(503, "queue unavailable, retry later")
    return jsonify(status="queued"), 202


def _dedupe_keys(account: PagerDutyAccount, delivery_id: str | None, event_id: object) -> list[str]:
    """The signed body's event id first: `X-Webhook-Id` is outside the signature, so a captured body sent
    again under a new id is still the same event (API-NOTES §6.4). The delivery id stays a key too, for a
    body without an event id."""
    keys = []
    if isinstance(event_id, str | int) and str(event_id):
        keys.append(f"vigil:webhook-event:{account.id}:{event_id}")
    if delivery_id:
        keys.append(f"vigil:webhook:{delivery_id}")
    return keys


def _secrets(account: PagerDutyAccount) -> list[str]:
    if account.status is AccountStatus.UNLINKED or not account.webhook_secret_enc:
        return []
    try:
        return [crypto.decrypt(account.webhook_secret_enc)]
    except crypto.DecryptionError:
        log.warning("the webhook secret of account %s cannot be decrypted", account.id)
        return []


class SubscriptionError(Exception):
    """Why Vigil could not create or delete the subscription, in words for the account page."""


def base_url() -> str | None:
    return current_app.config["VIGIL"].base_url


def allows_realtime(account: PagerDutyAccount) -> bool:
    caps = capabilities(account.auth_kind.value, account.scopes, account.token_user_role)
    return any(cap.name == REALTIME and cap.state != "no" for cap in caps)


def endpoint_url(account: PagerDutyAccount) -> str:
    root = (base_url() or "").rstrip("/")
    return root + url_for("pagerduty.webhook", account_id=account.id)


def enable(account: PagerDutyAccount) -> None:
    if not base_url():
        raise SubscriptionError("PagerDuty needs a public URL to deliver to: set VIGIL_BASE_URL.")
    if account.status is not AccountStatus.ACTIVE:
        raise SubscriptionError("The account needs attention: fix its link first.")
    if account.webhook_secret_enc:
        raise SubscriptionError("Near-real-time sync is already on.")
    try:
        # API-NOTES §6.1: the secret is in this response only.
        created = client_for(account, max_attempts=1).create_webhook_subscription(
            endpoint_url(account),
            EVENTS,
            {"type": "account_reference"},
            f"Vigil near-real-time sync (workspace {account.workspace.name})",
        )
    except PagerDutyError as exc:
        raise SubscriptionError(f"PagerDuty refused the subscription: {exc}") from None
    secret = (created.get("delivery_method") or {}).get("secret")
    if not secret:
        raise SubscriptionError("PagerDuty returned no signing secret; paste it below instead.")
    _store(account, str(created["id"]), secret, "pagerduty.webhook_enabled")


def save_secret(account: PagerDutyAccount, secret: str, subscription_id: str | None) -> None:
    """For a subscription an admin created by hand in PagerDuty."""
    subscription_id = subscription_id or account.webhook_subscription_id
    _store(account, subscription_id, secret.strip(), "pagerduty.webhook_secret_set")


def disable(account: PagerDutyAccount) -> None:
    subscription = account.webhook_subscription_id
    if subscription and account.status is not AccountStatus.UNLINKED:
        try:
            client_for(account, max_attempts=1).delete_webhook_subscription(subscription)
        except PagerDutyError as exc:
            if exc.status != 404:  # already gone is what we wanted
                raise SubscriptionError(f"PagerDuty did not delete the subscription: {exc}") from None
    account.webhook_subscription_id = None
    account.webhook_secret_enc = None
    audit.record(
        account.workspace, "pagerduty.webhook_disabled", account.subdomain, subscription=subscription
    )
    db.session.commit()


def _store(account: PagerDutyAccount, subscription_id: str | None, secret: str, action: str) -> None:
    account.webhook_subscription_id = subscription_id
    account.webhook_secret_enc = crypto.encrypt(secret)
    audit.record(account.workspace, action, account.subdomain, subscription=subscription_id)
    db.session.commit()
