"""SQLite storage for the simulated account (seeded data plus what clients and tests change)."""

from pdsim.store.db import Store

__all__ = ["Store"]
