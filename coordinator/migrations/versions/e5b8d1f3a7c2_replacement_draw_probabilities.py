"""the enterprises a replacement draw considered, with their inclusion probabilities (for the enterprise's file)

A replacement draw considers the rest of a stratum; since this revision it writes draw_probability rows like a
stage-1 draw. Replacement draws already run are filled from their stored input and result. No schema change.

Revision ID: e5b8d1f3a7c2
Revises: d4a7c2e9f0b1
Create Date: 2026-11-29 23:50:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e5b8d1f3a7c2'
down_revision = 'd4a7c2e9f0b1'
branch_labels = None
depends_on = None

REPLACEMENTS = "SELECT id FROM draw_record WHERE kind = 'replacement'"


def upgrade():
    from coordinator.campaigns.services.draws import probability_rows  # pure: the stored input and result

    connection = op.get_bind()
    ids = dict(connection.execute(sa.text("SELECT credit_code, id FROM subject")).all())
    draws = connection.execute(sa.text(
        "SELECT id, problem, result FROM draw_record WHERE kind = 'replacement' AND result IS NOT NULL "
        "AND id NOT IN (SELECT draw_id FROM draw_probability) ORDER BY id")).all()
    for draw_id, problem, result in draws:
        rows = [{"draw_id": draw_id, **row} for row in probability_rows(problem, result, ids)]
        if rows:
            connection.execute(sa.table("draw_probability", *map(sa.column, rows[0])).insert(), rows)


def downgrade():
    op.execute(f"DELETE FROM draw_probability WHERE draw_id IN ({REPLACEMENTS})")
