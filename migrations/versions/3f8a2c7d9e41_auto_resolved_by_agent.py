"""incidents.auto_resolved follows the rule of docs/metrics.md: a user resolving by email or API is a person

Revision ID: 3f8a2c7d9e41
Revises: 9d0c4f1a7b2e
Create Date: 2026-11-22 19:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '3f8a2c7d9e41'
down_revision = '9d0c4f1a7b2e'
branch_labels = None
depends_on = None

# The rule as app/integrations/pagerduty/sync/derive.py has it, written out here: a migration must keep
# meaning what it meant when it ran, whatever the app's code becomes.
_AUTOMATIC = """
    CASE WHEN incidents.status = 'resolved' AND COALESCE((
        SELECT CASE
            WHEN e.agent_type IN ('user_reference', 'user') AND COALESCE(e.channel, '') NOT IN ('timeout', 'auto')
            THEN 0 ELSE 1 END
        FROM incident_log_entries AS e
        WHERE e.incident_id = incidents.id AND e.type = 'resolve_log_entry'
        ORDER BY e.at DESC, e.id DESC
        LIMIT 1
    ), 0) = 1 THEN {true} ELSE {false} END
"""


def _rederive(rule: str) -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    expression = rule.format(true="true" if postgresql else "1", false="false" if postgresql else "0")
    # Unresolved incidents are never auto-resolved, so only resolved ones and wrongly flagged ones are read.
    op.execute(
        f"UPDATE incidents SET auto_resolved = {expression} "
        f"WHERE incidents.status = 'resolved' OR incidents.auto_resolved = {'true' if postgresql else '1'}"
    )
    # The auto-resolve rate may have changed: answers kept for the old data version must not be served.
    if postgresql:
        op.execute("UPDATE workspaces SET data_version = md5(random()::text || id::text || clock_timestamp()::text)")
    else:
        op.execute("UPDATE workspaces SET data_version = lower(hex(randomblob(16)))")


def upgrade():
    _rederive(_AUTOMATIC)


def downgrade():
    # The earlier rule also counted a user resolving through the API, by email or an integration channel.
    _rederive(
        _AUTOMATIC.replace("NOT IN ('timeout', 'auto')", "NOT IN ('timeout', 'auto', 'api', 'integration', 'email')")
    )
