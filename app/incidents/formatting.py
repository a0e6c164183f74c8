"""Jinja filters every page shares: durations, instants in the workspace's zone, and text others typed."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import g, has_request_context
from markupsafe import Markup, escape

from app.incidents import bp
from app.web import duration, percent

bp.app_template_filter("duration")(duration)
bp.app_template_filter("percent")(percent)

# Where a page has no workspace (the account page of a person without one), times are shown in UTC.
FALLBACK_ZONE = "UTC"


def display_zone() -> str:
    """The current workspace's zone, else UTC. Read from the request rather than the template context so
    macros imported without context and HTMX partials rendered on their own follow the same rule as pages."""
    membership = g.get("membership") if has_request_context() else None
    return membership.workspace.timezone if membership is not None else FALLBACK_ZONE


@bp.app_context_processor
def inject_display_zone() -> dict[str, str]:
    # base.html names the zone once per page, so no timestamp has to carry it.
    return {"display_zone": display_zone()}


@bp.app_template_filter("local_time")
def local_time(instant: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """`instant` (an aware UTC datetime) in the page's zone; the one way templates show a date or time."""
    if instant is None:
        return "—"
    return instant.astimezone(ZoneInfo(display_zone())).strftime(fmt)


@bp.app_template_filter("isolate")
def isolate(value: Any, limit: int | None = None) -> Markup:
    """Text a person or PagerDuty supplied as its own bidi island: `<bdi>` ends a right-to-left override at
    its edge. With `limit`, a longer value is cut with "…" and shown whole on hover, so one hostile value
    cannot stretch a table."""
    if value is None:
        return Markup("")
    text = str(value)
    if limit is not None and len(text) > limit:
        return Markup('<bdi class="ut" title="{}">{}…</bdi>').format(text, text[: limit - 1])
    return Markup('<bdi class="ut">{}</bdi>').format(escape(text))
