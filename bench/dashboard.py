"""Dashboard benchmark: every panel and GET /api/v1/metrics over a large synthetic history.

    python -m bench.dashboard [--incidents 1000000] [--deployments 50000] [--repetitions 20] [--write]

A fresh database is created on DATABASE_URL's server (and dropped at the end; without DATABASE_URL a SQLite
file), migrated, and filled by bench/dashboard_data.py with set-based SQL. Then a Flask test client logged in
as a member requests each dashboard panel partial for the last 30 and the last 90 days, and the API with a
key, `--repetitions` times each after a warm-up. Beside them, in the same run, the baseline: a bare
`SELECT count(*)` of the incidents of the same window and filters. Reported: p50 / p95 per panel, the ratio
of each p50 to the baseline's, the sum of the panels' p50s, and the whole dashboard as a browser loads it (the
page, which renders the tiles and tables itself, then the lazy panels at once). `--write` records the figures
in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from config import PROJECT_ROOT

WINDOWS = (30, 90)
# A panel the page left to load: its placeholder asks for it as soon as the page is shown.
_LAZY = re.compile(r'hx-get="/dashboard/panels/(\w+)[^"]*" hx-trigger="load[,"]')
# As htmx asks for a panel: without it the endpoint answers the panel inside a whole page (for no JavaScript).
_HTMX = {"HX-Request": "true"}
EMAIL = "member@bench.test"
PASSWORD = "bench password 0123"


@dataclass(frozen=True)
class Timing:
    p50: float  # milliseconds
    p95: float

    @classmethod
    def of(cls, samples: list[float]) -> Timing:
        ordered = sorted(samples)
        return cls(statistics.median(ordered), _p95(ordered))

    def to_dict(self) -> dict[str, float]:
        return {"p50": round(self.p50, 2), "p95": round(self.p95, 2)}


def _p95(ordered: list[float]) -> float:
    # Nearest rank: with 20 samples, the 19th; with fewer, the largest.
    return ordered[max(0, min(len(ordered) - 1, -(-95 * len(ordered) // 100) - 1))]


def _timed(action: Callable[[], None], repetitions: int, warmup: int = 1,
           before: Callable[[], None] | None = None) -> Timing:  # fmt: skip
    """`before` runs ahead of each call, untimed (e.g. a data change, so nothing kept is reused)."""
    samples = []
    for index in range(warmup + repetitions):
        if before is not None:
            before()
        t0 = time.perf_counter()
        action()
        if index >= warmup:
            samples.append((time.perf_counter() - t0) * 1000)
    return Timing.of(samples)


def _get(client: FlaskClient, url: str, **kwargs: Any) -> str:
    response = client.get(url, **kwargs)
    body = response.get_data(as_text=True)
    # A panel that failed renders its error partial quickly: that must never pass for a fast panel.
    if response.status_code != 200 or 'class="dash-error"' in body:
        raise RuntimeError(f"GET {url} answered {response.status_code}: {body[:500]}")
    return body


def login(app: Flask, email: str = EMAIL, password: str = PASSWORD) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": password})
    if response.status_code != 302:
        raise RuntimeError(f"login failed: {response.status_code}")
    return client


def create_member(email: str = EMAIL, password: str = PASSWORD) -> None:
    from werkzeug.security import generate_password_hash

    from app.extensions import db
    from app.models import User

    db.session.add(User(email=email, name="Bench Member", password_hash=generate_password_hash(password)))
    db.session.commit()


def baseline_timing(app: Flask, workspace_id: int, days: int, repetitions: int) -> Timing:
    """SELECT count(*) of the incidents of the dashboard's window and filters, as the panels see them."""
    from app.analytics.filters import incident_conditions
    from app.analytics.population import Population
    from app.extensions import db
    from app.models import Incident, Workspace

    with app.app_context():
        workspace = db.session.get(Workspace, workspace_id)
        query = Population(days=days).query(workspace)
        statement = select(func.count()).select_from(Incident).where(*incident_conditions(query))

        def count() -> None:
            db.session.execute(statement).scalar_one()
            db.session.rollback()  # like a request: its own transaction

        return _timed(count, repetitions)


