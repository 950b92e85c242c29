"""expert pool: experts, the experts drawn for an enterprise, the industries a campaign wants an expert for,
and the draw kind "experts" (seed rounds and draw records)

Revision ID: e5b7c9a13f62
Revises: a7c3e9f1b2d4
Create Date: 2026-11-29 21:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'e5b7c9a13f62'
down_revision = 'a7c3e9f1b2d4'
branch_labels = None
depends_on = None

KINDS = ("subjects", "replacement", "teams", "reseat", "restaff")
CHECKS = (("draw_record", "ck_draw_kind"), ("seed_round", "ck_seed_round_kind"))


def _kinds(kinds) -> str:
    return f"kind IN ({', '.join(repr(k) for k in kinds)})"


def _recheck(kinds) -> None:
    for table, name in CHECKS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(name, type_='check')
            batch_op.create_check_constraint(name, _kinds(kinds))


def upgrade():
    op.create_table(
        'expert',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('employer', sa.String(length=200), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=True),
        sa.Column('specialties', sa.JSON(), nullable=False),
        sa.Column('phone', sa.String(length=32), nullable=False),
        sa.Column('conflicts', sa.JSON(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code'),
    )
    with op.batch_alter_table('expert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_department_id'), ['department_id'], unique=False)
    op.create_table(
        'expert_assignment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_subject_id', sa.Integer(), nullable=False),
        sa.Column('expert_id', sa.Integer(), nullable=False),
        sa.Column('draw_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['campaign_subject_id'], ['campaign_subject.id'], ),
        sa.ForeignKeyConstraint(['draw_id'], ['draw_record.id'], ),
        sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('campaign_subject_id', 'expert_id'),
    )
    with op.batch_alter_table('expert_assignment', schema=None) as batch_op:
        for column in ('campaign_subject_id', 'draw_id', 'expert_id'):
            batch_op.create_index(batch_op.f(f'ix_expert_assignment_{column}'), [column], unique=False)
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expert_industries', sa.JSON(), nullable=True))
    op.execute("UPDATE campaign SET expert_industries = '[]'")
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.alter_column('expert_industries', existing_type=sa.JSON(), nullable=False)
    _recheck((*KINDS, "experts"))


def downgrade():
    op.execute("DELETE FROM expert_assignment")
    for table, _name in CHECKS:
        op.execute(f"DELETE FROM {table} WHERE kind = 'experts'")
    _recheck(KINDS)
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_column('expert_industries')
    with op.batch_alter_table('expert_assignment', schema=None) as batch_op:
        for column in ('campaign_subject_id', 'draw_id', 'expert_id'):
            batch_op.drop_index(batch_op.f(f'ix_expert_assignment_{column}'))
    op.drop_table('expert_assignment')
    with op.batch_alter_table('expert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_department_id'))
    op.drop_table('expert')
