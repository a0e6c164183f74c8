"""gunicorn's settings for Vigil; `gunicorn 'app:create_app()'` reads this file from the project folder.

The access log leaves query strings and the Referer out: OAuth callbacks carry the authorization `code` and
invitation links the invitation token in their query string, and an access log is kept and shipped widely.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gunicorn.glogging import Logger

from app.logs import redact_request_target

accesslog = "-"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s" %(M)sms'


class VigilLogger(Logger):
    """Also hides the token of invitation links in the older `/invite/<token>` form."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = redact_request_target(atoms["U"] or "")
        return atoms


logger_class = VigilLogger