def measure(app: Flask, workspace_id: int, api_key: str, repetitions: int, email: str = EMAIL,
            password: str = PASSWORD) -> dict[str, Any]:  # fmt: skip
    """Figures per window: baseline, each panel, the API, the sum of panel p50s and the whole dashboard."""
    from app.analytics.panels import PANELS, SERVER_RENDERED

    client = login(app, email, password)
    lazy = [name for name in PANELS if name not in SERVER_RENDERED]
    browser = Browser(client, [login(app, email, password) for _ in lazy], lazy, api_key)
    with ThreadPoolExecutor(max_workers=len(lazy)) as pool:
        return {
            str(days): _window(app, workspace_id, browser, pool, days, list(PANELS), repetitions)
            for days in WINDOWS
        }


@dataclass(frozen=True)
class Browser:
    client: FlaskClient
    lazy_clients: list[FlaskClient]  # one per lazy panel, as a browser's parallel connections
    lazy: list[str]
    api_key: str


def _window(app: Flask, workspace_id: int, browser: Browser, pool: ThreadPoolExecutor, days: int,
            panel_names: list[str], repetitions: int) -> dict[str, Any]:  # fmt: skip
    """The baseline, then every request twice: *computed* (the workspace's data version moves before each
    request, as after a sync that wrote, so nothing kept is reused) and *kept* (the same data again, as the
    minute refresh and other viewers of the view ask it)."""
    from app.extensions import db
    from app.models import Workspace

    baseline = baseline_timing(app, workspace_id, days, repetitions)
    with app.app_context():
        today = datetime.now(ZoneInfo(db.session.get(Workspace, workspace_id).timezone)).date()
    api_params = {
        "start": (today - timedelta(days=days - 1)).isoformat(),
        "end": (today + timedelta(days=1)).isoformat(),
    }
    retire = partial(_retire, app, workspace_id)
    return {
        "baseline": baseline.to_dict(),
        "computed": _requests(browser, pool, days, panel_names, repetitions, api_params, baseline, retire),
        "kept": _requests(browser, pool, days, panel_names, repetitions, api_params, baseline, None),
    }


def _retire(app: Flask, workspace_id: int) -> None:
    from app.analytics import cache
    from app.extensions import db

    with app.app_context():
        cache.data_changed(workspace_id)
        db.session.commit()


