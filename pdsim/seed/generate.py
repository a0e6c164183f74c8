"""Generate a whole account into a store: directory, deploys, incidents with log entries, ground truth.

Everything comes from one `random.Random(seed)` consumed in a fixed order, so the same `SeedParams` give
byte-identical tables. Rows are written in large `executemany` batches inside one transaction, with the
indexes built at the end; the garbage collector is paused because it would otherwise rescan millions of
young tuples (this alone roughly halves the time for a million incidents).
"""

from __future__ import annotations

import gc
import logging
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager

from pdsim.config import SeedParams
from pdsim.seed import vocab
from pdsim.seed.account import Account, build_account, directory_rows
from pdsim.seed.changes import change_rows, plan_deploys, plan_failures, truth_rows
from pdsim.seed.incidents import IncidentFactory, IncidentSpec
from pdsim.seed.rhythm import Rhythm
from pdsim.seed.titles import TitleMaker
from pdsim.store import Store

log = logging.getLogger(__name__)

BATCH = 50_000
INSERTS = {
    "teams": 5,
    "users": 11,
    "team_members": 3,
    "escalation_policies": 7,
    "services": 13,
    "priorities": 4,
    "incidents": 25,
    "log_entries": 10,
    "change_events": 9,
    "truth_deploys": 5,
}


@contextmanager
def _gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def generate(store: Store, params: SeedParams) -> float:
    """Replace the store's seeded tables with a fresh account; returns the seconds it took."""
    started = time.perf_counter()
    store.recreate_seed_tables()
    with _gc_paused(), store.bulk() as conn:

        def insert(table: str, rows: list[tuple[object, ...]]) -> None:
            if rows:
                marks = ",".join("?" * INSERTS[table])
                conn.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)

        rng = random.Random(params.seed)
        account = build_account(rng, params)
        for table, rows in directory_rows(account, params).items():
            insert(table, rows)
        zones = sorted({t.home_tz for t in account.teams})
        rhythm = Rhythm(rng, params.anchor, params.days, zones)
        titles = TitleMaker(rng, [s.name for s in account.services])
        deploys = plan_deploys(rng, account, rhythm)
        failures = plan_failures(rng, account, deploys, params.anchor, cap=params.incidents // 4)
        specs = _plan_incidents(rng, account, rhythm, params.incidents - len(failures))
        for i, s, t in failures:
            svc = account.services[s]
            specs.append(IncidentSpec(t, s, rng.choice(svc.templates), caused_by=(i, s)))
        specs.sort(key=lambda sp: (sp.created, sp.service))
        for spec, state in zip(reversed(specs), ("triggered", "acknowledged", "acknowledged"), strict=False):
            spec.force_open = state

        factory = IncidentFactory(rng, account, params.anchor, titles)
        caused: dict[tuple[int, int], int] = {}
        incident_times: dict[int, list[tuple[int, int]]] = {}
        for number, spec in enumerate(specs, start=1):
            factory.make(number, spec)
            incident_times.setdefault(spec.service, []).append((spec.created, number))
            if spec.caused_by is not None:
                caused[spec.caused_by] = number
            if len(factory.entries) >= BATCH:
                insert("incidents", factory.incidents)
                insert("log_entries", factory.entries)
                factory.incidents.clear()
                factory.entries.clear()
        insert("incidents", factory.incidents)
        insert("log_entries", factory.entries)
        insert("change_events", change_rows(rng, account, deploys, titles, params.subdomain))
        insert("truth_deploys", truth_rows(account, deploys, caused, incident_times))
        meta = params.to_meta() | {
            "account_id": account.account_id,
            "account_time_zone": vocab.ACCOUNT_TIME_ZONE[params.region],
        }
        conn.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
    store.create_seed_indexes()
    with store.write() as conn:  # only now is the seed usable: a crash before this regenerates it
        conn.execute("INSERT INTO meta VALUES ('complete', '1')")
    took = time.perf_counter() - started
    log.info(
        "seeded %d incidents, %d log entries, %d deploys in %.1fs",
        params.incidents,
        factory.seq,
        len(deploys),
        took,
    )
    return took


def _plan_incidents(rng: random.Random, account: Account, rhythm: Rhythm, count: int) -> list[IncidentSpec]:
    services = account.services
    cum = []
    total = 0.0
    for s in services:
        total += s.weight
        cum.append(total)
    chosen = rng.choices(range(len(services)), cum_weights=cum, k=max(count, 0))
    specs = []
    for s in chosen:
        svc = services[s]
        tz = account.teams[svc.team].home_tz
        template = rng.choice(svc.hot) if rng.random() < 0.45 else rng.choice(svc.templates)
        specs.append(IncidentSpec(rhythm.incident_time(tz), s, template))
    return specs
