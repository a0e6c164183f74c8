"""Backfill benchmark: Vigil's sync against pdsim, next to a plain download of the same pages.

    python -m bench.sync [--incidents 100000] [--days 180] [--write]

pdsim is seeded (as a separate process) and Vigil backfills it with one worker process into PostgreSQL
(DATABASE_URL's server; a fresh database is created and dropped) or, without DATABASE_URL, SQLite. Reported:
wall time and incidents/s for the backfill and for the baseline (the same endpoints, 30-day chunks and 10,000-row
bisection, fetched serially with a bare requests.Session and thrown away), requests made against the pages an
ideal client needs, the worker's peak RSS, requests of an incremental sync with nothing new, and rows written by
a second backfill. `--write` records the figures in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.cpu import CpuMeter, CpuUse
from config import PROJECT_ROOT

TOKEN = "bench-sync-token"
LIMIT = 100
MAX_OFFSET = 10_000
CHUNK = timedelta(days=30)
TARGET_RATIO = 1.3
HISTORY_DAYS = 365


# -- the baseline: the same pages, plain requests, nothing kept ------------------------------------------------


def _fmt(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Baseline:
    def __init__(self, sim: Any) -> None:
        self.base = sim.base_url
        self.control = sim.control
        self.session = requests.Session()
        self.session.headers.update(
            {"Authorization": f"Token token={TOKEN}", "Accept": "application/vnd.pagerduty+json;version=2"}
        )
        self.requests = 0
        self.rows: dict[str, int] = {}
        self.seconds = self.client_cpu = 0.0
        self.cpu = CpuUse(0.0, 0.0, 0.0)

    def get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        self.requests += 1
        response = self.session.get(self.base + path, params=params, timeout=60)
        response.raise_for_status()
        return response.json()

    def window(self, path: str, key: str, since: datetime, until: datetime) -> int:
        params = {"since": _fmt(since), "until": _fmt(until), "time_zone": "UTC", "limit": LIMIT}
        first = self.get(path, {**params, "offset": 0, "total": "true"})
        if (first.get("total") or 0) > MAX_OFFSET:
            middle = since + (until - since) / 2
            middle = middle.replace(microsecond=0)
            return self.window(path, key, since, middle) + self.window(path, key, middle, until)
        rows, offset, page = len(first[key]), 0, first
        while page.get("more"):
            offset += LIMIT
            page = self.get(path, {**params, "offset": offset})
            rows += len(page[key])
        return rows

    def run(self, start: datetime, end: datetime) -> dict[str, int]:
        for path in ("/teams", "/services", "/users", "/priorities"):
            offset = 0
            while True:
                page = self.get(path, {"limit": LIMIT, "offset": offset})
                offset += LIMIT
                if not page.get("more"):
                    break
        counts = {"incidents": 0, "log_entries": 0}
        for stream in counts:
            path = f"/{stream}"
            counts[stream] = sum(
                self.window(path, stream, since, until) for since, until in _chunks(start, end)
            )
        # PagerDuty keeps change events 90 days back from now, and pdsim's now runs on through the benchmark:
        # the oldest events asked for would expire between one baseline and the next. Read with pdsim's clock
        # set back to `end`, every baseline sees the same events.
        self.control.set_clock(now=_fmt(end))
        counts["change_events"] = self.change_events(
            max(start, end - timedelta(days=90) + timedelta(minutes=1)), end
        )
        return counts

    def change_events(self, since: datetime, until: datetime) -> int:
        """Week by week; `more` is always false here, so only a short page ends a week's list."""
        found = 0
        for week_start, week_end in _chunks(since, until, timedelta(days=7)):
            offset = 0
            while True:
                params = {
                    "since": _fmt(week_start),
                    "until": _fmt(week_end),
                    "limit": LIMIT,
                    "offset": offset,
                }
                items = self.get("/change_events", params)["change_events"]
                found += len(items)
                if len(items) < LIMIT:
                    break
                offset += LIMIT
        return found


def _chunks(start: datetime, end: datetime, size: timedelta = CHUNK) -> Iterator[tuple[datetime, datetime]]:
    while start < end:
        yield start, min(start + size, end)
        start = min(start + size, end)


# -- Vigil ------------------------------------------------------------------------------------------------------


