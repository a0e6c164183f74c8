"""Small helpers every feature's views share, and the Jinja filters every page shares."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, g, has_request_context, make_response, render_template, session
from htmx_flask import request
from markupsafe import Markup, escape
from werkzeug.routing import IntegerConverter
from werkzeug.wrappers import Response

from app.crypto import decrypt, encrypt
from app.inputs import MAX_ID

NO_DATA = "—"  # a figure without data, never 0

HTMX_HEADERS = ("HX-Request", "HX-Boosted", "HX-History-Restore-Request")


def is_htmx() -> bool:
    """An HTMX request that wants a fragment. A boosted navigation wants the whole page, and so does htmx's
    history restore: after a miss in its history cache, Back re-fetches the pushed URL (htmx 2 sends
    HX-Request with it) and swaps the answer in as the whole body."""
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def show_once(name: str, secret: str) -> None:
    """Keep a secret for the page the browser is redirected to after a POST (redirect-after-POST, so a reload
    never sends the form again). The session cookie carries it encrypted, and reading it removes it."""
    session[f"once:{name}"] = encrypt(secret)


def take_shown_once(name: str) -> str | None:
    sealed = session.pop(f"once:{name}", None)
    return decrypt(sealed) if isinstance(sealed, str) else None


def page_or_partial(page: str, partial: str, status: int = 200, **context: Any) -> Response:
    """The full page includes the partial; an HTMX request gets the partial alone. The same URL answers
    both ways, so caches must key on the headers that decide (Vary)."""
    response = make_response(render_template(partial if is_htmx() else page, **context), status)
    response.vary.update(HTMX_HEADERS)
    return response


def duration(seconds: float | None) -> str:
    """4 m 12 s, 2 h 5 m, 3 d 4 h (two units at most, a zero second unit left out); "—" for no data."""
    if seconds is None:
        return NO_DATA
    total = round(abs(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        text = f"{days} d {hours} h" if hours else f"{days} d"
    elif hours:
        text = f"{hours} h {minutes} m" if minutes else f"{hours} h"
    elif minutes:
        text = f"{minutes} m {secs} s" if secs else f"{minutes} m"
    else:
        text = f"{secs} s"
    return f"-{text}" if seconds < 0 else text


def percent(rate: float | None) -> str:
    """0.125 as "12.5 %", 0.25 as "25 %"; "—" for no data."""
    return NO_DATA if rate is None else f"{rate * 100:.1f} %".replace(".0 %", " %")


def digits_at_most(limit: int) -> str:
    """A regex of the ASCII numbers 0..limit (leading zeros allowed), one alternative per leading digit.

    Bounding the value in the regex, not only in to_python, keeps a too-large id a 404 where another rule on
    the same path has another method: werkzeug answers 405 when the path matched but a converter refused."""
    text = str(limit)
    choices = [f"[0-9]{{1,{len(text) - 1}}}"] if len(text) > 1 else []
    for i, digit in enumerate(text):
        if digit != "0":
            rest = len(text) - i - 1
            tail = f"[0-9]{{{rest}}}" if rest else ""
            choices.append(f"{text[:i]}[0-{int(digit) - 1}]{tail}")
    choices.append(text)
    return f"0*(?:{'|'.join(choices)})"


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: ASCII digits up to MAX_ID, so a larger id (or "٣") is a 404 before any view
    or signature check runs, instead of an overflow in the database driver."""

    regex = digits_at_most(MAX_ID)

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(map, *args, **kwargs)
        self.max = MAX_ID if self.max is None else min(self.max, MAX_ID)


def isolated(text: str) -> str:
    """`text` between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE, for a name inside a sentence built in
    Python (a flash message): a right-to-left override in the name stops at its end, as `<bdi>` does."""
    return f"\u2068{text}\u2069"


# Where a page has no workspace (the account page of a person without one), times are shown in UTC.
FALLBACK_ZONE = "UTC"


def display_zone() -> str:
    """The current workspace's zone, else UTC. Read from the request rather than the template context so
    macros imported without context and HTMX partials rendered on their own follow the same rule as pages."""
    membership = g.get("membership") if has_request_context() else None
    return membership.workspace.timezone if membership is not None else FALLBACK_ZONE


def local_time(instant: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """`instant` (an aware UTC datetime) in the page's zone; the one way templates show a date or time."""
    if instant is None:
        return "—"
    return instant.astimezone(ZoneInfo(display_zone())).strftime(fmt)


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


def init_app(app: Flask) -> None:
    # Before any blueprint adds its rules: each rule binds its converters when it is added.
    app.url_map.converters["int"] = IdConverter
    app.jinja_env.filters.update(duration=duration, percent=percent, local_time=local_time, isolate=isolate)
    # base.html names the zone once per page, so no timestamp has to carry it.
    app.context_processor(lambda: {"display_zone": display_zone()})
