"""The notifications that count as interruptions, one row each (app/analytics/interruption_store.py).

Whether a notification interrupts depends on the same person's notifications just before it (one per 60 s),
so it is decided when notifications are written, not each time the dashboard reads them. A row here is a
verdict, not data of its own: it can always be rebuilt from the log entries, and goes with its entry.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, SmallInteger
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.types import UTCDateTime


class Interruption(db.Model):
    __tablename__ = "interruptions"
    __table_args__ = (
        # The dashboard reads a window's interruptions with their incident (for the filters), person and
        # local time from this index alone.
        Index(
            "ix_interruptions_ws_at",
            "workspace_id",
            "at",
            postgresql_include=["service_id", "incident_id", "user_id", "local_hour", "local_isoweekday"],
        ),
        # Settling re-reads a person's verdicts over a span of time.
        Index("ix_interruptions_user_at", "user_id", "at"),
        # An incident moved to another service takes its verdicts along (interruption_store.settle_account).
        Index("ix_interruptions_incident", "incident_id"),
    )

    # The one foreign key: a verdict goes with its notification (which goes with its incident, person and
    # workspace). The other columns are copies of the notification's, so writing a verdict checks one key,
    # not four (sync writes them in every commit).
    log_entry_id: Mapped[int] = mapped_column(
        ForeignKey("incident_log_entries.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    workspace_id: Mapped[int] = mapped_column()
    incident_id: Mapped[int] = mapped_column()
    # The incident's service, so the dashboard's usual population (the followed services) needs no join to
    # the incidents; kept right when sync sees an incident move (interruption_store.settle_account).
    service_id: Mapped[int] = mapped_column()
    user_id: Mapped[int] = mapped_column()
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Copied from the log entry (local_times.py keeps both right when a zone changes).
    local_hour: Mapped[int] = mapped_column(SmallInteger)
    local_isoweekday: Mapped[int] = mapped_column(SmallInteger)
