"""The streams of a sync (directory, incidents, log entries, change events), each checkpointed after every
chunk; passes.py runs them as a backfill or an incremental pass.

Order matters: the directory first (incidents reference services, teams and users), incidents before log
entries (entries of incidents Vigil does not keep are skipped), change events last. A checkpoint advances
only in the same commit as the rows it covers, so a worker killed at any moment resumes without a gap.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

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
T = TypeVar("T")

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


@dataclass
class SyncContext:
    account: PagerDutyAccount
    client: PagerDutyClient
    run: SyncRun
    heartbeat: Callable[[], None] = lambda: None
    now: datetime = field(default_factory=utcnow)
    directory: Directory = field(default_factory=Directory)
    # Kept as plain values: every commit expires the ORM rows, and re-reading the account and the run after
    # each page would cost two queries a page.
    ids: AccountIds = field(init=False)
    totals: Counts = field(init=False)
    writes: AccountWrites = field(init=False)  # told to analytics at each commit (app/analytics/changes.py)
    run_id: int = field(init=False)
    _committed_at: float = field(init=False, default_factory=time.monotonic)
    _requests_before: tuple[int, int] = field(init=False, default=(0, 0))
    # The created/updated totals at the last commit, and whether something the totals do not count (a
    # refreshed directory) was written since.
    _versioned_totals: tuple[int, int] = field(init=False, default=(0, 0))
    _unversioned_write: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        self.ids = AccountIds(self.account.id, self.account.workspace_id)
        self.writes = AccountWrites(self.ids.id, self.ids.workspace_id)
        self.run_id = self.run.id
        self.totals = Counts(self.run.fetched or 0, self.run.created or 0, self.run.updated or 0)
        # A continued run (after a long rate limit) has a new client: its requests add to the run's.
        self._requests_before = (self.run.requests or 0, self.run.rate_limited or 0)
        self._versioned_totals = (self.totals.created, self.totals.updated)

    def wrote(self) -> None:
        """Something the counts do not show was written (a renamed service, say): the next commit still
        retires the workspace's computed analytics."""
        self._unversioned_write = True

    def store_incidents(self, raw: list[dict[str, Any]]) -> Counts:
        counts, rewritten = store.store_incidents(self.ids, raw, self.directory)
        self.writes.incidents_rewritten(rewritten)
        return counts

    def record(self, counts: Counts) -> None:
        self.totals.fetched += counts.fetched
        self.totals.created += counts.created
        self.totals.updated += counts.updated

    def page_done(self) -> None:
        """Commit a written page, unless the last commit was less than COMMIT_EVERY ago.

        Rows may reach the database ahead of the checkpoint that covers them (a resumed chunk then rewrites
        nothing), never the other way round: checkpoints move only in commit().
        """
        if time.monotonic() - self._committed_at >= COMMIT_EVERY:
            self.commit()

    def commit(self, progress: float | None = None, stage: str | None = None) -> None:
        values: dict[str, Any] = {
            "fetched": self.totals.fetched,
            "created": self.totals.created,
            "updated": self.totals.updated,
            "requests": self._requests_before[0] + self.client.stats.requests,
            "rate_limited": self._requests_before[1] + self.client.stats.rate_limited,
        }
        if progress is not None:
            values["progress"] = max(0.0, min(1.0, progress))
        if stage is not None:
            values["stage"] = stage
        db.session.execute(update(SyncRun).where(SyncRun.id == self.run_id).values(values))
        totals = (self.totals.created, self.totals.updated)
        self.writes.before_commit(wrote=self._unversioned_write or totals != self._versioned_totals)
        self._versioned_totals, self._unversioned_write = totals, False
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


def chunks(since: datetime, until: datetime, size: timedelta = CHUNK) -> Iterator[tuple[datetime, datetime]]:
    start = since
    while start < until:
        stop = min(start + size, until)
        yield start, stop
        start = stop


# -- the directory -------------------------------------------------------------------------------------------


