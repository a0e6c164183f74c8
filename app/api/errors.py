"""One error shape for the whole API: {"error": {"status", "message", "field"?}}, plus "errors"
({field: message}) when a body has several fields at fault."""

from __future__ import annotations

from flask import jsonify
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from app.api import bp
from app.errors import Refused


class ApiError(Exception):
    """Raised anywhere under a view; becomes a JSON error. `field` names the parameter at fault (400s)."""

    def __init__(
        self, status: int, message: str, field: str | None = None, errors: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.errors = errors


def bad_request(field: str, message: str) -> ApiError:
    return ApiError(400, message, field)


@bp.errorhandler(ApiError)
def api_error(exc: ApiError) -> Response:
    body: dict[str, object] = {"status": exc.status, "message": exc.message}
    if exc.field is not None:
        body["field"] = exc.field
    payload: dict[str, object] = {"error": body}
    if exc.errors:
        payload["errors"] = exc.errors
    response = jsonify(payload)
    response.status_code = exc.status
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="vigil"'
    return response


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> Response:
    # A body that is not JSON, a wrong method: still JSON, never the HTML error page.
    field = exc.field if isinstance(exc, Refused) else None
    return api_error(ApiError(exc.code or 500, exc.description or "error", field))