def _requests(browser: Browser, pool: ThreadPoolExecutor, days: int, panel_names: list[str], repetitions: int,
              api_params: dict[str, str], baseline: Timing,
              before: Callable[[], None] | None) -> dict[str, Any]:  # fmt: skip
    client = browser.client
    panels = {
        name: _timed(
            partial(_get, client, f"/dashboard/panels/{name}?range={days}", headers=_HTMX),
            repetitions,
            before=before,
        )
        for name in panel_names
    }
    api = _timed(
        partial(_get, client, "/api/v1/metrics", query_string=api_params,
                headers={"Authorization": f"Bearer {browser.api_key}"}),
        repetitions,
        before=before,
    )  # fmt: skip

    def whole_dashboard() -> None:
        # As a browser: the page (tiles, tables and whatever is kept rendered in it), then the panels it left
        # to load lazily, at once.
        page = _get(client, f"/dashboard?range={days}")
        pending = set(_LAZY.findall(page))
        if before is not None and pending != set(browser.lazy):
            # Nothing can be kept across a data change: a page that loads fewer panels is misread.
            raise RuntimeError(f"the page left {sorted(pending)} to load, not {sorted(browser.lazy)}")
        futures = [
            pool.submit(_get, other, f"/dashboard/panels/{name}?range={days}", headers=_HTMX)
            for other, name in zip(browser.lazy_clients, browser.lazy, strict=True)
            if name in pending
        ]
        for future in futures:
            future.result()

    dashboard = _timed(whole_dashboard, max(3, repetitions // 2), before=before)
    return {
        "panels": {
            name: {**timing.to_dict(), "ratio": round(timing.p50 / max(baseline.p50, 1e-6), 2)}
            for name, timing in panels.items()
        },
        "api_metrics": {**api.to_dict(), "ratio": round(api.p50 / max(baseline.p50, 1e-6), 2)},
        "sum_of_panel_p50s": round(sum(t.p50 for t in panels.values()), 2),
        "dashboard": dashboard.to_dict(),
    }


def prepare(app: Flask, incidents: int, deployments: int, days: int) -> dict[str, Any]:
    """Load the synthetic history for the bench member; returns what was loaded and the API key."""
    from app.accounts import api_keys as keys
    from app.extensions import db
    from app.models import Workspace
    from bench.dashboard_data import load, verify

    with app.app_context():
        t0 = time.perf_counter()
        loaded = load(incidents, deployments, days, datetime.now(UTC).replace(microsecond=0), EMAIL)
        load_seconds = time.perf_counter() - t0
        verify(loaded)
        _, api_key = keys.create_key(db.session.get(Workspace, loaded.workspace_id), "bench")
        db.session.commit()
    return {
        "workspace_id": loaded.workspace_id,
        "api_key": api_key,
        "incidents": loaded.incidents,
        "log_entries": loaded.log_entries,
        "deployments": loaded.deployments,
        "load_seconds": round(load_seconds, 1),
    }


def run(app: Flask, incidents: int, deployments: int, days: int, repetitions: int) -> dict[str, Any]:
    """Load and measure on `app`'s database, which already has the schema (the suite's, or a fresh one)."""
    with app.app_context():
        create_member()
    loaded = prepare(app, incidents, deployments, days)
    before = os.getloadavg()[0]
    figures = measure(app, loaded["workspace_id"], loaded.pop("api_key"), repetitions)
    # The machine may be shared: its load while measuring says how far the absolute times can be trusted.
    load = {"start": round(before, 1), "end": round(os.getloadavg()[0], 1), "cores": os.cpu_count()}
    return {**loaded, "repetitions": repetitions, "windows": figures, "load_average": load}


def rerun(app: Flask, repetitions: int) -> dict[str, Any]:
    """Measure again on a database a `--keep` run loaded (now migrated to head): the load takes ten minutes,
    a change to a query does not need a new one."""
    from app.accounts import api_keys as keys
    from app.analytics import interruption_store
    from app.extensions import db
    from app.models import Deployment, Incident, IncidentLogEntry, PagerDutyAccount, Workspace

    with app.app_context():
        workspace = db.session.scalars(select(Workspace).order_by(Workspace.id.desc())).first()
        if workspace is None:
            raise SystemExit("--reuse: that database holds no benchmark workspace")
        behind = db.session.scalar(
            select(func.count())
            .select_from(PagerDutyAccount)
            .where(
                PagerDutyAccount.workspace_id == workspace.id,
                PagerDutyAccount.interruptions_settled_to
                < select(func.max(IncidentLogEntry.id)).scalar_subquery(),
            )
        )
        if behind:  # loaded before a migration that needs its verdicts written
            interruption_store.rebuild_workspace(workspace.id)
        _, api_key = keys.create_key(workspace, "bench")
        db.session.commit()
        if behind and db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE interruptions")

        def count(model: type[db.Model]) -> int:  # type: ignore[name-defined]
            where = model.workspace_id == workspace.id
            return int(db.session.scalar(select(func.count()).select_from(model).where(where)))

        loaded = {
            "workspace_id": workspace.id,
            "incidents": count(Incident),
            "log_entries": count(IncidentLogEntry),
            "deployments": count(Deployment),
            "load_seconds": 0.0,
        }
    before = os.getloadavg()[0]
    figures = measure(app, workspace.id, api_key, repetitions)
    load = {"start": round(before, 1), "end": round(os.getloadavg()[0], 1), "cores": os.cpu_count()}
    return {**loaded, "repetitions": repetitions, "windows": figures, "load_average": load}


@contextmanager
def fresh_database(tmp: Path, keep: bool = False, reuse: str | None = None) -> Iterator[str]:
    given = os.environ.get("DATABASE_URL")
    if not given:
        yield f"sqlite:///{tmp / 'bench.db'}"
        return
    server = make_url(given.replace("postgresql://", "postgresql+psycopg://", 1))
    if reuse:
        yield server.set(database=reuse).render_as_string(hide_password=False)
        return
    name = f"vigil_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        if keep:
            print(f'database {name} kept: drop it with DROP DATABASE "{name}"', flush=True)
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--deployments", type=int, default=None, help="default: one per 20 incidents")
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--repetitions", type=int, default=20)
    parser.add_argument("--write", action="store_true", help="record the figures in BENCHMARKS.md")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line at the end")
    parser.add_argument(
        "--keep", action="store_true", help="keep the PostgreSQL database (for EXPLAIN ANALYZE)"
    )
    parser.add_argument("--note", default="", help="how to read the figures (e.g. a busy machine)")
    parser.add_argument(
        "--reuse", metavar="DATABASE", help="measure again on a PostgreSQL database that --keep left"
    )
    args = parser.parse_args(argv)
    deployments = args.deployments if args.deployments is not None else max(10, args.incidents // 20)

    from app import create_app
    from config import load_settings

    with (
        tempfile.TemporaryDirectory() as folder,
        fresh_database(Path(folder), args.keep, args.reuse) as database_url,
    ):
        env = {
            "SECRET_KEY": "bench-secret-key-0123456789",
            "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "VIGIL_INSTANCE_PATH": folder,
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "WARNING",
        }
        if os.environ.get("REDIS_URL"):  # kept answers in Redis, as deployed; else in this process
            env["REDIS_URL"] = os.environ["REDIS_URL"]
        app = create_app(load_settings(env, extra={"WTF_CSRF_ENABLED": False}))
        with app.app_context():
            from flask_migrate import upgrade

            from app.extensions import db

            upgrade(directory=str(PROJECT_ROOT / "migrations"))
            engine = db.engine.dialect.name
        if args.reuse:
            figures = rerun(app, args.repetitions)
        else:
            figures = run(app, args.incidents, deployments, args.days, args.repetitions)
        result = {"engine": engine, **figures, "note": args.note}
        with app.app_context():
            from app.extensions import db

            db.engine.dispose()
    _print(result)
    if args.json:
        print(json.dumps(result))
    if args.write:
        from bench.dashboard_report import record

        record(args, result)
    return result


def _print(result: dict[str, Any]) -> None:
    print(
        f"\ndashboard benchmark on {result['engine']}: {result['incidents']:,} incidents, "
        f"{result['log_entries']:,} log entries, {result['deployments']:,} deployments "
        f"(loaded in {result['load_seconds']} s), {result['repetitions']} repetitions"
    )
    for days, window in result["windows"].items():
        base = window["baseline"]
        print(f"  last {days} days: baseline count(*) p50 {base['p50']:.1f} ms p95 {base['p95']:.1f} ms")
        for kind in ("computed", "kept"):
            figures = window[kind]
            print(f"   {kind}:")
            rows = {**figures["panels"], "api /metrics": figures["api_metrics"]}
            for name, figure in rows.items():
                print(
                    f"    {name:14} p50 {figure['p50']:8.1f} ms  p95 {figure['p95']:8.1f} ms"
                    f"  {figure['ratio']:6.2f}x"
                )
            dash = figures["dashboard"]
            print(
                f"    sum of panel p50s {figures['sum_of_panel_p50s']:.1f} ms; whole dashboard p50"
                f" {dash['p50']:.1f} ms p95 {dash['p95']:.1f} ms"
            )


if __name__ == "__main__":
    main()
