"""campaign kinds: joint, a department's internal random inspection, special inspection with its filed plan

Revision ID: 7a1d5c3e9b20
Revises: e5b7c9a13f62
Create Date: 2026-11-29 21:15:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '7a1d5c3e9b20'
down_revision = 'e5b7c9a13f62'
branch_labels = None
depends_on = None

KINDS = ("joint", "internal", "special")


def upgrade():
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.Enum(*KINDS, name='ck_campaign_kind', native_enum=False,
                                                      create_constraint=True, length=16),
                                      nullable=False, server_default='joint'))
        batch_op.add_column(sa.Column('scheme_text', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('scheme_filename', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('scheme_stored_as', sa.String(length=100), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('scheme_filed_with', sa.String(length=100), nullable=False,
                                      server_default=''))
        batch_op.add_column(sa.Column('scheme_filed_on', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_campaign_kind'), ['kind'], unique=False)
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        for column in ('kind', 'scheme_text', 'scheme_filename', 'scheme_stored_as', 'scheme_filed_with'):
            batch_op.alter_column(column, server_default=None)


def downgrade():
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_kind'))
        batch_op.drop_constraint('ck_campaign_kind', type_='check')
        for column in ('scheme_filed_on', 'scheme_filed_with', 'scheme_stored_as', 'scheme_filename',
                       'scheme_text', 'kind'):
            batch_op.drop_column(column)
