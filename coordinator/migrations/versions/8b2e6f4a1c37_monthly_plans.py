"""monthly plans (月抽查计划): a department's plan for a month and its enterprises

Revision ID: 8b2e6f4a1c37
Revises: 7a1d5c3e9b20
Create Date: 2026-11-29 21:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '8b2e6f4a1c37'
down_revision = '7a1d5c3e9b20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'monthly_plan',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('status', sa.Enum('proposed', 'confirmed', name='ck_monthly_plan_status', native_enum=False,
                                    create_constraint=True, length=16), nullable=False),
        sa.Column('workload', sa.Integer(), nullable=False),
        sa.Column('basis', sa.String(length=500), nullable=False),
        sa.Column('tasks', sa.JSON(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('confirmed_at', sa.DateTime(), nullable=True),
        sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
        sa.Column('campaign_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['confirmed_by_id'], ['user_account.id']),
        sa.ForeignKeyConstraint(['department_id'], ['department.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('department_id', 'month'),
    )
    with op.batch_alter_table('monthly_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monthly_plan_department_id'), ['department_id'], unique=False)
    op.create_table(
        'monthly_plan_entry',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('monthly_plan_id', sa.Integer(), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['monthly_plan_id'], ['monthly_plan.id']),
        sa.ForeignKeyConstraint(['subject_id'], ['subject.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('monthly_plan_id', 'subject_id'),
    )
    with op.batch_alter_table('monthly_plan_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_monthly_plan_entry_monthly_plan_id'), ['monthly_plan_id'], unique=False)


def downgrade():
    with op.batch_alter_table('monthly_plan_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monthly_plan_entry_monthly_plan_id'))
    op.drop_table('monthly_plan_entry')
    with op.batch_alter_table('monthly_plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monthly_plan_department_id'))
    op.drop_table('monthly_plan')
