"""The dashboard benchmark at a tiny size on the suite's own database (SQLite or PostgreSQL), so it cannot
rot: the generator's SQL runs on both engines, and every panel, the API and the whole dashboard get a
figure."""

from __future__ import annotations

import argparse

from flask import Flask

from app.analytics.panels import PANELS
from bench import dashboard
from bench.dashboard_report import body


def test_it_measures_every_panel_and_the_api_on_a_small_history(app: Flask) -> None:
    result = dashboard.run(app, incidents=300, deployments=30, days=120, repetitions=2)
    assert result["incidents"] == 300 and result["deployments"] == 30
    assert result["log_entries"] > 4 * 300  # trigger, notifications, acknowledgement, resolve …
    assert set(result["windows"]) == {str(days) for days in dashboard.WINDOWS}
    for window in result["windows"].values():
        assert 0 < window["baseline"]["p50"] <= window["baseline"]["p95"]
        for kind in ("computed", "kept"):
            measured = window[kind]
            assert set(measured["panels"]) == set(PANELS)
            figures = [*measured["panels"].values(), measured["api_metrics"], measured["dashboard"]]
            assert all(0 < figure["p50"] <= figure["p95"] for figure in figures)
            assert measured["sum_of_panel_p50s"] > 0
    text = body(argparse.Namespace(incidents=300, days=120), {**result, "engine": "test"})
    assert all(f"panel `{name}`" in text for name in PANELS) and "`GET /api/v1/metrics`" in text
