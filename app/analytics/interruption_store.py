"""Which notifications are interruptions: verdicts written with the notifications, so reading counts rows.

By the 60-second rule (interruptions.py) a notification 60 s or more after the one before it (counted or not)
always counts, so a person's notifications fall into *bursts*, split at such gaps, and the verdicts inside a
burst depend on that burst alone. Settling a span of time is therefore: widen it to the whole bursts it
touches, walk each burst (interruptions.counted_indices), and write the difference to the `interruptions`
table (one row per notification that counts).

Who settles, always in the caller's transaction (through changes.py, and the tests' factories):
- `settle_account`: the notifications an account wrote above its watermark
  (PagerDutyAccount.interruptions_settled_to), and the verdicts of incidents written again, which follow an
  incident moved to another service. Sync settles before each commit, so no reader sees a notification without
  its verdict.
- `rebuild_workspace`: everything, in one pass ordered by person and time (a bulk load, or an account's whole
  history settled for the first time).
- `resettle_incident`: the bursts of an incident's notifications, after it is excluded or included.
On PostgreSQL a transaction-scoped advisory lock per workspace keeps two settlers from judging the same burst
from different snapshots; SQLite has one writer at a time anyway.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import groupby
from operator import attrgetter
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Select, Table, and_, delete, false, func, select, text, update

from app.analytics.interruptions import BURST_GAP, INTERRUPTING_CHANNELS, counted_indices
from app.analytics.local_times import zones_by_user
from app.extensions import db, is_postgresql
from app.models import Incident, IncidentLogEntry, Interruption, LogEntryType, PagerDutyAccount
from app.models.bulk import insert_rows

# Read this far around a span first; a burst that reaches the edge of what was read makes the read wider.
_FIRST_PAD = timedelta(hours=1)
# Notifications a settling step takes at once, and the longest stretch of time one read covers: memory stays
# small however much an account wrote (a first backfill, the migration that introduced the table).
_BATCH = 20_000
_READ_SPAN = timedelta(days=2)
_CHUNK = 500  # ids per DELETE … IN
_TABLE: Table = Interruption.__table__  # type: ignore[assignment]
_ENTRIES: Table = IncidentLogEntry.__table__  # type: ignore[assignment]
_INCIDENTS: Table = Incident.__table__  # type: ignore[assignment]
# A log entry that is a notification able to interrupt someone: the rows every settling read starts from.
_CAN_INTERRUPT = and_(
    _ENTRIES.c.type == LogEntryType.NOTIFY.value,
    _ENTRIES.c.channel.in_(INTERRUPTING_CHANNELS),
    _ENTRIES.c.user_id.is_not(None),
)
_T = TypeVar("_T")
_ADVISORY_KEY = 0x56494749  # "VIGI": the high half of the lock's key; the workspace id is the low half


@dataclass(frozen=True)
class Span:  # one person's stretch of time whose verdicts may have changed
    user_id: int
    start: datetime
    end: datetime


# An eligible notification as settling reads it: a tuple, as a frozen dataclass took 3x as long to build.
class Note(NamedTuple):
    id: int
    user_id: int
    incident_id: int
    service_id: int
    at: datetime
    local_hour: int | None
    local_isoweekday: int | None


def settle_account(account_id: int, rewritten: Sequence[int] = ()) -> int:
    """Write the verdicts of the account's notifications above its watermark, and move those of `rewritten`
    incidents that changed service; returns verdicts written."""
    _follow_service_moves(rewritten)
    account = db.session.execute(
        select(PagerDutyAccount.workspace_id, PagerDutyAccount.interruptions_settled_to).where(
            PagerDutyAccount.id == account_id
        )
    ).one()
    workspace_id, settled_to = account.workspace_id, account.interruptions_settled_to
    entry = _ENTRIES.c
    # Backwards along the primary key from the newest entry: reads only what was written since.
    top = db.session.scalar(
        select(entry.id)
        .where(entry.id > settled_to, entry.account_id == account_id)
        .order_by(entry.id.desc())
        .limit(1)
    )
    if top is None:
        return 0
    _lock(workspace_id)
    written = 0
    while True:
        # The account is checked in Python: in SQL, PostgreSQL without statistics (a first backfill)
        # intersected this id range with the account's whole (account, remote id) index on every commit. The
        # id range alone is a short walk of the primary key; a concurrent sync's entries in it are skipped.
        batch = db.session.execute(
            select(entry.id, entry.account_id, entry.user_id, entry.at)
            .where(entry.id > settled_to, entry.id <= top, _CAN_INTERRUPT)
            .order_by(entry.id)
            .limit(_BATCH)
        ).all()
        if not batch:
            break
        if account.interruptions_settled_to == 0 and len(batch) == _BATCH and not written:
            # A whole history waits (the account synced before verdicts were stored): one ordered pass over
            # the workspace is far quicker than settling it span by span.
            return rebuild_workspace(workspace_id)
        mine = [(row.user_id, row.at) for row in batch if row.account_id == account_id]
        written += settle(workspace_id, spans_around(mine))
        settled_to = batch[-1].id
        if len(batch) < _BATCH:
            break
    db.session.execute(
        update(PagerDutyAccount)
        .where(PagerDutyAccount.id == account_id)
        .values(interruptions_settled_to=top)
        .execution_options(synchronize_session=False)
    )
    return written


def resettle_incident(incident: Incident) -> int:
    """Re-judge the bursts of this incident's notifications (after it was excluded or included)."""
    entry = _ENTRIES.c
    rows = db.session.execute(
        select(entry.user_id, entry.at).where(entry.incident_id == incident.id, _CAN_INTERRUPT)
    ).all()
    if not rows:
        return 0
    _lock(incident.workspace_id)
    return settle(incident.workspace_id, spans_around((row.user_id, row.at) for row in rows))


