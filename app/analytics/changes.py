"""The one door through which the rest of Vigil tells analytics "these rows changed".

It keeps the interruption verdicts (interruption_store.py), the notifications' local hour and weekday
(local_times.py) and the workspace's data version (cache.py) in step with the rows, and queues the dashboard's
warm-up after a sync run that changed something. Writers call it in the transaction of their write, before
they commit, so no reader sees a notification without its verdict or a kept answer older than the rows.

Explicit calls rather than a SQLAlchemy session event: the sync writes with bulk INSERT … ON CONFLICT and
UPDATE statements, which flush events never see, and what has to be redone is known to the writer, not to the
statement.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.accounts.workspaces import settings_changed
from app.analytics import cache, interruption_store, local_times
from app.analytics.jobs import schedule_warm_dashboard
from app.models import Incident, Workspace


class AccountWrites:
    """A sync run's side of the door: what the run wrote since its last commit, settled before the next."""

    def __init__(self, account_id: int, workspace_id: int) -> None:
        self.account_id, self.workspace_id = account_id, workspace_id
        # The columns written with each log entry: a notification's local hour and weekday.
        self.entry_fields = local_times.EntryFields(workspace_id)
        self.changed_data = False  # whether any commit of the run changed the workspace's data
        self._rewritten: set[int] = set()
        self._rezoned: set[int] = set()

    def incidents_rewritten(self, incident_ids: Iterable[int]) -> None:
        """Incidents seen before were written again: PagerDuty lets one move to another service."""
        self._rewritten.update(incident_ids)

    def zones_changed(self, user_ids: Iterable[int]) -> None:
        self._rezoned.update(user_ids)

    def before_commit(self, wrote: bool) -> None:
        """Settle what was written since the last commit, in its transaction; `wrote`: rows that change a
        metric were written (an incremental sync that found nothing new leaves the kept answers be)."""
        rezoned = local_times.refresh_users(self.workspace_id, self._rezoned)
        settled = interruption_store.settle_account(self.account_id, sorted(self._rewritten))
        self._rewritten, self._rezoned = set(), set()
        if wrote or rezoned or settled:
            cache.data_changed(self.workspace_id)
            self.changed_data = True

    def run_finished(self) -> None:
        if self.changed_data:
            schedule_warm_dashboard(self.workspace_id)


def rows_changed(workspace_id: int) -> None:
    """Rows without notifications changed (a selection, a deployment, deleted data): kept answers retire."""
    cache.data_changed(workspace_id)


def exclusion_changed(incident: Incident) -> None:
    """An incident was excluded or included: its notifications stop or start counting as interruptions, and
    so may the ones after them."""
    interruption_store.resettle_incident(incident)
    cache.data_changed(incident.workspace_id)


@settings_changed.connect
def workspace_settings_changed(workspace: Workspace, zone_changed: bool) -> None:
    """Told by accounts' `settings_changed` signal (accounts sits below analytics and cannot call it)."""
    if zone_changed:
        # People without a zone of their own go by the workspace's: their notifications are re-classed.
        local_times.refresh_zoneless_users(workspace.id)
    cache.data_changed(workspace.id)
