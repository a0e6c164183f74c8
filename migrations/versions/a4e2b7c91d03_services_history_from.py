"""pd_services.history_from: the start of the history fetched for a service, so a lengthened history
fetches only the older period

Revision ID: a4e2b7c91d03
Revises: 3f8a2c7d9e41
Create Date: 2026-11-22 19:40:00.000000

"""
from datetime import timedelta

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4e2b7c91d03'
down_revision = '3f8a2c7d9e41'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('pd_services', schema=None) as batch_op:
        batch_op.add_column(sa.Column('history_from', sa.DateTime(), nullable=True))

    # Services already backfilled: their backfill started history_days before it ran, the best record there
    # is. (Date arithmetic differs between SQLite and PostgreSQL, and there are few services: done here.)
    services = sa.table(
        'pd_services',
        sa.column('id', sa.Integer()),
        sa.column('account_id', sa.Integer()),
        sa.column('backfilled_at', sa.DateTime()),
        sa.column('history_from', sa.DateTime()),
    )
    accounts = sa.table('pd_accounts', sa.column('id', sa.Integer()), sa.column('history_days', sa.Integer()))
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(services.c.id, services.c.backfilled_at, accounts.c.history_days)
        .join(accounts, accounts.c.id == services.c.account_id)
        .where(services.c.backfilled_at.is_not(None))
    ).all()
    for service_id, backfilled_at, days in rows:
        bind.execute(
            services.update()
            .where(services.c.id == service_id)
            .values(history_from=backfilled_at - timedelta(days=days))
        )


def downgrade():
    with op.batch_alter_table('pd_services', schema=None) as batch_op:
        batch_op.drop_column('history_from')
