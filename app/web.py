"""Small helpers every feature's views share."""

from __future__ import annotations

from typing import Any

from flask import render_template, request


def is_htmx() -> bool:
    """An HTMX request that wants a fragment (a boosted navigation wants the whole page)."""
    return request.headers.get("HX-Request") == "true" and request.headers.get("HX-Boosted") != "true"


def page_or_partial(page: str, partial: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """The full page includes the partial; an HTMX request gets the partial alone."""
    return render_template(partial if is_htmx() else page, **context), status


def isolated(text: str) -> str:
    """`text` between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE, for a name inside a sentence built in
    Python (a flash message): a right-to-left override in the name stops at its end, as `<bdi>` does."""
    return f"\u2068{text}\u2069"
