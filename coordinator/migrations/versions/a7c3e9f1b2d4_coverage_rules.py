"""coverage rules (抽查覆盖规则) per department; an index on the inspection date they count by

Revision ID: a7c3e9f1b2d4
Revises: a7f3c2d81e40
Create Date: 2026-11-29 21:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a7c3e9f1b2d4'
down_revision = 'a7f3c2d81e40'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'coverage_rule',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('category', sa.String(length=32), nullable=False),
        sa.Column('crowded', sa.Boolean(), nullable=True),
        sa.Column('flags', sa.JSON(), nullable=False),
        sa.Column('risk_class', sa.String(length=1), nullable=False),
        sa.Column('ratio', sa.Double(), nullable=False),
        sa.Column('period', sa.Enum('year', 'half', name='ck_coverage_rule_period', native_enum=False,
                                    create_constraint=True, length=16), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint('ratio > 0 AND ratio <= 1', name='ck_coverage_rule_ratio'),
        sa.ForeignKeyConstraint(['department_id'], ['department.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('coverage_rule', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coverage_rule_department_id'), ['department_id'], unique=False)
    with op.batch_alter_table('inspection_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_record_inspected_on'), ['inspected_on'], unique=False)


def downgrade():
    with op.batch_alter_table('inspection_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_record_inspected_on'))
    with op.batch_alter_table('coverage_rule', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coverage_rule_department_id'))
    op.drop_table('coverage_rule')
