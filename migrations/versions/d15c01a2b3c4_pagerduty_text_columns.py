"""PagerDuty text stored whole (TEXT) or in an indexed column sized for the sync's cut (priority: 255),
alert targets that outlive a deleted account, and an unlink that waits for the resolves it owes

Revision ID: d15c01a2b3c4
Revises: b1e5510a5e55
Create Date: 2026-12-07 19:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd15c01a2b3c4'
down_revision = 'b1e5510a5e55'
branch_labels = None
depends_on = None

# (table, column, old type, new type, nullable): every column filled from PagerDuty's text.
CHANGES = [
    ('pd_accounts', 'scopes', sa.String(500), sa.Text(), False),
    ('pd_accounts', 'token_user_email', sa.String(254), sa.Text(), True),
    ('pd_accounts', 'token_user_name', sa.String(200), sa.Text(), True),
    ('pd_accounts', 'token_user_role', sa.String(40), sa.Text(), True),
    ('pd_services', 'name', sa.String(255), sa.Text(), False),
    ('pd_services', 'status', sa.String(20), sa.Text(), False),
    ('pd_services', 'html_url', sa.String(500), sa.Text(), True),
    ('pd_teams', 'name', sa.String(255), sa.Text(), False),
    ('pd_teams', 'html_url', sa.String(500), sa.Text(), True),
    ('pd_users', 'name', sa.String(255), sa.Text(), False),
    ('pd_users', 'email', sa.String(254), sa.Text(), True),
    ('pd_users', 'time_zone', sa.String(64), sa.Text(), True),
    ('pd_users', 'role', sa.String(40), sa.Text(), True),
    ('pd_users', 'html_url', sa.String(500), sa.Text(), True),
    ('pd_priorities', 'name', sa.String(40), sa.String(255), False),
    ('incidents', 'priority', sa.String(40), sa.String(255), True),
    ('incidents', 'incident_key', sa.String(255), sa.Text(), True),
    ('incidents', 'html_url', sa.String(500), sa.Text(), True),
    ('incident_log_entries', 'agent_type', sa.String(60), sa.Text(), True),
    ('deployments', 'summary', sa.String(1024), sa.Text(), False),
    ('deployments', 'url', sa.String(1000), sa.Text(), True),
    ('alert_rule_targets', 'service_name', sa.String(255), sa.Text(), False),
    ('alert_rule_targets', 'escalation_policy_name', sa.String(255), sa.Text(), True),
    ('alert_deliveries', 'service_name', sa.String(255), sa.Text(), False),
    ('alert_deliveries', 'pd_incident_url', sa.String(500), sa.Text(), True),
]


def _alter(changes, new):
    tables = {}
    for table, column, old_type, new_type, nullable in changes:
        tables.setdefault(table, []).append((column, old_type, new_type, nullable))
    for table, columns in tables.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, old_type, new_type, nullable in columns:
                batch_op.alter_column(
                    column,
                    existing_type=old_type if new else new_type,
                    type_=new_type if new else old_type,
                    existing_nullable=nullable,
                )


def upgrade():
    # varchar → text is binary-compatible on PostgreSQL: no table rewrite, the indexes stay.
    _alter(CHANGES, new=True)
    with op.batch_alter_table('pd_accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unlink_requested_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('unlink_keep_data', sa.Boolean(), nullable=True))
    with op.batch_alter_table('alert_rule_targets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('account_label', sa.Text(), server_default='', nullable=False))
        batch_op.alter_column('account_id', existing_type=sa.Integer(), nullable=True)
        batch_op.drop_constraint('fk_alert_rule_targets_account_id_pd_accounts', type_='foreignkey')
        batch_op.create_foreign_key(
            batch_op.f('fk_alert_rule_targets_account_id_pd_accounts'),
            'pd_accounts',
            ['account_id'],
            ['id'],
            ondelete='SET NULL',
        )


def downgrade():
    with op.batch_alter_table('alert_rule_targets', schema=None) as batch_op:
        batch_op.drop_constraint('fk_alert_rule_targets_account_id_pd_accounts', type_='foreignkey')
        batch_op.create_foreign_key(
            batch_op.f('fk_alert_rule_targets_account_id_pd_accounts'),
            'pd_accounts',
            ['account_id'],
            ['id'],
            ondelete='CASCADE',
        )
        batch_op.alter_column('account_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('account_label')
    with op.batch_alter_table('pd_accounts', schema=None) as batch_op:
        batch_op.drop_column('unlink_keep_data')
        batch_op.drop_column('unlink_requested_at')
    # Values longer than the old sizes would not fit: they are cut (PostgreSQL refuses them otherwise).
    bind = op.get_bind()
    for table, column, old_type, _, _ in CHANGES:
        if isinstance(old_type, sa.String) and old_type.length:
            bind.execute(
                sa.text(f'UPDATE {table} SET {column} = substr({column}, 1, {old_type.length}) '
                        f'WHERE length({column}) > {old_type.length}')
            )
    _alter(CHANGES, new=False)
