"""monthly plans: the proposal's random draw stored whole (input, seed, input hash, result, solver version, who and
when) and how many times it was proposed

Revision ID: f3a9c1d7e2b4
Revises: e5b8d1f3a7c2
Create Date: 2026-11-30 02:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f3a9c1d7e2b4'
down_revision = 'e5b8d1f3a7c2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('monthly_plan') as batch:
        batch.add_column(sa.Column('draw_problem', sa.Text(), nullable=True))
        batch.add_column(sa.Column('draw_seed', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('draw_input_sha256', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('draw_result', sa.Text(), nullable=True))
        batch.add_column(sa.Column('solver_version', sa.String(length=40), nullable=True))
        batch.add_column(sa.Column('drawn_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('drawn_by_id', sa.Integer(), nullable=True))
        # plans proposed before this revision were proposed once (by the old fixed order: no draw to replay)
        batch.add_column(sa.Column('proposals', sa.Integer(), nullable=False, server_default='1'))
        batch.create_foreign_key('fk_monthly_plan_drawn_by_id_user_account', 'user_account', ['drawn_by_id'], ['id'])
    with op.batch_alter_table('monthly_plan') as batch:
        batch.alter_column('proposals', server_default=None)


def downgrade():
    with op.batch_alter_table('monthly_plan') as batch:
        batch.drop_constraint('fk_monthly_plan_drawn_by_id_user_account', type_='foreignkey')
        for column in ('proposals', 'drawn_by_id', 'drawn_at', 'solver_version', 'draw_result', 'draw_input_sha256',
                       'draw_seed', 'draw_problem'):
            batch.drop_column(column)
