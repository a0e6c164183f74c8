"""Delivers webhook events from a background thread, as PagerDuty's v3 delivery behaves (API-NOTES §6.5).

Expect a 2xx within the timeout (5 s); retry on timeouts, 5xx, 429 and connection errors with backoff; drop
at once on any other status. Events for one subscription and one incident stay in order: while one is
retrying, later ones wait behind it. After three consecutive dropped events the subscription is
temporarily disabled and its queue emptied, until `POST /webhook_subscriptions/{id}/enable`.
PagerDuty retries for up to 48 hours; pdsim's delays are short and configurable so tests stay fast.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

import requests

from pdsim.store import Store
from pdsim.webhooks import subscriptions as subs
from pdsim.webhooks.payload import USER_AGENT, signature

log = logging.getLogger(__name__)
RETRYABLE = {408, 429}


@dataclass
class Delivery:
    webhook_id: str
    subscription_id: str
    event_type: str
    resource_id: str
    url: str
    body: bytes
    headers: dict[str, str]
    state: str = "pending"  # pending → delivered | dropped
    attempts: list[dict[str, Any]] = field(default_factory=list)
    next_at: float = 0.0

    def describe(self) -> dict[str, Any]:
        return {
            "webhook_id": self.webhook_id,
            "subscription_id": self.subscription_id,
            "event_type": self.event_type,
            "resource_id": self.resource_id,
            "url": self.url,
            "state": self.state,
            "attempts": list(self.attempts),
        }


class WebhookDispatcher:
    def __init__(
        self,
        store: Store,
        retry_delays: tuple[float, ...] = (1.0, 5.0, 15.0),
        timeout: float = 5.0,
        disable_after: int = 3,
    ) -> None:
        self.store = store
        self.retry_delays = retry_delays
        self.timeout = timeout
        self.disable_after = disable_after
        self._cond = threading.Condition()
        self._queues: OrderedDict[tuple[str, str], deque[Delivery]] = OrderedDict()
        self._log: deque[Delivery] = deque(maxlen=5000)
        self._dropped_in_row: dict[str, int] = {}
        self._busy = 0
        self._stop = False
        self._thread: threading.Thread | None = None
        self._session = requests.Session()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="pdsim-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()
        if self._thread:
            self._thread.join(timeout=10)
        self._session.close()

    def configure(self, retry_delays: list[float] | None = None, timeout: float | None = None) -> None:
        with self._cond:
            if retry_delays is not None:
                self.retry_delays = tuple(float(d) for d in retry_delays)
            if timeout is not None:
                self.timeout = float(timeout)

    def clear(self) -> None:
        with self._cond:
            self._queues.clear()
            self._log.clear()
            self._dropped_in_row.clear()

    def enqueue(self, sub: subs.Subscription, event_type: str, resource_id: str, body: bytes) -> None:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Webhook-Subscription": sub.id,
            "X-PagerDuty-Signature": signature(body, sub.secret, sub.previous_secret or ""),
        }
        for h in sub.body["delivery_method"].get("custom_headers", []):
            headers[h["name"]] = h["value"]  # sent unredacted (API-NOTES §6.3)
        delivery = Delivery(secrets.token_hex(16), sub.id, event_type, resource_id, sub.url, body, headers)
        delivery.headers["X-Webhook-Id"] = delivery.webhook_id
        with self._cond:
            self._queues.setdefault((sub.id, resource_id), deque()).append(delivery)
            self._log.append(delivery)
            self._cond.notify_all()

    def enable(self, sid: str) -> None:
        with self._cond:
            self._dropped_in_row.pop(sid, None)

    def deliveries(self) -> list[dict[str, Any]]:
        with self._cond:
            return [d.describe() for d in self._log]

    def pending(self) -> int:
        with self._cond:
            return sum(len(q) for q in self._queues.values()) + self._busy

    def wait_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while sum(len(q) for q in self._queues.values()) + self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    # --- the thread ----------------------------------------------------------------------------

    def _next_due(self) -> Delivery | None:
        now = time.monotonic()
        for queue in self._queues.values():
            if queue and queue[0].next_at <= now:
                return queue[0]
        return None

    def _run(self) -> None:
        while True:
            with self._cond:
                delivery = self._next_due()
                while delivery is None and not self._stop:
                    heads = [q[0].next_at for q in self._queues.values() if q]
                    wait = max(0.0, min(heads) - time.monotonic()) if heads else None
                    self._cond.wait(wait)
                    delivery = self._next_due()
                if self._stop:
                    return
                self._busy += 1
            try:
                self._attempt(delivery)
            finally:
                with self._cond:
                    self._busy -= 1
                    self._cond.notify_all()

    def _attempt(self, d: Delivery) -> None:
        started = time.monotonic()
        status, error = None, None
        try:
            resp = self._session.post(d.url, data=d.body, headers=d.headers, timeout=self.timeout)
            status = resp.status_code
            resp.close()
        except requests.RequestException as exc:
            error = type(exc).__name__
        d.attempts.append(
            {
                "at": time.time(),
                "status": status,
                "error": error,
                "ms": round((time.monotonic() - started) * 1000),
            }
        )
        if status is not None and 200 <= status < 300:
            self._finish(d, "delivered")
            return
        retryable = error is not None or status in RETRYABLE or (status is not None and status >= 500)
        if retryable and len(d.attempts) <= len(self.retry_delays):
            d.next_at = time.monotonic() + self.retry_delays[len(d.attempts) - 1]
            log.debug("webhook %s to %s failed (%s), retrying", d.webhook_id, d.url, status or error)
            return
        self._finish(d, "dropped")

    def _finish(self, d: Delivery, state: str) -> None:
        with self._cond:
            d.state = state
            queue = self._queues.get((d.subscription_id, d.resource_id))
            if queue and queue[0] is d:
                queue.popleft()
                if not queue:
                    del self._queues[(d.subscription_id, d.resource_id)]
            if state == "delivered":
                self._dropped_in_row[d.subscription_id] = 0
                return
            count = self._dropped_in_row.get(d.subscription_id, 0) + 1
            self._dropped_in_row[d.subscription_id] = count
            if count < self.disable_after:
                return
            for key in [k for k in self._queues if k[0] == d.subscription_id]:
                for queued in self._queues.pop(key):
                    queued.state = "dropped"
        log.info("webhook subscription %s disabled after %d dropped deliveries", d.subscription_id, count)
        with self.store.write() as conn:
            sub = subs.get(conn, d.subscription_id)
            if sub is not None:
                sub.temporarily_disabled = True
                subs.save(conn, sub)
