"""every version of an annual-plan task (added, adjusted with a reason, deleted), for the public plan's history

Revision ID: 9c4d2a7e5f18
Revises: 8b2e6f4a1c37
Create Date: 2026-11-29 21:40:00

Tasks written before this revision have no version yet: their history starts with their next adjustment.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '9c4d2a7e5f18'
down_revision = '8b2e6f4a1c37'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'plan_task_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('task_number', sa.String(length=8), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('change', sa.Enum('added', 'edited', 'deleted', name='ck_plan_task_version_change',
                                    native_enum=False, create_constraint=True, length=16), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('changed_by_id', sa.Integer(), nullable=True),
        sa.Column('changed_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['changed_by_id'], ['user_account.id']),
        sa.ForeignKeyConstraint(['plan_id'], ['plan.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('plan_task_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_task_version_plan_id'), ['plan_id'], unique=False)


def downgrade():
    with op.batch_alter_table('plan_task_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_task_version_plan_id'))
    op.drop_table('plan_task_version')
