"""Write one benchmark's section into BENCHMARKS.md, replacing that section's previous figures."""

from __future__ import annotations

import platform
import re
from datetime import UTC, datetime
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"
HEADER = """# Benchmarks

Figures from `make bench` (each benchmark at full size). Every figure is measured next to a baseline run in the
same process on the same machine, so ratios matter more than absolute times. Re-run with `make bench`; each
benchmark rewrites only its own section below. What changed and what it measured, by date and commit, is in the
changelog at the end; figures a section no longer shows are kept there.
"""


def machine() -> str:
    return f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}"


def write_section(name: str, body: str) -> None:
    start, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    stamped = f"{start}\n{body.rstrip()}\n\n_Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine()}._\n{end}"
    text = BENCHMARKS.read_text() if BENCHMARKS.exists() else HEADER
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.S)
    text = (
        pattern.sub(lambda _: stamped, text)
        if pattern.search(text)
        else text.rstrip() + "\n\n" + stamped + "\n"
    )
    BENCHMARKS.write_text(text)
