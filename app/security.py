"""Response headers, proxy trust, the safe-redirect rule and the last guard against NUL characters."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, has_request_context, request
from flask_login import current_user
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from werkzeug.middleware.proxy_fix import ProxyFix

from app.errors import Refused
from config import Settings

NUL_IN_ADDRESS = (
    "The address's {name} parameter contains a NUL character (%00), which no Vigil page accepts. "
    "Remove it and try again."
)
NUL_IN_FORM = "The form contains a NUL character, which Vigil cannot store. Remove it and try again."


def content_security_policy(settings: Settings) -> str:
    # Only our own scripts and styles: htmx and our JS are vendored files, nothing inline. Form posts may go
    # on to PagerDuty's identity host because the OAuth link starts with a form post that redirects there.
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "font-src 'self'; object-src 'none'; base-uri 'self'; "
        f"form-action 'self' {settings.pagerduty_identity_url}; frame-ancestors 'none'"
    )


def init_app(app: Flask, settings: Settings) -> None:
    if n := settings.trusted_proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    csp = content_security_policy(settings)
    if not event.contains(Session, "before_flush", refuse_nul_in_rows):
        event.listen(Session, "before_flush", refuse_nul_in_rows)

    @app.before_request
    def refuse_nul_in_address() -> None:
        # Each form and filter validates its own values; this catches the ones none looks at, before
        # PostgreSQL (which refuses NUL in text) turns them into a 500 in some query.
        for key, value in request.args.items(multi=True):
            if "\x00" in key or "\x00" in value:
                name = key.replace("\x00", "")
                raise Refused(NUL_IN_ADDRESS.format(name=f"“{name}”"), field=name)

    @app.after_request
    def set_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html" and current_user.is_authenticated:
            # A signed-in page shows workspace data: no shared or back-button cache may keep it.
            response.headers["Cache-Control"] = "no-store"
        if settings.secure_cookies:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response


def is_safe_next(target: str | None) -> bool:
    """Only local paths: no scheme, no host, no protocol-relative `//evil`, no backslash tricks."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def refuse_nul_in_rows(session: Session, flush_context: Any, instances: Any) -> None:
    """The backstop for a form value no validator looked at: on SQLite a NUL would be stored silently and
    on PostgreSQL it fails the statement; in a request both become one 400 with a sentence."""
    if not has_request_context():
        return
    for row in (*session.new, *session.dirty):
        if any(isinstance(value, str) and "\x00" in value for value in inspect(row).dict.values()):
            raise Refused(NUL_IN_FORM)
