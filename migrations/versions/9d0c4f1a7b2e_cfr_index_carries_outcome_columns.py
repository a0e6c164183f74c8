"""ix_incidents_ws_service_created carries what a deployment's outcome reads (PostgreSQL)

Revision ID: 9d0c4f1a7b2e
Revises: 2b96758bad35
Create Date: 2026-11-22 14:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '9d0c4f1a7b2e'
down_revision = '2b96758bad35'
branch_labels = None
depends_on = None


def upgrade():
    # INCLUDE is PostgreSQL's; on SQLite the index stays as it is.
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index('ix_incidents_ws_service_created', table_name='incidents')
    op.create_index(
        'ix_incidents_ws_service_created', 'incidents', ['workspace_id', 'service_id', 'created_at'],
        unique=False, postgresql_include=['excluded', 'status', 'resolved_at', 'urgency', 'priority'],
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index('ix_incidents_ws_service_created', table_name='incidents')
    op.create_index(
        'ix_incidents_ws_service_created', 'incidents', ['workspace_id', 'service_id', 'created_at'], unique=False
    )
