"""workspaces.data_version: computed analytics are kept per version of a workspace's data

Revision ID: 2b96758bad35
Revises: e878fc062b0a
Create Date: 2026-11-22 13:50:31.812883

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2b96758bad35'
down_revision = 'e878fc062b0a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data_version', sa.String(length=32), nullable=True))

    # A random token per existing workspace (the app makes one per new workspace and per write).
    if op.get_bind().dialect.name == "postgresql":
        op.execute("UPDATE workspaces SET data_version = md5(random()::text || id::text || clock_timestamp()::text)")
    else:
        op.execute("UPDATE workspaces SET data_version = lower(hex(randomblob(16)))")

    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.alter_column('data_version', existing_type=sa.String(length=32), nullable=False)


def downgrade():
    with op.batch_alter_table('workspaces', schema=None) as batch_op:
        batch_op.drop_column('data_version')
