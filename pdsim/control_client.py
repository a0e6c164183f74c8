"""A small `requests` client for the `/_sim/` control API (used by `pdsim.testing` and by other suites)."""

from __future__ import annotations

from typing import Any

import requests


class SimControlError(RuntimeError):
    pass


class SimControl:
    def __init__(self, root_url: str, timeout: float = 30.0, verify: bool | str = True) -> None:
        self.root = root_url.rstrip("/") + "/_sim"
        self.timeout = timeout
        self.http = requests.Session()
        self.http.verify = verify

    def _call(self, method: str, path: str, json: Any = None, **params: Any) -> Any:
        resp = self.http.request(
            method,
            self.root + path,
            json=json,
            params=params or None,
            timeout=self.timeout,
            verify=self.http.verify,
        )
        if resp.status_code >= 400:
            raise SimControlError(f"{method} /_sim{path} → {resp.status_code}: {resp.text}")
        return resp.json() if resp.content else None

    def close(self) -> None:
        self.http.close()

    # state and lifecycle
    def state(self) -> dict[str, Any]:
        return self._call("GET", "/state")

    def reset(self, data: bool = True) -> dict[str, Any]:
        """Back to the seeded state; `data=False` resets only the run-time switches."""
        return self._call("POST", "/reset", {"data": data})

    # clock
    def set_clock(
        self,
        *,
        now: str | None = None,
        offset_seconds: float | None = None,
        advance_seconds: float | None = None,
    ) -> dict[str, Any]:
        body = {
            k: v
            for k, v in {
                "now": now,
                "offset_seconds": offset_seconds,
                "advance_seconds": advance_seconds,
            }.items()
            if v is not None
        }
        return self._call("POST", "/clock", body)

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        return self.set_clock(advance_seconds=seconds)

    # faults and limits
    def set_faults(self, **config: Any) -> dict[str, Any]:
        return self._call("POST", "/faults", config)

    def clear_faults(self) -> dict[str, Any]:
        return self._call("DELETE", "/faults")

    def faults(self) -> dict[str, Any]:
        return self._call("GET", "/faults")

    def set_rate_limits(self, **settings: Any) -> dict[str, Any]:
        return self._call("POST", "/rate_limits", settings)

    # credentials
    def add_token(
        self,
        token: str,
        kind: str = "user",
        *,
        user_id: str | None = None,
        user_email: str | None = None,
        read_only: bool = False,
    ) -> dict[str, Any]:
        body = {
            "token": token,
            "kind": kind,
            "user_id": user_id,
            "user_email": user_email,
            "read_only": read_only,
        }
        return self._call("POST", "/tokens", {k: v for k, v in body.items() if v is not None})

    def revoke_token(self, token: str) -> dict[str, Any]:
        return self._call("POST", "/tokens/revoke", {"token": token})

    def add_oauth_client(
        self,
        client_id: str,
        client_secret: str | None,
        kind: str = "scoped",
        redirect_uris: list[str] | None = None,
        name: str = "Vigil",
    ) -> dict[str, Any]:
        body = {
            "client_id": client_id,
            "client_secret": client_secret,
            "kind": kind,
            "redirect_uris": redirect_uris or [],
            "name": name,
        }
        return self._call("POST", "/oauth/clients", body)

    def set_oauth_config(self, **settings: Any) -> dict[str, Any]:
        return self._call("POST", "/oauth/config", settings)

    # incidents
    def trigger_incident(self, service_id: str, title: str, **fields: Any) -> dict[str, Any]:
        return self._call("POST", "/incidents", {"service_id": service_id, "title": title, **fields})[
            "incident"
        ]

    def incident_action(self, incident: str, action: str, **fields: Any) -> dict[str, Any]:
        return self._call("POST", f"/incidents/{incident}/{action}", fields)["incident"]

    def created(self) -> list[dict[str, Any]]:
        return self._call("GET", "/created")["incidents"]

    def set_service_status(self, service_id: str, status: str) -> dict[str, Any]:
        return self._call("PATCH", f"/services/{service_id}", {"status": status})

    # demo responders (a demo switch: people answering the pages clients send)
    def set_responders(self, **settings: Any) -> dict[str, Any]:
        return self._call("POST", "/responders", settings)

    def responders(self) -> dict[str, Any]:
        return self._call("GET", "/responders")

    def tick_responders(self) -> list[dict[str, Any]]:
        return self._call("POST", "/responders/tick")["acted"]

    # request log
    def requests(self, recent: int = 100) -> dict[str, Any]:
        return self._call("GET", "/requests", recent=recent)

    def clear_requests(self) -> dict[str, Any]:
        return self._call("DELETE", "/requests")

    # webhooks
    def webhook_deliveries(self, wait: float = 0) -> dict[str, Any]:
        return self._call("GET", "/webhooks/deliveries", wait=wait)

    def wait_webhooks(self, timeout: float = 10) -> list[dict[str, Any]]:
        """Waits until no delivery is queued or retrying; returns every delivery recorded so far."""
        found = self.webhook_deliveries(wait=timeout)
        if not found["idle"]:
            raise SimControlError(f"webhook deliveries still pending after {timeout}s")
        return found["deliveries"]

    def set_webhook_config(
        self, retry_delays: list[float] | None = None, timeout: float | None = None
    ) -> dict[str, Any]:
        body = {k: v for k, v in {"retry_delays": retry_delays, "timeout": timeout}.items() if v is not None}
        return self._call("POST", "/webhooks/config", body)

    def rotate_webhook_secret(self, subscription_id: str) -> dict[str, Any]:
        return self._call("POST", f"/webhook_subscriptions/{subscription_id}/rotate_secret")

    def finish_webhook_rotation(self, subscription_id: str) -> dict[str, Any]:
        return self._call("POST", f"/webhook_subscriptions/{subscription_id}/finish_rotation")
