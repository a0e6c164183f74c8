"""Logging set-up: one format for web and workers, with the RQ job id when there is one."""

from __future__ import annotations

import logging
import re

from flask import Flask
from rq import get_current_job

from config import Settings


class _JobIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            job = get_current_job()
        except Exception:  # outside a worker there is no job; logging must never fail
            job = None
        record.job_id = job.id if job is not None else "-"
        return True


_QUERY = re.compile(r'\?[^ "]*')
# Invitation links made before the token moved to the query string carry it in the path.
_INVITE_PATH = re.compile(r'/invite/[^/ ?"]+')


def redact_request_target(text: str) -> str:
    """A request line or path without its query string (OAuth codes, invitation tokens) or path token."""
    return _INVITE_PATH.sub("/invite/[token]", _QUERY.sub("", text))


class _NoQueryStrings(logging.Filter):
    """Redacts the development server's request lines (gunicorn.conf.py does the same for gunicorn)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_request_target(message)
        if redacted != message:
            record.msg = redacted
            record.args = ()
        return True


_NO_QUERY_STRINGS = _NoQueryStrings()


def configure(app: Flask, settings: Settings) -> None:
    root = logging.getLogger()
    if not any(getattr(h, "_vigil", False) for h in root.handlers):
        handler = logging.StreamHandler()
        handler._vigil = True  # type: ignore[attr-defined]
        handler.addFilter(_JobIdFilter())
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s [%(job_id)s] %(name)s: %(message)s")
        )
        root.addHandler(handler)
    root.setLevel(settings.log_level)
    # urllib3 logs full URLs at DEBUG; keep it quiet so nothing sensitive leaks through query strings.
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    # Authlib logs OAuth request data (the PKCE code_verifier among it) at DEBUG.
    logging.getLogger("authlib").setLevel(logging.INFO)
    logging.getLogger("werkzeug").addFilter(_NO_QUERY_STRINGS)
    app.logger.setLevel(settings.log_level)
