"""Every CSV Vigil writes: formula-safe cells, streamed, and never a cut-off file that looks complete.

A cell a spreadsheet could read as a formula gets a leading apostrophe (OWASP "CSV injection"): incident
titles come from alerts anyone can send. A streamed file has sent its 200 before the last row is made, so the
first rows are computed before the response starts (a failing query is an error page), and a later failure
ends the file with a line saying it is incomplete, then breaks the transfer.
"""

from __future__ import annotations

import csv
import itertools
import logging
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Response, stream_with_context

log = logging.getLogger(__name__)

# What a spreadsheet reads as the start of a formula, ASCII and fullwidth (some locales fold U+FF1D, the
# fullwidth equals sign, and its neighbours to ASCII), and the controls that start a new cell or line.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
FIRST_ROWS = 100
FAILED_LINE = "EXPORT FAILED: this file is incomplete. Download it again; if it fails again, tell your admin."


def safe_cell(value: Any) -> Any:
    # Spreadsheets skip leading spaces before reading a formula, so " =1+1" is as live as "=1+1".
    if isinstance(value, str) and value.lstrip(" ").startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


class _Echo:
    """A file whose write() hands the line back, so csv.writer's writerow returns each line it writes."""

    def write(self, line: str) -> str:
        return line


def csv_lines(header: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    for row in itertools.chain([header], rows):
        yield writer.writerow([safe_cell(cell) for cell in row])


def _finish_or_mark_failed(lines: Iterator[str]) -> Iterator[str]:
    try:
        yield from lines
    except Exception:
        log.exception("CSV export failed after the response had started")
        yield FAILED_LINE + "\r\n"
        # Re-raised so the server aborts the transfer: the download is reported as failed, not complete.
        raise


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable[Any]]) -> Response:
    iterator = iter(rows)
    first = list(itertools.islice(iterator, FIRST_ROWS))
    lines = csv_lines(header, itertools.chain(first, iterator))
    response = Response(stream_with_context(_finish_or_mark_failed(lines)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
