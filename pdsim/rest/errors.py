"""The error envelope `{"error": {"message", "code", "errors"}}` and PagerDuty's codes (API-NOTES §3)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

MESSAGES = {
    1001: "Incident Already Resolved",
    1002: "Incident Already Acknowledged",
    1003: "Invalid Status Provided",
    1004: "Invalid ID Provided",
    1008: "Requester User Not Found",
    2000: "Internal Error",
    2001: "Invalid Input Provided",
    2002: "Arguments Caused Error",
    2003: "Missing Arguments",
    2004: "Invalid 'since' or 'until' parameter",
    2005: "Invalid Query Date Range",
    2006: "Authentication failed",
    2010: "Access Denied",
    2014: "Missing Account Ability",
    2020: "Rate Limit Exceeded",
    2100: "Not Found",
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: int | None,
        *errors: str,
        message: str | None = None,
        headers: dict[str, str] | None = None,
        raw: Any = None,
    ) -> None:
        super().__init__(message or MESSAGES.get(code or 0, "Error"))
        self.status = status
        self.code = code
        self.errors = list(errors)
        self.message = message or MESSAGES.get(code or 0, "Error")
        self.headers = headers or {}
        self.raw = raw

    def body(self) -> Any:
        if self.raw is not None:
            return self.raw
        error: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            error["errors"] = self.errors
        return {"error": error}

    def response(self) -> Response:
        if isinstance(self.raw, bytes):  # e.g. a 429 with neither headers nor body (API-NOTES §4)
            return Response(self.raw, status=self.status)
        resp = jsonify(self.body())
        resp.status_code = self.status
        for k, v in self.headers.items():
            resp.headers[k] = v
        return resp


def bad_request(*errors: str, code: int = 2001) -> ApiError:
    return ApiError(400, code, *errors)


def not_found(what: str = "") -> ApiError:
    return ApiError(404, 2100, *([f"{what} not found"] if what else []))


def unauthorized() -> ApiError:
    # API-NOTES §8.2: message text assumed; the code is PagerDuty's documented 2006.
    return ApiError(401, 2006)


def forbidden(*errors: str) -> ApiError:
    return ApiError(403, 2010, *errors)
