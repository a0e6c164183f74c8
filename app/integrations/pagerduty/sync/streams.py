"""The streams of a sync (directory, incidents, log entries, change events), each checkpointed after every
chunk; passes.py runs them as a backfill or an incremental pass. Order matters: the directory first (incidents
reference services, teams and users), incidents before log entries (entries of incidents Vigil does not keep
are skipped), change events last. A checkpoint advances only in the same commit as the rows it covers, so a
worker killed at any moment resumes without a gap."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import orjson
from sqlalchemy import select, update

from app.analytics.changes import AccountWrites
from app.extensions import db
from app.integrations.pagerduty.client import PagerDutyClient
from app.integrations.pagerduty.directory import refresh_directory
from app.integrations.pagerduty.errors import PagerDutyError
from app.integrations.pagerduty.pagination import WindowPage
from app.integrations.pagerduty.sync import store
from app.integrations.pagerduty.sync.derive import refresh_derived
from app.integrations.pagerduty.sync.prefetch import Prefetch
from app.integrations.pagerduty.sync.store import AccountIds, Counts, Directory
from app.models import PagerDutyAccount, SyncCheckpoint, SyncRun
from app.models.types import utcnow

log = logging.getLogger(__name__)

CHUNK = timedelta(days=30)  # a checkpoint per chunk; small enough to resume cheaply, big enough to page well
OVERLAP = timedelta(minutes=10)  # PagerDuty's since/until inclusivity is undocumented (API-NOTES §2.5)
CHANGE_EVENT_RETENTION = timedelta(days=90)  # API-NOTES §2.9
DIRECTORY_MAX_AGE = timedelta(hours=1)
# A commit (a WAL flush, the run's counters, the lock's heartbeat) at most this often within a chunk: one per
# page cost more than writing the page. Progress shown in the UI lags by at most this much.
COMMIT_EVERY = 1.0
# Pages downloaded ahead of the one being written, at most: enough that a chunk's slow refresh of derived
# columns never stalls the download (BENCHMARKS.md's changelog, 81e9156).
PAGES_AHEAD = 256


class SyncContext:
    def __init__(
        self,
        account: PagerDutyAccount,
        client: PagerDutyClient,
        run: SyncRun,
        heartbeat: Callable[[], None] = lambda: None,
    ) -> None:
        self.account, self.client, self.run, self.heartbeat = account, client, run, heartbeat
        self.now = utcnow()
        self.directory = Directory()
        # Kept as plain values: every commit expires the ORM rows, and re-reading the account and the run
        # after each page would cost two queries a page.
        self.ids = AccountIds(account.id, account.workspace_id)
        self.run_id = run.id
        self.totals = Counts(run.fetched or 0, run.created or 0, run.updated or 0)
        self._requests_before = (run.requests or 0, run.rate_limited or 0)
        self.writes = AccountWrites(self.ids.id, self.ids.workspace_id)  # told to analytics at each commit
        self._committed_at = time.monotonic()
        # The created/updated totals at the last commit, and whether something the totals do not count (a
        # refreshed directory) was written since: the next commit then still retires the computed analytics.
        self._versioned_totals = (self.totals.created, self.totals.updated)
        self.unversioned_write = False

    def store_incidents(self, raw: list[dict[str, Any]], fetched: bool = True) -> None:
        """Write and count incidents; with `fetched=False` only what was written counts."""
        counts, rewritten = store.store_incidents(self.ids, raw, self.directory)
        self.writes.incidents_rewritten(rewritten)
        self.record(counts if fetched else Counts(0, counts.created, counts.updated))

    def record(self, counts: Counts) -> None:
        self.totals.fetched += counts.fetched
        self.totals.created += counts.created
        self.totals.updated += counts.updated

    def request_counts(self) -> tuple[int, int]:
        """The run's requests and rate-limited ones: a continued run has a new client, whose count adds on."""
        stats = self.client.stats
        return self._requests_before[0] + stats.requests, self._requests_before[1] + stats.rate_limited

    def page_done(self) -> None:
        """Commit a written page, unless the last commit was less than COMMIT_EVERY ago. Rows may reach the
        database ahead of the checkpoint that covers them (a resumed chunk then rewrites nothing), never the
        other way round: checkpoints move only in commit()."""
        if time.monotonic() - self._committed_at >= COMMIT_EVERY:
            self.commit()

    def commit(self, progress: float | None = None, stage: str | None = None) -> None:
        requests, rate_limited = self.request_counts()
        values: dict[str, Any] = {
            "fetched": self.totals.fetched,
            "created": self.totals.created,
            "updated": self.totals.updated,
            "requests": requests,
            "rate_limited": rate_limited,
        }
        if progress is not None:
            values["progress"] = max(0.0, min(1.0, progress))
        if stage is not None:
            values["stage"] = stage
        db.session.execute(update(SyncRun).where(SyncRun.id == self.run_id).values(values))
        totals = (self.totals.created, self.totals.updated)
        self.writes.before_commit(wrote=self.unversioned_write or totals != self._versioned_totals)
        self._versioned_totals, self.unversioned_write = totals, False
        db.session.commit()
        self._committed_at = time.monotonic()
        self.heartbeat()


