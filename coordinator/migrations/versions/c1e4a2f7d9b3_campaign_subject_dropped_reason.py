"""campaign_subject.dropped_reason: why the office accepted a closed enterprise's shortfall

Revision ID: c1e4a2f7d9b3
Revises: b7d4e2f19a30
Create Date: 2026-11-29 20:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'c1e4a2f7d9b3'
down_revision = 'b7d4e2f19a30'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaign_subject', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dropped_reason', sa.String(length=500), nullable=False, server_default=''))


def downgrade():
    with op.batch_alter_table('campaign_subject', schema=None) as batch_op:
        batch_op.drop_column('dropped_reason')
