"""The one seam through which Vigil talks to PagerDuty's REST API v2 (§: shared/pagerduty/API-NOTES.md).

Entity helpers return the unwrapped entity (`{"incident": {...}}` → the incident dict); every failure is a
PagerDutyError (errors.py); retries, rate limits and the OAuth refresh live in the base class (transport.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from itertools import chain
from typing import Any, Literal
from urllib.parse import quote

from .errors import PagerDutyError, is_already_resolved_error
from .pagination import (
    Params,
    WindowPage,
    encode_params,
    items_of,
    iter_envelopes,
    iter_window_pages,
    split_windows,
)
from .transport import ClientStats, Transport

logger = logging.getLogger(__name__)

Urgency = Literal["high", "low"]
CHANGE_EVENT_WINDOW = timedelta(days=7)


class PagerDutyClient(Transport):
    def adopt_stats(self, stats: ClientStats) -> None:
        """Take over the counts of this client's copy in a download process (the copy made every request)."""
        self.stats = stats

    @contextmanager
    def refreshing_through(self, route: Callable[[Callable[[], str]], Callable[[], str]]) -> Iterator[None]:
        """While requests are made elsewhere, refresh the OAuth token through `route(refresh)`.

        The refresh writes the account row and commits, so it must run where the session is owned; `route`
        returns a stand-in that gets it done there. The owner's own later requests use the new token too.
        """
        refresh = self.refresh_token
        if refresh is None:
            yield
            return

        def refresh_here() -> str:
            token = refresh()
            self.use_token(token)
            return token

        self.refresh_token = route(refresh_here)
        try:
            yield
        finally:
            self.refresh_token = refresh

    def get(self, path: str, params: Params | None = None) -> dict[str, Any]:
        return self.get_json(path, encode_params(params or {}))

    def iter_pages(
        self, path: str, collection: str, params: Params | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of a classic list; raises PaginationLimitError rather than pass offset+limit 10,000."""
        for envelope in iter_envelopes(self.get_json, path, params or {}):
            yield items_of(envelope, collection)

    def get_current_user(self, include: Sequence[str] = ()) -> dict[str, Any]:
        # API-NOTES §2.1: an account-level token gets a 400 whose `error` is a string (-> .message).
        return _unwrap(self.get("/users/me", {"include": include}), "user")

    def list_users(self, include: Sequence[str] = ()) -> list[dict[str, Any]]:
        # API-NOTES §2.2
        return self._collect("/users", "users", {"include": include})

    def list_services(self, include: Sequence[str] = ()) -> list[dict[str, Any]]:
        # API-NOTES §2.3
        return self._collect("/services", "services", {"include": include})

    def get_service(self, service_id: str, include: Sequence[str] = ()) -> dict[str, Any]:
        # API-NOTES §2.3
        return _unwrap(self.get(f"/services/{_segment(service_id)}", {"include": include}), "service")

    def list_teams(self) -> list[dict[str, Any]]:
        # API-NOTES §2.4: 402 when the account lacks the `teams` ability.
        return self._collect("/teams", "teams")

    def list_priorities(self) -> list[dict[str, Any]]:
        # API-NOTES §2.13
        return self._collect("/priorities", "priorities")

    def list_escalation_policies(self) -> list[dict[str, Any]]:
        # API-NOTES §2.13
        return self._collect("/escalation_policies", "escalation_policies")

    def list_incidents(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        all_dates: bool = False,
        statuses: Sequence[str] = (),
        service_ids: Sequence[str] = (),
        team_ids: Sequence[str] = (),
        incident_key: str | None = None,
        include: Sequence[str] = (),
    ) -> Iterator[dict[str, Any]]:
        """Incidents one by one: created in [since, until) (windowed, any length), or over all dates.

        API-NOTES §2.5: with neither, PagerDuty silently returns only about the last month.
        """
        filters: dict[str, Any] = {
            "statuses": statuses,
            "service_ids": service_ids,
            "team_ids": team_ids,
            "incident_key": incident_key,
            "include": include,
        }
        if since is not None and until is not None and not all_dates:
            return chain.from_iterable(page.items for page in self.iter_incident_pages(since, until, filters))
        if all_dates and since is None and until is None:
            return chain.from_iterable(
                self.iter_pages("/incidents", "incidents", {**filters, "date_range": "all"})
            )
        raise ValueError("list_incidents needs either both since and until, or all_dates=True")

    def iter_incident_pages(
        self, since: datetime, until: datetime, params: Params | None = None
    ) -> Iterator[WindowPage]:
        # API-NOTES §2.5: ≤ 6 months per request; time_zone=UTC, else since/until use the account's zone.
        get = self.get_json
        return iter_window_pages(get, "/incidents", "incidents", since, until, params or {})

    def get_incident(self, incident_id: str, include: Sequence[str] = ()) -> dict[str, Any]:
        # API-NOTES §2.6: accepts an incident id or number.
        return _unwrap(self.get(f"/incidents/{_segment(incident_id)}", {"include": include}), "incident")

    def iter_log_entry_pages(
        self, since: datetime, until: datetime, include: Sequence[str] = ()
    ) -> Iterator[WindowPage]:
        # API-NOTES §2.8: account-wide; the default window is undocumented, so both ends are always sent.
        get = self.get_json
        return iter_window_pages(get, "/log_entries", "log_entries", since, until, {"include": include})

    def list_incident_log_entries(
        self, incident_id: str, include: Sequence[str] = ()
    ) -> list[dict[str, Any]]:
        # API-NOTES §2.7: time_zone defaults to the account's; ask for UTC like everywhere else.
        path = f"/incidents/{_segment(incident_id)}/log_entries"
        return self._collect(path, "log_entries", {"time_zone": "UTC", "include": include})

    def list_change_events(self, since: datetime, until: datetime) -> Iterator[dict[str, Any]]:
        # API-NOTES §2.9: since/until must be `…Z` (400 otherwise); §1.3: `more` is always false, so a full
        # page is taken to mean there may be more. Week-long windows keep each under the 10,000 offset cap.
        for window in split_windows(since, until, lambda start: start + CHANGE_EVENT_WINDOW):
            envelopes = iter_envelopes(
                self.get_json, "/change_events", window.params(), full_pages_of="change_events"
            )
            yield from chain.from_iterable(items_of(envelope, "change_events") for envelope in envelopes)

    def create_incident(
        self,
        service_id: str,
        title: str,
        *,
        urgency: Urgency,
        body_details: str | None,
        incident_key: str,
        escalation_policy_id: str | None = None,
        priority_id: str | None = None,
    ) -> dict[str, Any]:
        """Create an incident; a 400 that `is_duplicate_key_error` means one with this key is already open."""
        incident: dict[str, Any] = {
            "type": "incident",
            "title": title,
            "service": {"id": service_id, "type": "service_reference"},
            "urgency": urgency,
            "incident_key": incident_key,
        }
        if body_details is not None:
            # API-NOTES §2.10: only string bodies are supported, whatever the SPEC's object type says.
            incident["body"] = {"type": "incident_body", "details": body_details}
        if escalation_policy_id is not None:
            policy = {"id": escalation_policy_id, "type": "escalation_policy_reference"}
            incident["escalation_policy"] = policy
        if priority_id is not None:
            incident["priority"] = {"id": priority_id, "type": "priority_reference"}
        # API-NOTES §2.10: needs `From`; a retry after a lost response is safe because of incident_key.
        return _unwrap(self.write("POST", "/incidents", {"incident": incident}), "incident")

    def resolve_incident(self, incident_id: str, resolution: str | None = None) -> dict[str, Any] | None:
        """Resolve an incident and return it, or None if it was already resolved (400 with code 1001)."""
        incident: dict[str, Any] = {"type": "incident_reference", "status": "resolved"}
        if resolution is not None:
            incident["resolution"] = resolution
        path = f"/incidents/{_segment(incident_id)}"
        try:
            # API-NOTES §2.11: needs `From`; re-resolving is undocumented, code 1001 means it is done already.
            document = self.write("PUT", path, {"incident": incident})
        except PagerDutyError as err:
            if is_already_resolved_error(err):
                logger.info("PagerDuty incident %s was already resolved", incident_id)
                return None
            raise
        return _unwrap(document, "incident")

    def find_open_incident_by_key(self, service_id: str, incident_key: str) -> dict[str, Any] | None:
        # API-NOTES §2.10: adopt the open incident after a duplicate-key 400 (code 2002); §2.5: date_range=all
        # because it may be older than the default one-month window.
        params = {
            "incident_key": incident_key,
            "service_ids": [service_id],
            "statuses": ["triggered", "acknowledged"],
            "date_range": "all",
        }
        first_page = next(self.iter_pages("/incidents", "incidents", params), [])
        return first_page[0] if first_page else None

    def create_webhook_subscription(
        self, url: str, events: Sequence[str], filter: Mapping[str, str], description: str
    ) -> dict[str, Any]:
        """Create a v3 subscription; store `delivery_method.secret` now, no later response carries it."""
        subscription = {
            "type": "webhook_subscription",
            "delivery_method": {"type": "http_delivery_method", "url": url},
            "events": list(events),
            "filter": dict(filter),
            "description": description,
            "active": True,
        }
        # API-NOTES §6.1: answers 200 (not 201); the secret is only in this response.
        body = {"webhook_subscription": subscription}
        document = self.write("POST", "/webhook_subscriptions", body)
        return _unwrap(document, "webhook_subscription")

    def delete_webhook_subscription(self, subscription_id: str) -> None:
        # API-NOTES §6.1, §0: delete answers 204.
        self.write("DELETE", f"/webhook_subscriptions/{_segment(subscription_id)}", None)

    def _collect(self, path: str, collection: str, params: Params | None = None) -> list[dict[str, Any]]:
        return list(chain.from_iterable(self.iter_pages(path, collection, params)))


def _unwrap(document: Mapping[str, Any] | None, key: str) -> dict[str, Any]:
    # API-NOTES §0: responses wrap the entity under its singular name.
    entity = document.get(key) if document else None
    if not isinstance(entity, dict):
        raise PagerDutyError(f"response has no {key!r} object")
    return entity


def _segment(resource_id: str) -> str:
    # An id is one path segment; quoting keeps a stray "/" or "?" from changing the request.
    return quote(resource_id, safe="")
