"""Vigil's own test alerts, synced back before this release, are excluded from the metrics

The sync now inserts an incident whose incident_key is a Vigil test alert's already excluded; this does the
same for those synced before. Their notifications stop counting as interruptions: each affected account's
verdicts are settled again from the start at its next sync.

Revision ID: e16a7e57a1e7
Revises: a4e2b7c91d03
Create Date: 2026-12-07 18:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e16a7e57a1e7'
down_revision = 'a4e2b7c91d03'
branch_labels = None
depends_on = None

# As app.models.alerts spells them (a migration keeps its own copy: the app's may change later).
_TEST_KEYS = "incident_key LIKE 'vigil/rule/%/test/%'"
_REASON = "Vigil test alert: excluded automatically"


def upgrade():
    bind = op.get_bind()
    postgresql = bind.dialect.name == "postgresql"
    false = "false" if postgresql else "0"
    affected = bind.execute(
        sa.text(f"SELECT DISTINCT workspace_id, account_id FROM incidents WHERE {_TEST_KEYS} AND excluded = {false}")
    ).all()
    if not affected:
        return
    bind.execute(
        sa.text(
            f"UPDATE incidents SET excluded = {'true' if postgresql else '1'}, excluded_reason = :reason, "
            f"excluded_at = CURRENT_TIMESTAMP WHERE {_TEST_KEYS} AND excluded = {false}"
        ),
        {"reason": _REASON},
    )
    for account_id in {row.account_id for row in affected}:
        bind.execute(sa.text("UPDATE pd_accounts SET interruptions_settled_to = 0 WHERE id = :id"), {"id": account_id})
    random = "md5(random()::text || id::text || clock_timestamp()::text)" if postgresql else "lower(hex(randomblob(16)))"
    for workspace_id in {row.workspace_id for row in affected}:
        bind.execute(sa.text(f"UPDATE workspaces SET data_version = {random} WHERE id = :id"), {"id": workspace_id})


def downgrade():
    # Which exclusions were automatic is known by their reason; a person's own exclusions stay.
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "UPDATE incidents SET excluded = :no, excluded_reason = NULL, excluded_at = NULL "
            f"WHERE {_TEST_KEYS} AND excluded_reason = :reason"
        ),
        {"no": False, "reason": _REASON},
    )
