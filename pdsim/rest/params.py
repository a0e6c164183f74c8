"""Query-string parsing shared by list endpoints: pagination, set filters, include[], booleans, time zones.

Set filters repeat the key with `[]` (API-NOTES §0); classic pagination defaults to 25, caps `limit` at 100
and refuses offset+limit past 10,000 (§1.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from flask import request

from pdsim.rest.errors import bad_request
from pdsim.timeutil import zone

MAX_LIMIT = 100
DEFAULT_LIMIT = 25
OFFSET_CAP = 10_000
CAP_MESSAGE = (
    "Offset+limit exceeds maximum allowed value of 10000. Please try to refine your search to reduce "
    "the returned set of records below this number, like adding a date range"
)


def values(name: str) -> list[str]:
    """`name[]` repeated; a bare `name=` is not read (PagerDuty documents only the bracketed form)."""
    return [v for v in request.args.getlist(f"{name}[]") if v != ""]


def checked_values(name: str, allowed: set[str] | frozenset[str]) -> list[str]:
    found = values(name)
    for v in found:
        if v not in allowed:
            raise bad_request(f"{name}[] {v!r} is not one of {sorted(allowed)}")
    return found


def boolean(name: str, default: bool = False) -> bool:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    low = raw.lower()
    if low in ("1", "true"):
        return True
    if low in ("0", "false"):
        return False
    raise bad_request(f"{name} must be true or false")


def includes(allowed: set[str] | frozenset[str]) -> frozenset[str]:
    return frozenset(checked_values("include", allowed))


def time_zone() -> tzinfo | None:
    raw = request.args.get("time_zone")
    if not raw:
        return None
    try:
        return zone(raw)
    except ValueError:
        raise bad_request(f"time_zone {raw!r} is invalid") from None


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int
    total: bool

    def envelope(self, key: str, items: list[Any], more: bool, total: int | None) -> dict[str, Any]:
        return {
            key: items,
            "limit": self.limit,
            "offset": self.offset,
            "more": more,
            "total": total if self.total else None,
        }


def page(default_limit: int = DEFAULT_LIMIT) -> Page:
    def integer(name: str, default: int) -> int:
        raw = request.args.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise bad_request(f"{name} must be an integer") from None

    limit = integer("limit", default_limit)
    offset = integer("offset", 0)
    if limit < 1 or offset < 0:
        raise bad_request("limit must be positive and offset not negative")
    # A larger limit is silently lowered to 100 and echoed, as PagerDuty does; clients must read `limit`.
    limit = min(limit, MAX_LIMIT)
    if offset + limit > OFFSET_CAP:
        raise bad_request(CAP_MESSAGE)
    return Page(limit, offset, boolean("total"))


def slice_page(pg: Page, items: list[Any]) -> dict[str, Any]:
    """Paginate an in-memory list (small collections: users, services, teams, …)."""
    chunk = items[pg.offset : pg.offset + pg.limit]
    return {"items": chunk, "more": pg.offset + len(chunk) < len(items), "total": len(items)}


def arg(name: str) -> str | None:
    """A plain (non-list) query argument, or None when absent or empty."""
    raw = request.args.get(name)
    return raw if raw else None
