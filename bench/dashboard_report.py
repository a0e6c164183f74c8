"""The dashboard benchmark's section of BENCHMARKS.md."""

from __future__ import annotations

import argparse
from typing import Any

from bench.report import write_section

TARGET_PANEL_MS = 100.0
TARGET_RATIO = 5.0
TARGET_DASHBOARD_MS = 500.0


def _mark(ok: bool) -> str:
    return "✅" if ok else "❌"


def _panel_ok(figure: dict[str, float]) -> bool:
    return figure["p50"] < TARGET_PANEL_MS and figure["ratio"] <= TARGET_RATIO


def body(args: argparse.Namespace, result: dict[str, Any]) -> str:
    if getattr(args, "reuse", None):
        loaded = "loaded by an earlier `--keep` run with set-based SQL and measured again with `--reuse`"
    else:
        loaded = f"loaded with set-based SQL in {result['load_seconds']:.0f} s"
    lines = [
        f"## Dashboard: {result['incidents']:,} incidents on {result['engine']}",
        "",
        f"`python -m bench.dashboard --incidents {args.incidents}` — a fresh database with "
        f"{result['incidents']:,} incidents over {args.days} days, {result['log_entries']:,} log entries and "
        f"{result['deployments']:,} deployments (50 services, 40 followed; 20 teams; 300 responders in 13 time "
        f"zones), {loaded}. Each panel partial is requested "
        f"{result['repetitions']} times after a warm-up by a logged-in member (Flask test client, in process), "
        "twice: *computed*, with the workspace's data version moved before each request (as after a sync that "
        "wrote something), so every figure is computed from the rows; and *kept*, the same requests again, "
        "answered from what the first of them computed (app/analytics/cache.py), as the minute refresh and "
        "other viewers of the same view are. The baseline is a bare `SELECT count(*)` of the incidents of the same window and filters, measured in "
        "the same run. Targets: every panel under 100 ms p50 and within 5× the baseline; the whole dashboard "
        "under 500 ms.",
        "",
    ]
    load = result.get("load_average")
    if load:
        lines += [
            f"Load average (1 min) when the measurements started and ended: {load['start']} / {load['end']} on "
            f"{load['cores']} cores.",
            "",
        ]
    if result.get("note"):
        lines += [f"**Conditions:** {result['note']}", ""]
    for days, window in result["windows"].items():
        base, computed, kept = window["baseline"], window["computed"], window["kept"]
        lines += [
            f"### Last {days} days",
            "",
            "| request | computed p50 ms | p95 ms | p50 ÷ baseline | kept p50 ms | p95 ms | p50 ÷ baseline "
            "| target met: computed / kept |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | :---: |",
            f"| baseline: `SELECT count(*)` | {base['p50']:.1f} | {base['p95']:.1f} | 1 | | | | |",
        ]
        names = [*computed["panels"], "api"]

        def figure(measured: dict[str, Any], name: str) -> dict[str, float]:
            return measured["api_metrics"] if name == "api" else measured["panels"][name]

        for name in names:
            now, again = figure(computed, name), figure(kept, name)
            label = "`GET /api/v1/metrics`" if name == "api" else f"panel `{name}`"
            lines.append(
                f"| {label} | {now['p50']:.1f} | {now['p95']:.1f} | {now['ratio']:.1f}× | {again['p50']:.1f} "
                f"| {again['p95']:.1f} | {again['ratio']:.1f}× | {_mark(_panel_ok(now))} / "
                f"{_mark(_panel_ok(again))} |"
            )
        whole, whole_kept = computed["dashboard"], kept["dashboard"]
        lines += [
            f"| sum of the panels' p50s | {computed['sum_of_panel_p50s']:.1f} | | | "
            f"{kept['sum_of_panel_p50s']:.1f} | | | |",
            f"| whole dashboard: the page, then the lazy panels at once | {whole['p50']:.1f} | {whole['p95']:.1f} "
            f"| | {whole_kept['p50']:.1f} | {whole_kept['p95']:.1f} | | "
            f"{_mark(whole['p50'] < TARGET_DASHBOARD_MS)} / {_mark(whole_kept['p50'] < TARGET_DASHBOARD_MS)} |",
            "",
        ]
    lines.append(
        "What the figures rely on, how to read them and how they changed: *Dashboard: what it relies on* below "
        "and the changelog at the end (written by hand; `--write` replaces only this section's figures)."
    )
    return "\n".join(lines)


def record(args: argparse.Namespace, result: dict[str, Any]) -> None:
    write_section("dashboard", body(args, result))
