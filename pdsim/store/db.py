"""The SQLite store: one writer connection behind a lock, a small pool of reader connections (WAL).

A temporary file stands in when no `--db` path is given, so readers and the writer always share one
database and WAL lets requests read while a responder action writes.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pdsim.store.schema import RUNTIME_DDL, SEED_DDL, SEED_INDEXES, SEED_TABLES

log = logging.getLogger(__name__)


class Store:
    def __init__(self, path: str | Path | None = None) -> None:
        self._tmpdir: str | None = None
        if path is None:
            self._tmpdir = tempfile.mkdtemp(prefix="pdsim-")
            path = Path(self._tmpdir) / "pdsim.db"
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._pool: list[sqlite3.Connection] = []
        self._pool_lock = threading.Lock()
        self._closed = False
        self._writer = self._connect()
        self._writer.execute("PRAGMA journal_mode=WAL")
        self._writer.executescript(RUNTIME_DDL)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        with self._pool_lock:
            conn = self._pool.pop() if self._pool else None
        if conn is None:
            conn = self._connect()
        try:
            yield conn
        finally:
            if conn.in_transaction:
                conn.rollback()
            with self._pool_lock:
                if self._closed or len(self._pool) >= 16:
                    conn.close()
                else:
                    self._pool.append(conn)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One transaction on the writer connection; nested calls join the outer transaction."""
        with self._lock:
            if self._writer.in_transaction:
                yield self._writer
                return
            self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
            except BaseException:
                self._writer.rollback()
                raise
            self._writer.execute("COMMIT")

    # --- seeded data ---------------------------------------------------------------------------

    def has_seed(self) -> bool:
        with self.read() as conn:
            row = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
            if row is None:
                return False
            return conn.execute("SELECT 1 FROM meta WHERE key='complete'").fetchone() is not None

    def meta(self) -> dict[str, str]:
        with self.read() as conn:
            return {r["key"]: r["value"] for r in conn.execute("SELECT key, value FROM meta")}

    def recreate_seed_tables(self) -> None:
        with self._lock:
            for table in SEED_TABLES:
                self._writer.execute(f"DROP TABLE IF EXISTS {table}")
            self._writer.executescript(SEED_DDL)

    @contextmanager
    def bulk(self) -> Iterator[sqlite3.Connection]:
        """A fast, unsafe-on-crash transaction for generation; the seed is marked complete at the end."""
        with self._lock:
            self._writer.execute("PRAGMA synchronous=OFF")
            self._writer.execute("PRAGMA cache_size=-200000")
            self._writer.execute("BEGIN")
            try:
                yield self._writer
            except BaseException:
                self._writer.rollback()
                raise
            self._writer.execute("COMMIT")
            self._writer.execute("PRAGMA synchronous=NORMAL")

    def create_seed_indexes(self) -> None:
        with self._lock:
            self._writer.executescript(SEED_INDEXES)
            self._writer.execute("ANALYZE")

    def dump_seed(self) -> str:
        """Every seeded row as SQL text: two generations with the same arguments must match byte for byte."""
        lines: list[str] = []
        with self.read() as conn:
            for table in SEED_TABLES:
                cols = [r["name"] for r in conn.execute(f"PRAGMA table_info({table})")]
                order = ", ".join(cols)
                for row in conn.execute(f"SELECT * FROM {table} ORDER BY {order}"):
                    lines.append(f"{table}\t" + "\t".join(repr(v) for v in tuple(row)))
        return "\n".join(lines)

    # --- conveniences for tests and assertions -----------------------------------------------

    def rows(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        with self.read() as conn:
            return [dict(r) for r in conn.execute(sql, params)]

    def all_incidents(self) -> list[dict[str, Any]]:
        return self.rows("SELECT * FROM incidents ORDER BY number")

    def incident(self, ident: str | int) -> dict[str, Any] | None:
        col = "number" if isinstance(ident, int) else "id"
        found = self.rows(f"SELECT * FROM incidents WHERE {col} = ?", (ident,))
        return found[0] if found else None

    def log_entries_for(self, number: int) -> list[dict[str, Any]]:
        return self.rows("SELECT * FROM log_entries WHERE incident = ? ORDER BY seq", (number,))

    def users(self) -> list[dict[str, Any]]:
        return self.rows("SELECT * FROM users ORDER BY ord")

    def services(self) -> list[dict[str, Any]]:
        return self.rows("SELECT * FROM services ORDER BY ord")

    def change_events(self) -> list[dict[str, Any]]:
        return self.rows("SELECT * FROM change_events ORDER BY seq")

    def deploy_truth(self) -> list[dict[str, Any]]:
        """Ground truth recorded at generation: which deploys an incident followed (pdsim's own tests)."""
        return self.rows("SELECT * FROM truth_deploys ORDER BY change_seq, service_id")

    def close(self) -> None:
        with self._pool_lock:
            self._closed = True
            pool, self._pool = self._pool, []
        for conn in pool:
            conn.close()
        with self._lock:
            self._writer.close()
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
