"""Vigil's metrics engine: incident analytics computed by aggregate SQL, the same on SQLite and PostgreSQL.

Definitions are in docs/metrics.md (the contract); every function takes a workspace and reads only its rows.

Asking
    query.MetricQuery(workspace_id, start, end, tz, services=(), teams=(), urgencies=(), priorities=())
        .previous() -> MetricQuery            the window of equal length before (whole local days step back
                                              whole local days)
        MetricQuery.for_dates(workspace, start: date, end: date, tz=None, **filters)  (end date exclusive)
        MetricQuery.last_days(workspace, days=30, now=None, tz=None, **filters)  (presets 7 / 30 / 90)
    query.workspace_settings(workspace_id) -> WorkspaceSettings   zone, business hours/days, CFR attribution

Headline numbers
    metrics.summary(query, settings=None) -> Summary      .to_dict() is the JSON API's shape
    metrics.compare(query, settings=None) -> Comparison   .current, .previous, .delta("incident_count")
    metrics.incident_figures(conditions, group_by=()) -> {key: IncidentFigures(counts, mtta, mttr)}
                                              the one definition of counts, MTTA and MTTR, per group
    metrics.figures_of(query) -> IncidentFigures          of the query's population
    deployments.change_failures(query, windows, settings=None) -> [ChangeFailure]   per window
    deployments.change_failure(query, settings=None) -> ChangeFailure   CFR, deployments/week, recovery time
    dora.change_failure_band(rate) / dora.recovery_time_band(seconds) -> DoraBand | None

Series and tables
    trends.trend(query, unit="day"|"week"|"month", settings=None) -> list[TrendPoint]
    breakdowns.by_service(query) / breakdowns.by_team(query) -> list[BreakdownRow]
    breakdowns.heatmap(query) -> list[list[int]]           7 weekdays (Monday first) x 24 local hours
    interruptions.interruptions(query, settings=None) -> Interruptions(business, off_hours, sleep)
    interruptions.interruptions_by_user(query, settings=None) -> dict[pd_user_id, Interruptions]
    responders.responder_load(query, settings=None) -> list[ResponderLoad]
    recurring.recurring_incidents(query) -> list[RecurringGroup]
    deployments.related_changes(workspace_id, incident_id) -> RelatedChanges | None

Pure helpers (no database)
    windows.local_midnight / days_window / last_days_window / previous_window / buckets / offset_spans
    percentiles.percentile_cont(sorted_values, q)          the reference definition
    interruptions.classify(local_hour, isoweekday, settings) / interruptions.counted_indices(times)

Changing what counts (callers commit)
    exclusion.exclude_incident(incident, user, reason) / exclusion.include_incident(incident)
    exclusion.excluded_incidents(workspace_id) -> list[Incident]

Told that rows changed (the one door; nothing else retires kept answers or settles verdicts)
    changes.AccountWrites(account_id, workspace_id)       a sync run's writes, settled before each commit
    changes.rows_changed / exclusion_changed / workspace_settings_changed
"""

from flask import Blueprint

bp = Blueprint("analytics", __name__)

# changes listens to accounts' settings_changed from the moment the app is created.
from app.analytics import changes, views  # noqa: E402,F401
