"""Stored webhook subscriptions: the secret is returned once, on create; reads redact it (API-NOTES §6.1)."""

from __future__ import annotations

import json
import random
import secrets
import sqlite3
from dataclasses import dataclass
from typing import Any

from pdsim.ids import entity_id

REDACTED = "-- redacted --"


@dataclass
class Subscription:
    id: str
    body: dict[str, Any]
    secret: str
    previous_secret: str | None
    temporarily_disabled: bool

    @property
    def active(self) -> bool:
        return bool(self.body.get("active", True)) and not self.temporarily_disabled

    @property
    def url(self) -> str:
        return str(self.body["delivery_method"]["url"])

    def wants(self, event_type: str, service_id: str, team_ids: list[str]) -> bool:
        if event_type not in self.body.get("events", []) and event_type != "pagey.ping":
            return False
        flt = self.body.get("filter") or {}
        kind = flt.get("type")
        if kind == "service_reference":
            return flt.get("id") == service_id
        if kind == "team_reference":
            return flt.get("id") in team_ids
        return True

    def render(self, reveal_secret: bool = False) -> dict[str, Any]:
        body = json.loads(json.dumps(self.body))
        method = body["delivery_method"]
        method["secret"] = self.secret if reveal_secret else None
        method["temporarily_disabled"] = self.temporarily_disabled
        if not reveal_secret:
            method["custom_headers"] = [
                {"name": h["name"], "value": REDACTED} for h in method["custom_headers"]
            ]
        return {**body, "id": self.id, "type": "webhook_subscription"}


def _from_row(row: sqlite3.Row) -> Subscription:
    return Subscription(
        row["id"],
        json.loads(row["body"]),
        row["secret"],
        row["previous_secret"],
        bool(row["temporarily_disabled"]),
    )


def new_secret() -> str:
    return secrets.token_urlsafe(36)


def create(conn: sqlite3.Connection, body: dict[str, Any]) -> Subscription:
    taken = {r[0] for r in conn.execute("SELECT id FROM webhook_subscriptions")}
    rng = random.Random(secrets.randbits(64))
    sid = entity_id(rng, taken)
    body["delivery_method"]["id"] = entity_id(rng, taken)
    seq = int(
        conn.execute("SELECT coalesce(max(created_seq), 0) + 1 FROM webhook_subscriptions").fetchone()[0]
    )
    secret = new_secret()
    conn.execute(
        "INSERT INTO webhook_subscriptions VALUES (?, ?, ?, NULL, 0, ?)", (sid, json.dumps(body), secret, seq)
    )
    return Subscription(sid, body, secret, None, False)


def get(conn: sqlite3.Connection, sid: str) -> Subscription | None:
    row = conn.execute("SELECT * FROM webhook_subscriptions WHERE id = ?", (sid,)).fetchone()
    return _from_row(row) if row else None


def all_(conn: sqlite3.Connection) -> list[Subscription]:
    return [_from_row(r) for r in conn.execute("SELECT * FROM webhook_subscriptions ORDER BY created_seq")]


def save(conn: sqlite3.Connection, sub: Subscription) -> None:
    conn.execute(
        "UPDATE webhook_subscriptions SET body = ?, secret = ?, previous_secret = ?, "
        "temporarily_disabled = ? "
        "WHERE id = ?",
        (json.dumps(sub.body), sub.secret, sub.previous_secret, int(sub.temporarily_disabled), sub.id),
    )


def delete(conn: sqlite3.Connection, sid: str) -> bool:
    return conn.execute("DELETE FROM webhook_subscriptions WHERE id = ?", (sid,)).rowcount > 0
