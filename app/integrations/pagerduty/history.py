"""How much history an account's sync keeps fetching: the admin's setting, its bounds and what a change means.

PagerDuty documents no limit on how far back incidents can be listed, only that one request may span at most
6 months (API-NOTES §2.5; the sync asks in 30-day chunks anyway) and that change events are kept 90 days
(§2.9). The upper bound keeps a backfill finite; the lower one keeps the dashboard's longest preset (90 days)
and its comparison with the 90 days before it meaningful.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.accounts import audit
from app.extensions import db
from app.models import AccountStatus, PagerDutyAccount

from .link import account_label

MIN_DAYS = 30
MAX_DAYS = 1825  # 5 years
BOUNDS_MESSAGE = f"History must be a whole number of days from {MIN_DAYS} to {MAX_DAYS} (5 years)."


class HistoryError(ValueError):
    """A history setting that cannot be saved; the message is shown to the admin as it is."""


@dataclass(frozen=True)
class HistoryChange:
    previous: int
    days: int

    @property
    def lengthened(self) -> bool:
        return self.days > self.previous

    def describe(self) -> str:
        if self.days == self.previous:
            return f"Unchanged: Vigil keeps {self.days} days of history."
        if self.lengthened:
            return (
                f"Saved: {self.days} days of history. The next sync fetches the older incidents of the "
                "services you follow."
            )
        return (
            f"Saved: {self.days} days of history for services followed from now on. Incidents already "
            "synced from further back are kept."
        )


def set_history_days(account: PagerDutyAccount, days: int, via: str = "web") -> HistoryChange:
    """Save the setting (audited, committed). A lengthened history is fetched by the next sync
    (`sync/plans.py`); a shortened one deletes nothing."""
    if account.status is AccountStatus.UNLINKED:
        raise HistoryError("This account is unlinked: re-link it to change its history.")
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise HistoryError(BOUNDS_MESSAGE)
    change = HistoryChange(previous=account.history_days, days=days)
    if change.days != change.previous:
        account.history_days = days
        audit.record(
            account.workspace,
            "pagerduty.history_changed",
            account_label(account),
            days=days,
            previous=change.previous,
            via=via,
        )
        db.session.commit()
    return change
