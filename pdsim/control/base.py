"""Shared pieces of the control API: the blueprint, JSON bodies and errors."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from pdsim.sim import Simulator

control = Blueprint("control", __name__, url_prefix="/_sim")


class ControlError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@control.errorhandler(ControlError)
def _control_error(exc: ControlError) -> Response:
    resp = jsonify({"error": str(exc)})
    resp.status_code = exc.status
    return resp


def sim() -> Simulator:
    return current_app.extensions["pdsim"]


def body() -> dict[str, Any]:
    if not request.data:
        return {}
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ControlError("the body must be a JSON object")
    return data


def user_id_from(data: dict[str, Any], default: str | None = None) -> str | None:
    """A user given as `user_id` or `user_email`."""
    d = sim().directory
    if data.get("user_id"):
        if data["user_id"] not in d.users:
            raise ControlError(f"unknown user {data['user_id']}")
        return str(data["user_id"])
    if data.get("user_email"):
        user = d.users_by_email.get(str(data["user_email"]).lower())
        if user is None:
            raise ControlError(f"unknown user {data['user_email']}")
        return str(user["id"])
    return default