def _fresh_database(tmp: Path, given: str | None) -> tuple[str, Any]:
    """A new database on the server of `given` (a PostgreSQL URL) and how to drop it; without one, a SQLite
    file in `tmp` (nothing to drop)."""
    if not given:
        return f"sqlite:///{tmp / 'bench.db'}", None
    server = make_url(given.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"vigil_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return server.set(database=name).render_as_string(hide_password=False), drop


def _wait_for(process: subprocess.Popen[bytes]) -> tuple[float, float]:
    """Its peak RSS in MB, and the CPU seconds it used (the writer and the download)."""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime  # Linux reports KiB


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument(
        "--rounds", type=int, default=2, help="backfills, each into a fresh database, between baselines"
    )
    parser.add_argument("--write", action="store_true", help="record the figures in BENCHMARKS.md")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line at the end")
    args = parser.parse_args(argv)
    if args.incidents < 1 or args.rounds < 1:
        parser.error("--incidents and --rounds must be at least 1")
    if not 1 <= args.days <= HISTORY_DAYS:
        parser.error(f"--days must be from 1 to {HISTORY_DAYS}, the history the benchmark backfills")

    from pdsim.process import run_pdsim_process

    with tempfile.TemporaryDirectory() as folder, run_pdsim_process(
        seed=42, incidents=args.incidents, days=args.days, api_tokens=[TOKEN], db_path=Path(folder) / "pdsim.db",
        extra_args=["--rate-limit", "1000000"], startup_timeout=600,
    ) as sim:  # fmt: skip
        return _measure(args, sim, Path(folder))


def _measure(args: argparse.Namespace, sim: Any, tmp: Path) -> dict[str, Any]:
    """Baseline, backfill, baseline, backfill, …, baseline: each backfill is judged against the mean of the
    baselines either side of it, so a machine that drifts slower or faster over the minutes of a run moves both
    sides of each ratio alike."""
    from app.launcher import EmbeddedRedis

    server_url = os.environ.get("DATABASE_URL")  # each round's own database goes on this server
    redis = None if os.environ.get("REDIS_URL") else EmbeddedRedis().start()
    redis_url = os.environ.get("REDIS_URL") or redis.url  # type: ignore[union-attr]
    end = datetime.now(UTC)
    start = end - timedelta(days=HISTORY_DAYS)
    try:
        baselines = [_baseline(sim, start, end)]
        rounds = []
        for number in range(args.rounds):
            last = number == args.rounds - 1
            rounds.append(_backfill_round(sim, tmp / f"round-{number}", server_url, redis_url, extras=last))
            baselines.append(_baseline(sim, start, end))
    finally:
        if redis is not None:
            redis.stop()

    rows = baselines[0].rows
    assert all(b.rows == rows for b in baselines), "the baselines downloaded different rows"
    seconds = [b.seconds for b in baselines]
    ratios = [
        r["seconds"] / ((before + after) / 2)
        for r, before, after in zip(rounds, seconds, seconds[1:], strict=False)
    ]
    best = min(range(len(rounds)), key=lambda i: rounds[i]["seconds"])
    final = rounds[-1]
    pages_needed = 4 + sum(math.ceil(rows[k] / LIMIT) for k in ("incidents", "log_entries")) + 1
    result = {
        "incidents": final["incidents"],
        "log_entries": rows["log_entries"],
        "rounds": len(rounds),
        "backfill_seconds": [round(r["seconds"], 1) for r in rounds],
        "baseline_seconds": [round(b, 1) for b in seconds],
        "round_ratios": [round(x, 3) for x in ratios],
        "ratio": statistics.median(ratios),
        "incidents_per_second": final["incidents"] / rounds[best]["seconds"],
        "requests": final["requests"],
        "baseline_requests": baselines[0].requests,
        "pages_needed": pages_needed,
        "request_overhead": final["requests"] / pages_needed - 1,
        "worker_peak_rss_mb": max(r["rss"] for r in rounds),
        "baseline_cores_busy": [round(b.cpu.cores, 2) for b in baselines],
        "backfill_cores_busy": [round(r["cpu"].cores, 2) for r in rounds],
        "pdsim_cpu_seconds_baseline": [round(b.cpu.process, 1) for b in baselines],
        "pdsim_cpu_seconds_backfill": [round(r["cpu"].process, 1) for r in rounds],
        "baseline_client_cpu_seconds": [round(b.client_cpu, 1) for b in baselines],
        "worker_cpu_seconds": [round(r["worker_cpu"], 1) for r in rounds],
        "empty_incremental_requests": final["empty_incremental_requests"],
        "second_backfill_rows_written": final["second_backfill_rows_written"],
    }
    _print(result)
    if args.json:
        print(json.dumps(result))
    if args.write:
        _record(args, result)
    return result


def _baseline(sim: Any, start: datetime, end: datetime) -> Baseline:
    baseline = Baseline(sim)
    client = time.process_time()
    with CpuMeter(sim.process.pid) as meter:
        baseline.rows = baseline.run(start, end)
    baseline.seconds, baseline.cpu = meter.use.wall, meter.use
    baseline.client_cpu = time.process_time() - client
    print(
        f"  baseline: {baseline.seconds:.1f} s, {baseline.requests:,} requests, "
        f"{meter.use.cores:.2f} cores busy (pdsim {meter.use.process:.0f} s, client {baseline.client_cpu:.0f} s)",
        flush=True,
    )
    return baseline


def _backfill_round(
    sim: Any, tmp: Path, server_url: str | None, redis_url: str, extras: bool
) -> dict[str, Any]:
    """One backfill by one worker process into a fresh database; with `extras`, then an empty incremental
    sync and a second backfill (which must write nothing)."""
    tmp.mkdir()
    database_url, drop = _fresh_database(tmp, server_url)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "SECRET_KEY": "bench-secret-key-0123456789",
        "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "VIGIL_INSTANCE_PATH": str(tmp),
        "PAGERDUTY_API_URL": sim.us_url,
        "PAGERDUTY_EU_API_URL": sim.eu_url,
        "PAGERDUTY_IDENTITY_URL": sim.identity_url,
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    from app import create_app
    from app.extensions import db

    app = create_app()
    try:
        with app.app_context():
            from flask_migrate import upgrade

            upgrade(directory=str(PROJECT_ROOT / "migrations"))
            account = _link_and_select(db, sim)

            from app.integrations.pagerduty.sync.jobs import request_sync
            from app.models import Incident, SyncRun

            request_sync(account)
            with CpuMeter(sim.process.pid) as meter:
                worker = subprocess.Popen(
                    [sys.executable, str(PROJECT_ROOT / "worker.py"), "--queues", "sync", "--burst"],
                    env=env,
                    cwd=PROJECT_ROOT,
                )
                rss, worker_cpu = _wait_for(worker)
            seconds = meter.use.wall
            assert worker.returncode == 0, "the worker failed"
            backfill = db.session.scalars(db.select(SyncRun).order_by(SyncRun.id.desc())).first()
            assert backfill is not None and backfill.status.value == "succeeded", backfill and backfill.error
            found = {
                "seconds": seconds,
                "rss": rss,
                "cpu": meter.use,
                "worker_cpu": worker_cpu,
                "requests": backfill.requests,
                "incidents": db.session.scalar(db.select(db.func.count(Incident.id))),
            }
            print(
                f"  backfill: {seconds:.1f} s, {backfill.requests:,} requests, {rss:.0f} MB, "
                f"{meter.use.cores:.2f} cores busy (pdsim {meter.use.process:.0f} s, worker {worker_cpu:.0f} s)",
                flush=True,
            )
            if extras:
                incremental = _run_in_process(account.id)
                second = _second_backfill(db, account.id)
                found["empty_incremental_requests"] = incremental.requests
                found["second_backfill_rows_written"] = second.created + second.updated
            db.session.remove()
            db.engine.dispose()
    finally:
        if drop:
            drop()
    return found


def _link_and_select(db: Any, sim: Any) -> Any:
    from app import crypto
    from app.integrations.pagerduty.credentials import client_for
    from app.integrations.pagerduty.directory import refresh_directory
    from app.models import AuthKind, PagerDutyAccount, PDService, Workspace

    workspace = Workspace(name="Bench")
    db.session.add(workspace)
    db.session.flush()
    account = PagerDutyAccount(
        workspace_id=workspace.id, auth_kind=AuthKind.API_TOKEN, subdomain="acme",
        token_user_email=sim.admin_email, access_token_enc=crypto.encrypt(TOKEN), history_days=HISTORY_DAYS,
    )  # fmt: skip
    db.session.add(account)
    db.session.flush()
    refresh_directory(account, client_for(account))
    db.session.execute(db.update(PDService).values(selected=True))
    db.session.commit()
    return account


def _run_in_process(account_id: int) -> Any:
    from app.extensions import db
    from app.integrations.pagerduty.sync import runner
    from app.models import SyncRun

    assert runner.run(account_id) == "succeeded"
    return db.session.scalars(db.select(SyncRun).order_by(SyncRun.id.desc())).first()


def _second_backfill(db: Any, account_id: int) -> Any:
    from app.models import PDService

    db.session.execute(db.update(PDService).values(backfilled_at=None))
    db.session.commit()
    return _run_in_process(account_id)


def _print(result: dict[str, Any]) -> None:
    print("\nsync benchmark")
    for key, value in result.items():
        if isinstance(value, list):
            print(f"  {key:30} {', '.join(str(v) for v in value)}")
        else:
            print(f"  {key:30} {value:,.3f}" if isinstance(value, float) else f"  {key:30} {value:,}")


def _record(args: argparse.Namespace, r: dict[str, Any]) -> None:
    from bench.report import write_section

    engine = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgresql") else "SQLite"
    met = r["ratio"] <= TARGET_RATIO
    verdict = "target met" if met else "target missed"
    body = f"""## Sync: backfill of {r["incidents"]:,} incidents ({r["log_entries"]:,} log entries) into {engine} — **{verdict}**

pdsim seeded with `--incidents {args.incidents} --days {args.days}` (rate limit lifted: the benchmark measures
Vigil, not PagerDuty's 960 requests/minute); one worker process; history {HISTORY_DAYS} days. The machine's 2 cores are
shared with pdsim, PostgreSQL and whatever else runs there, so compare the ratio, not the seconds. The run
alternates: baseline, backfill, baseline, … , baseline ({r["rounds"]} backfills), and judges each backfill
against the mean of the baselines either side of it, so a machine that drifts over the minutes of a run moves
both sides of each ratio alike. How each figure came about: the changelog at the end of this file.

| figure | value | target |
| --- | --- | --- |
| backfills, each into a fresh database | {_seconds(r["backfill_seconds"])} (best {r["incidents_per_second"]:,.0f} incidents/s) | |
| baselines before, between and after them: same pages, plain `requests`, discarded | {_seconds(r["baseline_seconds"])} | |
| each backfill ÷ the mean of the baselines either side | {", ".join(f"{x:.2f}×" for x in r["round_ratios"])} | |
| backfill ÷ baseline (median of the rounds) | **{r["ratio"]:.2f}×** | ≤ {TARGET_RATIO}× |
| requests made / pages an ideal client needs | {r["requests"]:,} / {r["pages_needed"]:,} (**{r["request_overhead"]:+.1%}**); the baseline made {r["baseline_requests"]:,} | within 5 % |
| worker peak RSS | **{r["worker_peak_rss_mb"]:.0f} MB** | < 300 MB |
| cores kept busy on average (of 2): baselines; backfills | {_list(r["baseline_cores_busy"], 2)}; {_list(r["backfill_cores_busy"], 2)} | |
| CPU seconds of pdsim: baselines; backfills | {_list(r["pdsim_cpu_seconds_baseline"])}; {_list(r["pdsim_cpu_seconds_backfill"])} | |
| CPU seconds of the baseline's client; of the worker (writer and download) | {_list(r["baseline_client_cpu_seconds"])}; {_list(r["worker_cpu_seconds"])} | |
| incremental sync with nothing new | **{r["empty_incremental_requests"]} requests** | ≤ 5 |
| rows written by a second backfill | **{r["second_backfill_rows_written"]}** | 0 |
"""
    write_section("sync", body)


def _seconds(values: list[float]) -> str:
    return _list(values) + " s"


def _list(values: list[float], digits: int = 1) -> str:
    return ", ".join(f"{v:.{digits}f}" for v in values)


if __name__ == "__main__":
    main()
