"""Friendly error pages, and JSON errors for the API and health endpoints."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, HTTPException, InternalServerError
from werkzeug.wrappers import Response

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Bad request", "Something in that request was not right. Go back and try again."),
    403: ("Not allowed", "Your role in this workspace does not allow this. Ask an owner or admin."),
    404: ("Not found", "There is nothing here, or it belongs to another workspace."),
    405: ("Not allowed", "That action is not available here."),
    413: ("Too large", "That request is larger than Vigil accepts (2 MB)."),
    429: ("Slow down", "Too many requests. Wait a moment and try again."),
    500: ("Something went wrong", "Vigil hit an error. It has been logged; try again in a moment."),
}


class Refused(BadRequest):
    """A 400 whose description is a sentence for the person who sent the request (shown as is), naming the
    field or parameter at fault when there is one (the API's error shape carries it)."""

    def __init__(self, description: str, field: str | None = None) -> None:
        super().__init__(description)
        self.field = field


def _wants_json() -> bool:
    return (
        request.path.startswith(("/api/", "/webhooks/"))
        or request.accept_mimetypes.best == "application/json"
    )


def _render(status: int, detail: str | None = None, field: str | None = None) -> tuple[Response | str, int]:
    title, message = MESSAGES.get(status, MESSAGES[500] if status >= 500 else MESSAGES[400])
    if _wants_json():
        error: dict[str, object] = {"status": status, "message": detail or message}
        if field is not None:
            error["field"] = field
        return jsonify({"error": error}), status
    return render_template("errors/error.html", status=status, title=title, message=detail or message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> tuple[Response | str, int]:
        return _render(400, "Your form expired or came from elsewhere. Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Response | str, int] | HTTPException:
        if exc.code is None or exc.code < 400:
            return exc
        if isinstance(exc, Refused):
            return _render(exc.code, exc.description, exc.field)
        return _render(exc.code)

    @app.errorhandler(InternalServerError)
    def server_error(exc: InternalServerError) -> tuple[Response | str, int]:
        log.error("unhandled error on %s %s", request.method, request.path, exc_info=exc.original_exception)
        return _render(500)
