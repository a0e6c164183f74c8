"""The Flask application: REST (both region bases), identity server and control API."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from pdsim import control, rest
from pdsim.oauth.views import oauth
from pdsim.rest.errors import ApiError
from pdsim.sim import Simulator


def create_app(sim: Simulator) -> Flask:
    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.compact = True  # type: ignore[attr-defined]
    app.extensions["pdsim"] = sim
    app.register_blueprint(rest.blueprint())
    app.register_blueprint(oauth)
    app.register_blueprint(control.blueprint())
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    app.before_request(_remember_route)
    return app


def _api_error(exc: ApiError) -> Response:
    return exc.response()


def _http_error(exc: HTTPException) -> Any:
    """Unknown paths and methods answer in PagerDuty's JSON envelope, not HTML."""
    status = exc.code or 500
    code = 2100 if status == 404 else 2000
    resp = jsonify({"error": {"message": "Not Found" if status == 404 else exc.name, "code": code}})
    resp.status_code = status
    return resp


def _remember_route() -> None:
    """The matched route template, for the per-endpoint request counts in `/_sim/requests`."""
    if request.url_rule is not None:
        request.environ["pdsim.route"] = request.url_rule.rule