def rebuild_workspace(workspace_id: int) -> int:
    """Every verdict of the workspace from scratch, one person at a time (a bulk load, a repair); returns the
    rows written and leaves every account's watermark at its newest entry."""
    _lock(workspace_id)
    db.session.execute(
        delete(Interruption)
        .where(Interruption.workspace_id == workspace_id)
        .execution_options(synchronize_session=False)
    )
    zones = zones_by_user(workspace_id)
    written, pending = 0, []
    # One ordered stream of the whole workspace (a server-side cursor on PostgreSQL): a person's
    # notifications arrive together, and only one person's are held at a time.
    for notes in _eligible_by_person(workspace_id):
        pending += [burst[i] for burst in bursts(notes) for i in counted_indices([n.at for n in burst])]
        if len(pending) >= _BATCH:
            insert_rows(_TABLE, [_row(workspace_id, note, zones) for note in pending])
            written, pending = written + len(pending), []
    insert_rows(_TABLE, [_row(workspace_id, note, zones) for note in pending])
    written += len(pending)
    entry = IncidentLogEntry
    newest = select(func.coalesce(func.max(entry.id), 0)).where(entry.account_id == PagerDutyAccount.id)
    db.session.execute(
        update(PagerDutyAccount)
        .where(PagerDutyAccount.workspace_id == workspace_id)
        .values(interruptions_settled_to=newest.scalar_subquery())
        .execution_options(synchronize_session=False)
    )
    return written


def _follow_service_moves(incident_ids: Sequence[int]) -> None:
    """PagerDuty lets a responder move an incident to another service: its verdicts carry the service, so
    they follow. A probe of ix_interruptions_incident per incident."""
    current = select(Incident.service_id).where(Incident.id == Interruption.incident_id).scalar_subquery()
    for i in range(0, len(incident_ids), _CHUNK):
        db.session.execute(
            update(Interruption)
            .where(
                Interruption.incident_id.in_(incident_ids[i : i + _CHUNK]), Interruption.service_id != current
            )
            .values(service_id=current)
            .execution_options(synchronize_session=False)
        )


def spans_around(notes: Iterable[tuple[int, datetime]]) -> list[Span]:
    """Each person's notification times merged into spans (times closer than the first read's padding share
    one), each widened by the 60 s within which a change can reach the next notification."""
    by_user: dict[int, list[datetime]] = defaultdict(list)
    for user_id, at in notes:
        by_user[user_id].append(at)
    return [
        Span(user_id, run[0] - BURST_GAP, run[-1] + BURST_GAP)
        for user_id, times in by_user.items()
        for run in _runs(sorted(times), lambda run, at: at - run[-1] <= _FIRST_PAD)
    ]


def settle(workspace_id: int, spans: Sequence[Span]) -> int:
    """Make `interruptions` right for every burst that touches one of the spans; returns rows written."""
    written = 0
    zones = None
    for group in _read_groups(spans):
        decided = _decide(workspace_id, group)
        if zones is None and any(note.local_hour is None for _span, notes in decided for note in notes):
            zones = zones_by_user(workspace_id)
        written += _write(workspace_id, decided, zones or {})
    return written


def bursts(notes: Sequence[Note]) -> list[list[Note]]:
    """One person's notifications (in time order) split where 60 s or more separate two of them."""
    return _runs(notes, lambda burst, note: note.at - burst[-1].at < BURST_GAP)


def _read_groups(spans: Sequence[Span]) -> list[list[Span]]:
    """Spans grouped so that one read of everyone's notifications covers each group's stretch of time."""
    return _runs(
        sorted(spans, key=attrgetter("start")), lambda group, span: span.end - group[0].start <= _READ_SPAN
    )


def _runs(items: Iterable[_T], joins: Callable[[list[_T], _T], bool]) -> list[list[_T]]:
    """Items in order, cut into runs: an item joins the run before it when `joins(run, item)`."""
    runs: list[list[_T]] = []
    for item in items:
        if runs and joins(runs[-1], item):
            runs[-1].append(item)
        else:
            runs.append([item])
    return runs


