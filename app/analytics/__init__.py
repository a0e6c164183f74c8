"""Vigil's metrics engine: incident analytics computed by aggregate SQL, the same on SQLite and PostgreSQL.

Definitions are in docs/metrics.md (the contract); every function takes a workspace and reads only its rows.

Asking         query.MetricQuery (.for_dates, .last_days, .previous), query.workspace_settings
Headline       metrics.summary / compare; metrics.incident_figures, the one definition of counts, MTTA and
               MTTR; deployments.change_failures, the one definition of CFR and recovery time; dora's bands
Series, tables breakdowns.trend / by_service / by_team / heatmap; responders.responder_load;
               interruptions.interruptions / interruptions_by_user; recurring.recurring_incidents;
               deployments.related_changes
Pure helpers   windows (local days, buckets, UTC-offset spans); percentiles.percentile_cont (the reference
               definition); interruptions.classify / counted_indices
Exclusions     exclusion.exclude_incident / include_incident / excluded_incidents (callers commit)
Rows changed   changes, the one door (AccountWrites for a sync run, rows_changed, exclusion_changed): nothing
               else retires kept answers (cache) or settles verdicts (interruption_store, local_times)
Pages          population (the filters), panels and views (the dashboard), reports (the report)
"""

from flask import Blueprint

bp = Blueprint("analytics", __name__)

# changes listens to accounts' settings_changed from the moment the app is created.
from app.analytics import changes, views  # noqa: E402,F401
