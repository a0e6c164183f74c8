"""API-key authentication: `Authorization: Bearer vgl_…` names the key, and the key names the workspace."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import g, request

from app.accounts import api_keys as keys
from app.api.errors import ApiError
from app.models import Workspace

P = ParamSpec("P")
R = TypeVar("R")


def api_key_required(view: Callable[P, R]) -> Callable[P, R]:
    """A valid, unrevoked key; anything else is a 401 in JSON (never a login redirect)."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "Send an API key as 'Authorization: Bearer <key>'.")
        key = keys.verify_key(token.strip())
        if key is None:
            raise ApiError(401, "This API key is not valid, or it was revoked.")
        g.api_key = key
        keys.touch(key)
        return view(*args, **kwargs)

    wrapper.access = "api"  # type: ignore[attr-defined]
    return wrapper


def current_api_workspace() -> Workspace:
    return g.api_key.workspace
