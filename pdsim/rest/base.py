"""The REST blueprint and what runs around every REST request: region, authentication, rate limits.

Order matters and follows PagerDuty: a request to the wrong region or with bad credentials is a 401 before
anything else (API-NOTES §5.4, §8.2); an authenticated request is counted against its rate limits and
carries `ratelimit-*` headers whatever its outcome (§4); scopes are checked by each view (403).
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from flask import Blueprint, Response, current_app, g, request

from pdsim.render.refs import Ctx
from pdsim.rest.auth import Principal, authenticate
from pdsim.rest.errors import ApiError, unauthorized
from pdsim.sim import Simulator

api = Blueprint("api", __name__)

# Operation-specific limits (API-NOTES §4), per account.
OPERATION_LIMITS = {"api.create_incident": "post_incidents", "api.update_incidents": "put_incidents"}


def sim() -> Simulator:
    return current_app.extensions["pdsim"]


def principal() -> Principal:
    return g.principal


def api_base() -> str:
    """The base the client called (`…/eu` for Europe): `self` links lead back to the same place."""
    return request.host_url.rstrip("/") + request.script_root


def ctx(include: frozenset[str] = frozenset(), tz: tzinfo | None = None) -> Ctx:
    return sim().ctx(api_base(), tz, include)


def body_json() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, 2001, "The request body must be a JSON object")
    return data


@api.before_request
def _gate() -> None:
    s = sim()
    if request.environ.get("pdsim.region", "us") != s.params.region:
        raise unauthorized()
    g.principal = authenticate(s.store, request.headers.get("Authorization"), s.clock.now())
    limits = s.limiter.limits
    buckets = [(g.principal.rate_key, limits.per_token)]
    operation = OPERATION_LIMITS.get(request.endpoint or "")
    if operation:
        buckets.append((f"account:{operation}", getattr(limits, operation)))
    verdict = s.limiter.hit(buckets)
    if not verdict.allowed:
        if verdict.bare:
            raise ApiError(429, None, raw=b"")
        raise ApiError(429, 2020, headers=verdict.headers)
    g.ratelimit_headers = verdict.headers


@api.after_request
def _rate_headers(resp: Response) -> Response:
    for key, value in getattr(g, "ratelimit_headers", {}).items():
        resp.headers.setdefault(key, value)
    return resp
