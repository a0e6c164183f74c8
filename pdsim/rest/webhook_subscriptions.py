"""Webhook subscriptions (API-NOTES §6.1): create answers 200 and is the only response with the secret."""

from __future__ import annotations

from typing import Any

from flask import Response

from pdsim.rest import params
from pdsim.rest.base import api, body_json, principal, sim
from pdsim.rest.errors import bad_request, not_found
from pdsim.webhooks import subscriptions as subs
from pdsim.webhooks.payload import ping_body

FILTER_TYPES = ("account_reference", "service_reference", "team_reference")


def _validated(data: Any, partial: bool = False) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise bad_request('The body must be {"webhook_subscription": {…}}')
    if not partial and data.get("type", "webhook_subscription") != "webhook_subscription":
        raise bad_request("type must be webhook_subscription")
    method = data.get("delivery_method")
    if method is not None or not partial:
        if not isinstance(method, dict) or method.get("type") != "http_delivery_method":
            raise bad_request("delivery_method.type must be http_delivery_method")
        url = method.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise bad_request("delivery_method.url must be an http(s) URL")
        headers = method.get("custom_headers") or []
        if not isinstance(headers, list) or not all(isinstance(h, dict) and "name" in h for h in headers):
            raise bad_request("custom_headers must be a list of {name, value}")
    events = data.get("events")
    events_ok = isinstance(events, list) and events and all(isinstance(e, str) for e in events)
    if (events is not None or not partial) and not events_ok:
        raise bad_request("events must be a non-empty list of event types")
    flt = data.get("filter")
    if flt is not None or not partial:
        if not isinstance(flt, dict) or flt.get("type") not in FILTER_TYPES:
            raise bad_request(f"filter.type must be one of {', '.join(FILTER_TYPES)}")
        d = sim().directory
        if flt["type"] == "service_reference" and flt.get("id") not in d.services:
            raise bad_request("filter.id must name a service")
        if flt["type"] == "team_reference" and flt.get("id") not in d.teams:
            raise bad_request("filter.id must name a team")
    return data


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    method = data["delivery_method"]
    return {
        "delivery_method": {
            "type": "http_delivery_method",
            "url": method["url"],
            "custom_headers": [
                {"name": h["name"], "value": str(h.get("value", ""))}
                for h in method.get("custom_headers") or []
            ],
        },
        "description": data.get("description", ""),
        "events": list(dict.fromkeys(data["events"])),
        "filter": {k: v for k, v in data["filter"].items() if k in ("id", "type")},
        "active": bool(data.get("active", True)),
    }


def _get(sid: str) -> subs.Subscription:
    with sim().store.read() as conn:
        sub = subs.get(conn, sid)
    if sub is None:
        raise not_found("Webhook Subscription")
    return sub


@api.post("/webhook_subscriptions")
def create_webhook_subscription() -> Any:
    principal().require("webhook_subscriptions.write")
    data = _clean(_validated(body_json().get("webhook_subscription")))
    with sim().store.write() as conn:
        sub = subs.create(conn, data)
    return {"webhook_subscription": sub.render(reveal_secret=True)}, 200


@api.get("/webhook_subscriptions")
def list_webhook_subscriptions() -> Any:
    principal().require("webhook_subscriptions.read")
    pg = params.page()
    with sim().store.read() as conn:
        found = subs.all_(conn)
    chunk = params.slice_page(pg, found)
    return pg.envelope(
        "webhook_subscriptions", [s.render() for s in chunk["items"]], chunk["more"], chunk["total"]
    )


@api.get("/webhook_subscriptions/<sid>")
def get_webhook_subscription(sid: str) -> Any:
    principal().require("webhook_subscriptions.read")
    return {"webhook_subscription": _get(sid).render()}


@api.put("/webhook_subscriptions/<sid>")
def update_webhook_subscription(sid: str) -> Any:
    principal().require("webhook_subscriptions.write")
    sub = _get(sid)
    data = _validated(body_json().get("webhook_subscription"), partial=True)
    merged = {
        **sub.body,
        **{k: v for k, v in data.items() if k in ("description", "events", "filter", "active")},
    }
    if "delivery_method" in data:
        merged["delivery_method"] = {
            **sub.body["delivery_method"],
            **_clean({**merged, **data})["delivery_method"],
        }
    sub.body = merged
    with sim().store.write() as conn:
        subs.save(conn, sub)
    return {"webhook_subscription": sub.render()}


@api.delete("/webhook_subscriptions/<sid>")
def delete_webhook_subscription(sid: str) -> Any:
    principal().require("webhook_subscriptions.write")
    with sim().store.write() as conn:
        if not subs.delete(conn, sid):
            raise not_found("Webhook Subscription")
    return Response(status=204)


@api.post("/webhook_subscriptions/<sid>/ping")
def ping_webhook_subscription(sid: str) -> Any:
    principal().require("webhook_subscriptions.write")
    sub = _get(sid)
    sim().webhooks.enqueue(sub, "pagey.ping", f"ping:{sub.id}", ping_body(sim().clock.now()))
    return Response(status=202)


@api.post("/webhook_subscriptions/<sid>/enable")
def enable_webhook_subscription(sid: str) -> Any:
    principal().require("webhook_subscriptions.write")
    sub = _get(sid)
    sub.temporarily_disabled = False
    sub.body["active"] = True
    with sim().store.write() as conn:
        subs.save(conn, sub)
    sim().webhooks.enable(sid)
    return {"webhook_subscription": sub.render()}
