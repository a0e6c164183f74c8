"""Alerting benchmark: evaluation passes over thousands of rules, and rule episodes paged through a faulty pdsim.

    python -m bench.alerts [--rules 5000] [--episodes 1000] [--incidents 2000] [--cycles 5] [--write]

pdsim runs as a separate process (its per-account POST /incidents limit and per-token rate limit lifted: the
benchmark measures Vigil, not PagerDuty's limits). Vigil runs on a fresh PostgreSQL database on DATABASE_URL's
server (created and dropped) or, without DATABASE_URL, on SQLite; on REDIS_URL or the embedded queue.

1. Evaluation: `--rules` enabled rules (the mix in bench/alerts_mix.py: pushed metrics and incident metrics over
   incidents synced from pdsim), `--cycles` passes of `evaluate_all` one simulated minute apart. Baseline: one
   bare SELECT count(*) per distinct rule window, in the same run.
2. Delivery: `--episodes` rules fire once and recover once; two `worker.py --queues deliver` processes page pdsim
   injecting 20 % 5xx and 10 % 429. Baseline: the same number of plain serial POST /incidents (faults off).
   Exit status 1 unless every episode has exactly one PagerDuty incident, resolved.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import delete, event, func, select, text, update

from bench.sync import _fresh_database
from config import PROJECT_ROOT

TOKEN = "bench-alerts-token"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rules", type=int, default=5000)
    parser.add_argument("--episodes", type=int, default=1000)
    parser.add_argument("--incidents", type=int, default=2000, help="pdsim's seeded incidents, synced first")
    parser.add_argument("--cycles", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="record the figures in BENCHMARKS.md")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line at the end")
    parser.add_argument("--profile", action="store_true", help="cProfile one more pass (to stderr)")
    args = parser.parse_args(argv)
    for name, least in (("rules", 1), ("episodes", 1), ("incidents", 0), ("cycles", 1)):
        if getattr(args, name) < least:
            parser.error(f"--{name} must be at least {least}")

    from pdsim.process import run_pdsim_process

    with tempfile.TemporaryDirectory() as folder, run_pdsim_process(
        seed=42, incidents=args.incidents, days=30, api_tokens=[TOKEN], db_path=Path(folder) / "pdsim.db",
        extra_args=["--rate-limit", "1000000", "--post-incidents-limit", "1000000"], startup_timeout=600,
    ) as sim:  # fmt: skip
        sim.control.set_rate_limits(put_incidents=1_000_000)
        tmp = Path(folder)
        database_url, drop = _fresh_database(tmp, os.environ.get("DATABASE_URL"))
        try:
            result = _measure(args, sim, tmp, database_url)
        finally:
            if drop:
                drop()
    _print(result)
    if args.json:
        print(json.dumps(result))
    if args.write:
        _record(args, result)
    if not result["exactly_one_resolved"]:
        print(
            "FAILED: not every episode ended with exactly one PagerDuty incident, resolved", file=sys.stderr
        )
        raise SystemExit(1)
    return result


def _measure(args: argparse.Namespace, sim: Any, tmp: Path, database_url: str) -> dict[str, Any]:
    from app.launcher import EmbeddedRedis

    redis = None if os.environ.get("REDIS_URL") else EmbeddedRedis().start()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": os.environ.get("REDIS_URL") or redis.url,  # type: ignore[union-attr]
        "SECRET_KEY": "bench-secret-key-0123456789",
        "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "VIGIL_INSTANCE_PATH": str(tmp),
        "VIGIL_BASE_URL": "https://vigil.example",
        "PAGERDUTY_API_URL": sim.us_url,
        "PAGERDUTY_EU_API_URL": sim.eu_url,
        "PAGERDUTY_IDENTITY_URL": sim.identity_url,
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    from app import create_app
    from app.queue import DELIVER, get_queue

    app = create_app()
    try:
        with app.app_context():
            from flask_migrate import upgrade

            upgrade(directory=str(PROJECT_ROOT / "migrations"))
            get_queue(DELIVER).empty()  # jobs of an earlier, interrupted run would name this run's rows
            result = {"engine": "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"}
            workspace_id, account_id = _link_and_sync(sim)
            result.update(_evaluation(args, workspace_id, account_id))
            result.update(_delivery(args, workspace_id, account_id, sim, env, tmp))
    finally:
        if redis is not None:
            redis.stop()
    return result


def _link_and_sync(sim: Any) -> tuple[int, int]:
    from app import crypto
    from app.extensions import db
    from app.integrations.pagerduty.credentials import client_for
    from app.integrations.pagerduty.directory import refresh_directory
    from app.integrations.pagerduty.sync import runner
    from app.models import AuthKind, PagerDutyAccount, PDService, Workspace

    workspace = Workspace(name="Bench")
    db.session.add(workspace)
    db.session.flush()
    account = PagerDutyAccount(
        workspace_id=workspace.id, auth_kind=AuthKind.API_TOKEN, subdomain="acme",
        token_user_email=sim.admin_email, token_user_role="admin", access_token_enc=crypto.encrypt(TOKEN),
        history_days=31,  # pdsim seeds the 30 days before the start of today: all of them, at any hour
    )  # fmt: skip
    db.session.add(account)
    db.session.flush()
    refresh_directory(account, client_for(account))
    db.session.execute(db.update(PDService).values(selected=True))
    db.session.commit()
    ids = workspace.id, account.id
    assert runner.run(account.id) == "succeeded", "the incident sync failed"
    return ids


def _directory(workspace_id: int, account_id: int) -> tuple[list[str], list[str]]:
    from app.extensions import db
    from app.models import PDService, PDTeam

    services = db.session.scalars(
        select(PDService.remote_id)
        .where(PDService.account_id == account_id, PDService.status == "active")
        .order_by(PDService.remote_id)
    ).all()
    teams = db.session.scalars(
        select(PDTeam.remote_id).where(PDTeam.workspace_id == workspace_id).order_by(PDTeam.remote_id)
    ).all()
    return list(services), list(teams)


# -- 1. evaluation ----------------------------------------------------------------------------------------


def _evaluation(args: argparse.Namespace, workspace_id: int, account_id: int) -> dict[str, Any]:
    from app.alerts import evaluate, manage, signals
    from app.extensions import db
    from app.models import AlertRule, Delivery, Incident, Workspace
    from app.models.types import utcnow
    from bench import alerts_mix

    services, teams = _directory(workspace_id, account_id)
    bodies = list(alerts_mix.rule_bodies(args.rules, services, teams, account_id))
    start = utcnow().replace(microsecond=0)
    t0 = start + alerts_mix.HISTORY
    names = alerts_mix.metric_names(args.rules)
    points = alerts_mix.insert_points(workspace_id, names, start, t0 + timedelta(minutes=args.cycles))
    choices = manage.choices_for(db.session.get(Workspace, workspace_id))
    rule_ids = alerts_mix.insert_rules(workspace_id, bodies, choices, utcnow())
    _analyze(db)

    cycles, statements = [], []
    load_before = os.getloadavg()[0]
    for n in range(args.cycles):
        db.session.expunge_all()  # each pass starts as the scheduler's job does: nothing loaded
        with _counting_statements(db) as counted:
            cycles.append(evaluate.evaluate_all(t0 + timedelta(minutes=n)))
        statements.append(counted[0])
    if args.profile:
        db.session.expunge_all()
        _profile(lambda: evaluate.evaluate_all(t0 + timedelta(minutes=args.cycles - 1, seconds=30)))
    rules = db.session.scalars(select(AlertRule).where(AlertRule.id.in_(rule_ids))).all()
    incident_rules = [r for r in rules if r.signal == signals.INCIDENT]
    pushed_rules = [r for r in rules if r.signal == signals.PUSHED]
    now = t0 + timedelta(minutes=args.cycles - 1)
    observe_incident = _timed(lambda: signals.observe_incident(incident_rules, now))
    observe_pushed = _timed(lambda: signals.observe_pushed(pushed_rules, now))
    groups = len({signals._incident_key(r) for r in incident_rules})
    baseline = _bare_counts(db, workspace_id, rules, now)
    states = dict(
        db.session.execute(
            select(AlertRule.state, func.count()).where(AlertRule.id.in_(rule_ids)).group_by(AlertRule.state)
        ).all()
    )

    # The delivery phase starts from a quiet workspace: these rules stop, their (never sent) pages go.
    db.session.execute(update(AlertRule).where(AlertRule.id.in_(rule_ids)).values(enabled=False))
    db.session.execute(delete(Delivery).where(Delivery.rule_id.in_(rule_ids)))
    db.session.commit()
    later = [c.seconds for c in cycles[1:]] or [cycles[0].seconds]
    return {
        "rules": len(rule_ids),
        "mix": alerts_mix.describe_mix(bodies),
        "metric_names": len(names),
        "points": points,
        "incidents": db.session.scalar(select(func.count(Incident.id))),
        "incident_groups": groups,
        "cycle_first_seconds": cycles[0].seconds,
        "cycle_p50_seconds": statistics.median(later),
        "cycle_max_seconds": max(later),
        "cycles": [
            {
                **{k: getattr(c, k) for k in ("seconds", "transitions", "triggers", "resolves", "errors")},
                "statements": count,
            }
            for c, count in zip(cycles, statements, strict=True)
        ],
        "rules_per_second": len(rule_ids) / statistics.median(later),
        "observe_incident_seconds": observe_incident,
        "observe_pushed_seconds": observe_pushed,
        "baseline_count_seconds": baseline,
        "final_states": {str(k.value): v for k, v in states.items()},
        "statements_per_pass": statistics.median(statements[1:] or statements),
        # Other work on the machine (the timings are wall times): the 1-minute load before and after.
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
    }


@contextmanager
def _counting_statements(db: Any) -> Iterator[list[int]]:
    """How many SQL statements (an executemany counts once) run inside the block."""
    counted = [0]

    def count(*_: Any) -> None:
        counted[0] += 1

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield counted
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _profile(call: Any) -> None:
    profiler = cProfile.Profile()
    profiler.runcall(call)
    stats = pstats.Stats(profiler, stream=sys.stderr)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(25)


def _timed(call: Any) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _analyze(db: Any) -> None:
    """Fresh statistics after the bulk inserts, as autovacuum would have them a minute later."""
    if db.engine.dialect.name == "postgresql":
        db.session.commit()
        db.session.execute(text("ANALYZE"))
    db.session.commit()


def _bare_counts(db: Any, workspace_id: int, rules: list[Any], now: Any) -> float:
    """One bare SELECT count(*) per distinct rule window: the floor of reading each window once."""
    from app.alerts.signals import epoch_minute
    from app.models import Incident, MetricPoint

    windows = {(r.signal, r.window_seconds) for r in rules}
    started = time.perf_counter()
    for signal, seconds in sorted(windows):
        since = now - timedelta(seconds=seconds)
        if signal == "pushed":
            db.session.scalar(
                select(func.count()).where(
                    MetricPoint.workspace_id == workspace_id, MetricPoint.minute >= epoch_minute(since)
                )
            )
        else:
            db.session.scalar(
                select(func.count()).where(
                    Incident.workspace_id == workspace_id, Incident.created_at >= since
                )
            )
    return time.perf_counter() - started


# -- 2. delivery ------------------------------------------------------------------------------------------


def _delivery(
    args: argparse.Namespace, workspace_id: int, account_id: int, sim: Any, env: dict[str, str], tmp: Path
) -> dict[str, Any]:
    from app.alerts import manage
    from app.alerts.rules import parse_rule
    from app.extensions import db
    from app.models import AlertRule, Workspace
    from app.models.types import utcnow
    from bench import alerts_delivery, alerts_mix

    services, _ = _directory(workspace_id, account_id)
    workspace = db.session.get(Workspace, workspace_id)
    baseline = alerts_delivery.baseline(sim.base_url, TOKEN, sim.admin_email, services, args.episodes)
    choices = manage.choices_for(workspace)

    def rules_for(metric: str) -> list[int]:
        bodies = alerts_delivery.episode_bodies(args.episodes, services, account_id, metric)
        # The first rule is created as the UI does (its target checked live with pdsim), the rest alike.
        first = manage.create_rule(workspace, parse_rule(bodies[0], choices), None)
        return [first.id, *alerts_mix.insert_rules(workspace_id, bodies[1:], choices, utcnow())]

    # One pair of workers for both runs, started before the first page as in production.
    with alerts_delivery.Workers(env, tmp) as workers:
        faulty_ids = rules_for(alerts_delivery.METRIC)
        figures = alerts_delivery.run(
            workspace, faulty_ids, alerts_delivery.METRIC, alerts_delivery.FAULTS, sim, workers
        )
        db.session.execute(update(AlertRule).where(AlertRule.id.in_(faulty_ids)).values(enabled=False))
        db.session.commit()
        # The same episodes without faults: Vigil's own cost per page, next to the baseline's.
        clean_ids = rules_for(alerts_delivery.CLEAN_METRIC)
        clean = alerts_delivery.run(workspace, clean_ids, alerts_delivery.CLEAN_METRIC, None, sim, workers)
    return {
        **figures,
        **_rates(args.episodes, figures, baseline),
        **{f"clean_{k}": v for k, v in {**clean, **_rates(args.episodes, clean, baseline)}.items()},
        "baseline_post_seconds": baseline,
        "baseline_posts_per_second": args.episodes / baseline,
        "exactly_one_resolved": figures["exactly_one_resolved"] and clean["exactly_one_resolved"],
    }


def _rates(episodes: int, figures: dict[str, Any], baseline: float) -> dict[str, float | None]:
    paged = episodes / figures["trigger_seconds"] if figures["trigger_seconds"] else None
    done = episodes / figures["episode_seconds"] if figures["episode_seconds"] else None
    return {
        "episodes_paged_per_second": paged,
        "episodes_completed_per_second": done,
        "throughput_vs_baseline": paged / (episodes / baseline) if paged else None,
    }


# -- report -----------------------------------------------------------------------------------------------


def _print(result: dict[str, Any]) -> None:
    print("\nalerts benchmark")
    for key, value in result.items():
        if isinstance(value, float):
            print(f"  {key:30} {value:,.3f}")
        elif isinstance(value, dict | list):
            print(f"  {key:30} {json.dumps(value)}")
        else:
            print(f"  {key:30} {value}")


def _record(args: argparse.Namespace, r: dict[str, Any]) -> None:
    from bench.alerts_mix import MIX
    from bench.alerts_report import section
    from bench.report import write_section

    write_section("alerts", section(args, r, MIX))


if __name__ == "__main__":
    main()
