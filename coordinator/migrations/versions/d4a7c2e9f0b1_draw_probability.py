"""every enterprise a stage-1 draw considered, with its own inclusion probability (for the enterprise's file)

draw_probability: one row per enterprise of a subjects draw's locked input — stratum, weight, the inclusion
probability the draw used (solver.inclusion_probabilities of the stored input) and its stratum's population and
number drawn. Draws already run are filled from their stored input and result.

Revision ID: d4a7c2e9f0b1
Revises: b8e3d5f1a2c6
Create Date: 2026-11-29 23:15:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd4a7c2e9f0b1'
down_revision = 'b8e3d5f1a2c6'
branch_labels = None
depends_on = None

ROWS = sa.table("draw_probability", sa.column("draw_id", sa.Integer), sa.column("subject_id", sa.Integer),
                sa.column("stratum", sa.String), sa.column("weight", sa.Double), sa.column("probability", sa.Double),
                sa.column("population", sa.Integer), sa.column("drawn", sa.Integer))


def upgrade():
    op.create_table('draw_probability',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draw_id', sa.Integer(), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('stratum', sa.String(length=200), nullable=False),
    sa.Column('weight', sa.Double(), nullable=False),
    sa.Column('probability', sa.Double(), nullable=False),
    sa.Column('population', sa.Integer(), nullable=False),
    sa.Column('drawn', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['draw_id'], ['draw_record.id'], ),
    sa.ForeignKeyConstraint(['subject_id'], ['subject.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('draw_id', 'subject_id')
    )
    with op.batch_alter_table('draw_probability', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_draw_probability_subject_id'), ['subject_id'], unique=False)

    from coordinator.campaigns.services.draws import probability_rows  # pure: the stored input and result

    connection = op.get_bind()
    ids = dict(connection.execute(sa.text("SELECT credit_code, id FROM subject")).all())
    draws = connection.execute(sa.text(
        "SELECT id, problem, result FROM draw_record WHERE kind = 'subjects' AND result IS NOT NULL ORDER BY id")).all()
    for draw_id, problem, result in draws:
        rows = [{"draw_id": draw_id, **row} for row in probability_rows(problem, result, ids)]
        for start in range(0, len(rows), 5000):
            connection.execute(ROWS.insert(), rows[start:start + 5000])


def downgrade():
    with op.batch_alter_table('draw_probability', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_draw_probability_subject_id'))
    op.drop_table('draw_probability')
