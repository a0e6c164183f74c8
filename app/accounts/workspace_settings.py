"""A workspace's settings: its name, time zone, business hours and change-failure window.

Analytics reads these settings (time zone, business hours, CFR window), and accounts sits below analytics (its
views use accounts' context and audit), so a change is announced on `settings_changed` rather than by calling
analytics from here; analytics' door (app/analytics/changes.py) listens from the moment the app is created.
"""

from __future__ import annotations

from collections.abc import Iterable

from blinker import Namespace

from app.accounts import audit, workspaces
from app.extensions import db
from app.models import Workspace

# Sent as settings_changed.send(workspace, zone_changed=...) before the commit that saves the settings.
settings_changed = Namespace().signal("workspace-settings-changed")


def update_settings(
    workspace: Workspace,
    *,
    name: str,
    timezone: str,
    business_day_start: int,
    business_day_end: int,
    business_days: Iterable[str],
    cfr_attribution_hours: int,
) -> None:
    """Check, apply, audit and commit; service.AccountError says what is wrong (nothing is changed then)."""
    name = name.strip()
    other = workspaces.find_workspace(name)
    if other is not None and other.id != workspace.id:
        raise workspaces.AccountError(f"A workspace called {name!r} already exists.")
    timezone = workspaces.check_timezone(timezone.strip())
    if business_day_end <= business_day_start:
        raise workspaces.AccountError("The business day must end after it starts.")
    before = {"name": workspace.name, "timezone": workspace.timezone}
    workspace.name = name
    workspace.timezone = timezone
    workspace.business_day_start = business_day_start
    workspace.business_day_end = business_day_end
    workspace.business_days = ",".join(sorted(business_days, key=int))
    workspace.cfr_attribution_hours = cfr_attribution_hours
    settings_changed.send(workspace, zone_changed=timezone != before["timezone"])
    audit.record(workspace, "workspace.settings_changed", workspace.name, before=before)
    db.session.commit()