def checkpoint(account: PagerDutyAccount, stream: str) -> SyncCheckpoint:
    row = db.session.scalar(
        select(SyncCheckpoint).where(SyncCheckpoint.account_id == account.id, SyncCheckpoint.stream == stream)
    )
    if row is None:
        row = SyncCheckpoint(account_id=account.id, stream=stream, data={})
        db.session.add(row)
        db.session.flush()
    return row


def sync_directory(ctx: SyncContext, force: bool = False) -> None:
    marker = checkpoint(ctx.account, "directory")
    if not force and marker.position is not None and ctx.now - marker.position < DIRECTORY_MAX_AGE:
        ctx.directory = Directory.load(ctx.account)
        return
    client, account = ctx.client, ctx.account
    ctx.commit(stage="Directory: services and teams")
    found = refresh_directory(account, client)
    ctx.record(Counts(found.services + found.teams, found.added, 0))
    ctx.unversioned_write = True  # renames and team changes are not in the counts above
    counts, rezoned = store.store_users(account, client.list_users(), Directory.load(account).teams)
    ctx.writes.zones_changed(rezoned)
    ctx.record(counts)
    ctx.record(store.store_priorities(account, _optional(client.list_priorities)))
    marker.position = ctx.now
    ctx.commit(stage="Directory done")
    ctx.directory = Directory.load(account)


def _optional(fetch: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Teams and priorities are account abilities: without them PagerDuty answers 402/403 (API-NOTES §2.4)."""
    try:
        return fetch()
    except PagerDutyError as exc:
        # 402: the account lacks the ability; 403: the grant lacks the scope. Either way there is nothing to
        # sync here, and a token that lost access altogether fails on services right after.
        if exc.status in {402, 403}:
            log.info("account %s has no access to this part of the directory: %s", exc.status, exc.message)
            return []
        raise


def _by_chunk(
    fetch: Callable[[datetime, datetime], Iterator[WindowPage]], since: datetime, until: datetime
) -> Iterator[bytes | datetime]:
    """A stream's pages chunk by chunk, each chunk followed by its end (where its checkpoint moves to). Pages
    cross from the download process as JSON: orjson encodes a page of log entries in ~0.09 ms against pickle's
    ~0.35 ms (on the download, the critical path) and decodes it in ~0.42 ms against ~0.6 ms."""
    start = since
    while start < until:
        stop = min(start + CHUNK, until)
        for page in fetch(start, stop):
            yield orjson.dumps(page.items)
        yield stop
        start = stop


@contextmanager
def _prefetching(
    ctx: SyncContext,
    fetch: Callable[[datetime, datetime], Iterator[WindowPage]],
    since: datetime,
    until: datetime,
) -> Iterator[Prefetch[bytes | datetime]]:
    """The next pages download while this one is written (still one request at a time, see prefetch.py); the
    `with` stops the download process before an error leaves the stream."""
    client = ctx.client
    ahead = Prefetch(
        _by_chunk(fetch, since, until),
        ahead=PAGES_AHEAD,
        report=lambda: client.stats,
        adopt=client.adopt_stats,
    )
    try:
        with client.refreshing_through(ahead.routed), ahead:
            yield ahead
    finally:
        client.drop_connections()


def sync_incidents(
    ctx: SyncContext,
    since: datetime,
    until: datetime,
    services: list[str] | None,
    on_chunk: Callable[[datetime], None],
) -> None:
    fetch = partial(ctx.client.iter_incident_pages, params={"service_ids": services} if services else {})
    with _prefetching(ctx, fetch, since, until) as pages:
        for page in pages:
            if isinstance(page, datetime):
                on_chunk(page)
                continue
            ctx.store_incidents(orjson.loads(page))
            ctx.page_done()


def sync_log_entries(
    ctx: SyncContext,
    since: datetime,
    until: datetime,
    with_incidents: bool,
    on_chunk: Callable[[datetime], None],
) -> None:
    fetch = partial(ctx.client.iter_log_entry_pages, include=["incidents"] if with_incidents else [])
    named: set[int] = set()  # incidents the chunk's entries belong to
    with _prefetching(ctx, fetch, since, until) as pages:
        for page in pages:
            if isinstance(page, datetime):
                # Derived columns once per chunk, in the commit that moves the checkpoint, for every incident
                # the chunk named, changed or not: a chunk resumed after a killed worker rewrites no entry,
                # yet the incidents of the entries that worker committed still need their refresh.
                ctx.record(Counts(updated=refresh_derived(named)))
                named = set()
                on_chunk(page)
                continue
            items = orjson.loads(page)
            if with_incidents:
                # An old incident acknowledged or resolved now shows up here with its current state.
                embedded = [e["incident"] for e in items if e.get("incident", {}).get("type") == "incident"]
                ctx.store_incidents(embedded, fetched=False)
            counts, incidents, _ = store.upsert_log_entries(
                ctx.ids, items, ctx.directory, ctx.writes.entry_fields
            )
            named |= incidents
            ctx.record(counts)
            ctx.page_done()


def sync_change_events(ctx: SyncContext, since: datetime, until: datetime) -> None:
    since = max(since, ctx.now - CHANGE_EVENT_RETENTION + timedelta(minutes=1))
    if since >= until:
        return
    ctx.record(
        store.store_change_events(ctx.account, ctx.client.list_change_events(since, until), ctx.directory)
    )
    checkpoint(ctx.account, "change_events").position = until
    ctx.commit()
