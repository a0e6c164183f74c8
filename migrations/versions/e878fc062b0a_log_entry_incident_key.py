"""One foreign key from a log entry to its incident, account and workspace

A log entry had three keys that cascade on delete: to its incident, its account and its workspace. The entry's
account and workspace are always its incident's, and the incident's own keys to them cascade, so one composite
key (incident_id, account_id, workspace_id) → incidents keeps every guarantee (and adds one: an entry can no
longer name another account than its incident's) at one lookup per inserted row instead of three, which a
backfill of hundreds of thousands of entries pays for. The key refers to a new unique constraint on incidents
(id, account_id, workspace_id). Entries already stored satisfy it: the sync writes both from the same account.

Revision ID: e878fc062b0a
Revises: 6780a93d8d8e
Create Date: 2026-11-22 10:54:58.972951

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "e878fc062b0a"
down_revision = "6780a93d8d8e"
branch_labels = None
depends_on = None

ENTRY_KEY = "fk_incident_log_entries_incident_id_incidents"
INCIDENT_UNIQUE = "uq_incidents_id_account_id_workspace_id"


def upgrade():
    # The referred columns need their unique constraint before the key that refers to them.
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_unique_constraint(INCIDENT_UNIQUE, ["id", "account_id", "workspace_id"])
    with op.batch_alter_table("incident_log_entries", schema=None) as batch_op:
        batch_op.drop_constraint("fk_incident_log_entries_account_id_pd_accounts", type_="foreignkey")
        batch_op.drop_constraint(ENTRY_KEY, type_="foreignkey")
        batch_op.drop_constraint("fk_incident_log_entries_workspace_id_workspaces", type_="foreignkey")
        batch_op.create_foreign_key(
            ENTRY_KEY,
            "incidents",
            ["incident_id", "account_id", "workspace_id"],
            ["id", "account_id", "workspace_id"],
            ondelete="CASCADE",
        )


def downgrade():
    with op.batch_alter_table("incident_log_entries", schema=None) as batch_op:
        batch_op.drop_constraint(ENTRY_KEY, type_="foreignkey")
        batch_op.create_foreign_key(
            "fk_incident_log_entries_workspace_id_workspaces",
            "workspaces",
            ["workspace_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_foreign_key(ENTRY_KEY, "incidents", ["incident_id"], ["id"], ondelete="CASCADE")
        batch_op.create_foreign_key(
            "fk_incident_log_entries_account_id_pd_accounts",
            "pd_accounts",
            ["account_id"],
            ["id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_constraint(INCIDENT_UNIQUE, type_="unique")
