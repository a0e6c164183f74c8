"""Classic offset pagination and query-string encoding (API-NOTES §0 and §1)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from .errors import PaginationLimitError

# API-NOTES §1.1: limit "cannot exceed 100"; offset+limit "cannot exceed 10000" or the API answers 400.
PAGE_LIMIT = 100
MAX_OFFSET_PLUS_LIMIT = 10_000

ParamValue = str | int | bool | datetime | Sequence[str] | None
Params = Mapping[str, ParamValue]
QueryPairs = list[tuple[str, str]]
GetJson = Callable[[str, QueryPairs], dict[str, Any]]


def to_utc(moment: datetime) -> datetime:
    # A naive datetime would be guessed at; PagerDuty itself would read it in the account's zone (§2.5).
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"timestamps sent to PagerDuty must be timezone-aware, not {moment.isoformat()}")
    return moment.astimezone(UTC)


def format_utc(moment: datetime) -> str:
    """`2024-01-31T00:00:00Z`: /change_events rejects anything but Z (§2.9), so all we send is UTC."""
    return to_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def encode_params(params: Params) -> QueryPairs:
    """Query pairs in a stable order; a list becomes a repeated `key[]=v` (§0: `statuses[]`, `include[]`)."""
    pairs: QueryPairs = []
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, str | int | bool | datetime):
            pairs.append((key, _scalar(value)))
        else:
            array_key = key if key.endswith("[]") else f"{key}[]"
            pairs.extend((array_key, str(item)) for item in value)
    return pairs


def has_more(envelope: Mapping[str, Any]) -> bool:
    # API-NOTES §1.3: /change_events answers `"more": false` with null limit/offset/total; missing is the end.
    return envelope.get("more") is True


def items_of(envelope: Mapping[str, Any], collection: str) -> list[dict[str, Any]]:
    items = envelope.get(collection)
    if items is None:
        return []
    if not isinstance(items, list):
        raise TypeError(f"expected a list under {collection!r}, got {type(items).__name__}")
    return items


def iter_envelopes(
    get: GetJson, path: str, params: Params, *, total_on_first: bool = False
) -> Iterator[dict[str, Any]]:
    """Yield each response envelope of a classic-paginated list, 100 at a time.

    Raises PaginationLimitError instead of asking past offset+limit 10,000.
    """
    base = encode_params(params)
    offset = 0
    while True:
        if offset + PAGE_LIMIT > MAX_OFFSET_PLUS_LIMIT:
            raise PaginationLimitError(
                f"{path} has more than {MAX_OFFSET_PLUS_LIMIT} results; narrow the filter or the time window",
                request=f"GET {path}",
            )
        # API-NOTES §1.1: total=true costs the API time, so it is asked for only when a caller needs it.
        total = [("total", "true")] if total_on_first and offset == 0 else []
        envelope = get(path, [*base, ("limit", str(PAGE_LIMIT)), ("offset", str(offset)), *total])
        yield envelope
        if not has_more(envelope):
            return
        offset += PAGE_LIMIT


def _scalar(value: str | int | bool | datetime) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_utc(value)
    return str(value)


def iter_full_pages(
    get: GetJson, path: str, collection: str, params: Params
) -> Iterator[list[dict[str, Any]]]:
    """Offset paging for endpoints whose `more` cannot be trusted: a full page means "ask for the next one".

    API-NOTES §1.3: `GET /change_events` answers `more: false` with null paging fields; whether it honours
    `limit` is undocumented. Stopping at `more: false` would drop every event after the first page when it
    does, so only a short page ends the list (one extra request when the last page happens to be full).
    """
    base = encode_params(params)
    offset = 0
    while True:
        if offset + PAGE_LIMIT > MAX_OFFSET_PLUS_LIMIT:
            raise PaginationLimitError(
                f"{path} has more than {MAX_OFFSET_PLUS_LIMIT} results; narrow the time window",
                request=f"GET {path}",
            )
        items = items_of(get(path, [*base, ("limit", str(PAGE_LIMIT)), ("offset", str(offset))]), collection)
        yield items
        if len(items) < PAGE_LIMIT:
            return
        offset += PAGE_LIMIT