def _decide(workspace_id: int, spans: list[Span]) -> list[tuple[Span, list[Note]]]:
    """For each span: the stretch to rewrite (widened to whole bursts) and its notifications that count."""
    decided: list[tuple[Span, list[Note]]] = []
    todo, pad = spans, _FIRST_PAD
    while todo:
        low, high = min(s.start for s in todo) - pad, max(s.end for s in todo) + pad
        by_user = _eligible(workspace_id, sorted({s.user_id for s in todo}), low, high)
        again: list[Span] = []
        for span in todo:
            touched = [
                burst
                for burst in bursts(by_user.get(span.user_id, []))
                if burst[-1].at >= span.start and burst[0].at <= span.end
            ]
            if touched and (touched[0][0].at - low < BURST_GAP or high - touched[-1][-1].at < BURST_GAP):
                again.append(span)  # a touched burst may go on beyond what was read
                continue
            start = min(span.start, touched[0][0].at) if touched else span.start
            end = max(span.end, touched[-1][-1].at) if touched else span.end
            counting = [burst[i] for burst in touched for i in counted_indices([n.at for n in burst])]
            decided.append((Span(span.user_id, start, end), counting))
        todo, pad = again, pad * 8
    return decided


def _eligible(workspace_id: int, user_ids: list[int], low: datetime, high: datetime) -> dict[int, list[Note]]:
    """The people's notifications that can interrupt, sent in [low, high]."""
    entry = _ENTRIES.c
    rows = db.session.execute(
        _eligible_query(workspace_id).where(entry.user_id.in_(user_ids), entry.at >= low, entry.at <= high)
    )
    return {
        user_id: [Note(*row) for row in person] for user_id, person in groupby(rows, attrgetter("user_id"))
    }


def _eligible_by_person(workspace_id: int) -> Iterator[list[Note]]:
    """Every notification of the workspace that can interrupt, one person's at a time, in time order."""
    rows = db.session.execute(_eligible_query(workspace_id), execution_options={"yield_per": _BATCH})
    for _user_id, person in groupby(rows, attrgetter("user_id")):
        yield [Note(*row) for row in person]


def _eligible_query(workspace_id: int) -> Select[Any]:
    # Columns in Note's order; ordered by person, as _eligible and _eligible_by_person group consecutive rows.
    # Table columns, not the models' attributes: the rows are plain tuples then, without the ORM's loading
    # step, which cost as much as the query itself for the thousands of rows a backfill's commit settles.
    entry, incident = _ENTRIES.c, _INCIDENTS.c
    return (
        select(
            entry.id,
            entry.user_id,
            entry.incident_id,
            incident.service_id,
            entry.at,
            entry.local_hour,
            entry.local_isoweekday,
        )
        .join_from(_ENTRIES, _INCIDENTS, incident.id == entry.incident_id)
        .where(
            entry.workspace_id == workspace_id,
            _CAN_INTERRUPT,
            incident.workspace_id == workspace_id,
            incident.excluded == false(),
        )
        .order_by(entry.user_id, entry.at, entry.id)
    )


def _write(workspace_id: int, decided: list[tuple[Span, list[Note]]], zones: dict[int, Any]) -> int:
    if not decided:
        return 0
    stretches: dict[int, list[Span]] = defaultdict(list)
    wanted: dict[int, Note] = {}
    for stretch, counting in decided:
        stretches[stretch.user_id].append(stretch)
        wanted.update((note.id, note) for note in counting)
    existing = db.session.execute(
        select(_TABLE.c.log_entry_id, _TABLE.c.user_id, _TABLE.c.at).where(
            _TABLE.c.workspace_id == workspace_id,
            _TABLE.c.user_id.in_(sorted(stretches)),
            _TABLE.c.at >= min(s.start for s, _ in decided),
            _TABLE.c.at <= max(s.end for s, _ in decided),
        )
    ).all()
    # A verdict outside every rewritten stretch is not ours to judge.
    have = {
        row.log_entry_id
        for row in existing
        if any(s.start <= row.at <= s.end for s in stretches[row.user_id])
    }
    stale = sorted(have - wanted.keys())
    for i in range(0, len(stale), _CHUNK):
        db.session.execute(
            delete(Interruption)
            .where(Interruption.log_entry_id.in_(stale[i : i + _CHUNK]))
            .execution_options(synchronize_session=False)
        )
    new = [_row(workspace_id, note, zones) for entry_id, note in wanted.items() if entry_id not in have]
    # One statement for the lot: through the ORM's bulk insert it was one INSERT per verdict, a third of
    # settling's time in a backfill.
    insert_rows(_TABLE, new)
    return len(new) + len(stale)


def _row(workspace_id: int, note: Note, zones: dict[int, Any]) -> dict[str, Any]:
    hour, weekday = note.local_hour, note.local_isoweekday
    if hour is None or weekday is None:
        # Not filled (written before local times were stored): the same conversion, here.
        local = note.at.astimezone(zones.get(note.user_id, UTC))
        hour, weekday = local.hour, local.isoweekday()
    return {
        "log_entry_id": note.id,
        "workspace_id": workspace_id,
        "incident_id": note.incident_id,
        "service_id": note.service_id,
        "user_id": note.user_id,
        "at": note.at,
        "local_hour": hour,
        "local_isoweekday": weekday,
    }


def _lock(workspace_id: int) -> None:
    if is_postgresql():
        db.session.execute(
            text("SELECT pg_advisory_xact_lock(:high, :low)"), {"high": _ADVISORY_KEY, "low": workspace_id}
        )