def sync_directory(ctx: SyncContext, force: bool = False) -> None:
    marker = checkpoint(ctx.account, "directory")
    if not force and marker.position is not None and ctx.now - marker.position < DIRECTORY_MAX_AGE:
        ctx.directory = Directory.load(ctx.account)
        return
    client, account = ctx.client, ctx.account
    ctx.commit(stage="Directory: services and teams")
    found = refresh_directory(account, client)
    ctx.record(Counts(found.services + found.teams, found.added, 0))
    ctx.wrote()  # renames and team changes are not in the counts above
    teams = Directory.load(account).teams
    counts, rezoned = store.store_users(account, client.list_users(), teams)
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


# -- incidents, log entries, change events ------------------------------------------------------------------


@dataclass(frozen=True)
class ChunkDone:
    """Marks the end of a chunk's pages in a stream of pages."""

    until: datetime


@dataclass(frozen=True)
class PageItems:
    """A page's items as JSON, the way they cross from the download process to the writing one: orjson
    encodes a page of log entries in ~0.09 ms against pickle's ~0.35 ms (on the download, the critical path)
    and decodes it in ~0.42 ms against ~0.6 ms."""

    encoded: bytes

    def decode(self) -> list[dict[str, Any]]:
        return orjson.loads(self.encoded)  # type: ignore[no-any-return]


def _by_chunk(
    fetch: Callable[[datetime, datetime], Iterator[WindowPage]], since: datetime, until: datetime
) -> Iterator[PageItems | ChunkDone]:
    for start, stop in chunks(since, until):
        for page in fetch(start, stop):
            yield PageItems(orjson.dumps(page.items))
        yield ChunkDone(stop)


@contextmanager
def _prefetching(ctx: SyncContext, pages: Iterator[T]) -> Iterator[Prefetch[T]]:
    """The next pages download while this one is written (still one request at a time, see prefetch.py).

    The `with` guarantees the download process has stopped before an error leaves the stream.
    """
    client = ctx.client
    ahead = Prefetch(pages, ahead=PAGES_AHEAD, report=lambda: client.stats, adopt=client.adopt_stats)
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
    params: dict[str, Any] = {"service_ids": services} if services else {}

    def fetch(start: datetime, stop: datetime) -> Iterator[WindowPage]:
        return ctx.client.iter_incident_pages(start, stop, params)

    with _prefetching(ctx, _by_chunk(fetch, since, until)) as pages:
        for page in pages:
            if isinstance(page, ChunkDone):
                on_chunk(page.until)
                continue
            ctx.record(ctx.store_incidents(page.decode()))
            ctx.page_done()


def sync_log_entries(
    ctx: SyncContext,
    since: datetime,
    until: datetime,
    with_incidents: bool,
    on_chunk: Callable[[datetime], None],
) -> None:
    include = ["incidents"] if with_incidents else []

    def fetch(start: datetime, stop: datetime) -> Iterator[WindowPage]:
        return ctx.client.iter_log_entry_pages(start, stop, include)

    named: set[int] = set()  # incidents the chunk's entries belong to
    with _prefetching(ctx, _by_chunk(fetch, since, until)) as pages:
        for page in pages:
            if isinstance(page, ChunkDone):
                # Derived columns once per chunk, in the commit that moves the checkpoint, for every incident
                # the chunk named, changed or not: a chunk resumed after a killed worker rewrites no entry,
                # yet the incidents of the entries that worker committed still need their refresh.
                ctx.record(Counts(updated=refresh_derived(named)))
                named = set()
                on_chunk(page.until)
                continue
            items = page.decode()
            if with_incidents:
                # An old incident acknowledged or resolved now shows up here with its current state.
                embedded = [e["incident"] for e in items if e.get("incident", {}).get("type") == "incident"]
                counts = ctx.store_incidents(embedded)
                ctx.record(Counts(0, counts.created, counts.updated))
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
    cp = checkpoint(ctx.account, "change_events")
    cp.position = until
    ctx.commit()
