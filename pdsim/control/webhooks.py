"""Webhook deliveries (to wait on and assert), delivery settings and secret rotation."""

from __future__ import annotations

from typing import Any

from flask import request

from pdsim.control.base import ControlError, body, control, sim
from pdsim.webhooks import subscriptions as subs


@control.get("/webhooks/deliveries")
def deliveries() -> Any:
    """`?wait=SECONDS` blocks until nothing is queued or retrying (or the time is up)."""
    wait = float(request.args.get("wait", 0) or 0)
    idle = sim().webhooks.wait_idle(min(wait, 60)) if wait else sim().webhooks.pending() == 0
    return {"idle": idle, "pending": sim().webhooks.pending(), "deliveries": sim().webhooks.deliveries()}


@control.post("/webhooks/config")
def webhook_config() -> Any:
    """`{"retry_delays": [seconds, …], "timeout": seconds}`; attempts = 1 + len(retry_delays)."""
    data = body()
    try:
        sim().webhooks.configure(retry_delays=data.get("retry_delays"), timeout=data.get("timeout"))
    except (TypeError, ValueError) as exc:
        raise ControlError(str(exc)) from None
    w = sim().webhooks
    return {"retry_delays": list(w.retry_delays), "timeout": w.timeout}


def _subscription(sid: str) -> subs.Subscription:
    with sim().store.read() as conn:
        sub = subs.get(conn, sid)
    if sub is None:
        raise ControlError("unknown webhook subscription", 404)
    return sub


@control.post("/webhook_subscriptions/<sid>/rotate_secret")
def rotate_secret(sid: str) -> Any:
    """Starts a zero-downtime rotation: deliveries carry two `v1=` signatures until it finishes."""
    sub = _subscription(sid)
    sub.previous_secret, sub.secret = sub.secret, subs.new_secret()
    with sim().store.write() as conn:
        subs.save(conn, sub)
    return {"id": sub.id, "secret": sub.secret, "previous_secret": sub.previous_secret}


@control.post("/webhook_subscriptions/<sid>/finish_rotation")
def finish_rotation(sid: str) -> Any:
    sub = _subscription(sid)
    sub.previous_secret = None
    with sim().store.write() as conn:
        subs.save(conn, sub)
    return {"id": sub.id, "secret": sub.secret, "previous_secret": None}
