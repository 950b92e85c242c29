"""field work: inspectors' own accounts, seed 003's deadlines, the visit date agreed, addresses found on site

Revision ID: c3f1a9d2e7b4
Revises: c1e4a2f7d9b3
Create Date: 2026-11-29 20:40:00

"""
from datetime import date

import sqlalchemy as sa
from alembic import op

from coordinator.workdays import add_working_days

# revision identifiers, used by Alembic.
revision = 'c3f1a9d2e7b4'
down_revision = 'c1e4a2f7d9b3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('inspector_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_unique_constraint('uq_user_account_inspector_id', ['inspector_id'])
        batch_op.create_foreign_key('fk_user_account_inspector_id', 'inspector', ['inspector_id'], ['id'])
        batch_op.create_check_constraint('ck_user_account_inspector',
                                         "(role = 'inspector') = (inspector_id IS NOT NULL)")

    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_working_days', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('feedback_working_days', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('publication_days', sa.Integer(), nullable=False, server_default='20'))
        batch_op.add_column(sa.Column('publication_day_mode', sa.String(length=8), nullable=False,
                                      server_default='working'))
        batch_op.create_check_constraint('ck_campaign_publication_day_mode',
                                         "publication_day_mode IN ('natural', 'working')")

    with op.batch_alter_table('campaign_subject', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visit_agreed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('visit_moved_from', sa.Date(), nullable=True))

    with op.batch_alter_table('inspection_record', schema=None) as batch_op:
        batch_op.add_column(sa.Column('report_due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('feedback_due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('found_address', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('found_contact', sa.String(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('found_phone', sa.String(length=32), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('reported_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('report_evaluation', sa.String(length=1000), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('report_handling', sa.String(length=1000), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('reported_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('notified_on', sa.Date(), nullable=True))
        batch_op.create_foreign_key('fk_inspection_record_reported_by_id', 'user_account', ['reported_by_id'], ['id'])

    with op.batch_alter_table('subject', schema=None) as batch_op:
        batch_op.add_column(sa.Column('operating_address', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('operating_contact', sa.String(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('operating_phone', sa.String(length=32), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('operating_source', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('operating_on', sa.Date(), nullable=True))

    # Records already open get their report deadline: one working day after the visit (seed 003).
    connection = op.get_bind()
    rows = connection.execute(sa.text(
        "SELECT r.id, r.inspected_on, s.visit_date, c.visit_end FROM inspection_record r "
        "JOIN campaign_subject s ON s.id = r.campaign_subject_id JOIN campaign c ON c.id = s.campaign_id")).all()
    for record_id, inspected_on, visit_date, visit_end in rows:
        visit = inspected_on or visit_date or visit_end
        if isinstance(visit, str):  # SQLite hands dates back as text in a raw query
            visit = date.fromisoformat(visit[:10])
        connection.execute(sa.text("UPDATE inspection_record SET report_due_on = :due WHERE id = :id"),
                           {"due": add_working_days(visit, 1), "id": record_id})


def downgrade():
    with op.batch_alter_table('subject', schema=None) as batch_op:
        for column in ('operating_on', 'operating_source', 'operating_phone', 'operating_contact', 'operating_address'):
            batch_op.drop_column(column)
    with op.batch_alter_table('inspection_record', schema=None) as batch_op:
        batch_op.drop_constraint('fk_inspection_record_reported_by_id', type_='foreignkey')
        for column in ('notified_on', 'reported_by_id', 'report_handling', 'report_evaluation', 'reported_on',
                       'found_phone', 'found_contact', 'found_address', 'feedback_due_on', 'report_due_on'):
            batch_op.drop_column(column)
    with op.batch_alter_table('campaign_subject', schema=None) as batch_op:
        batch_op.drop_column('visit_moved_from')
        batch_op.drop_column('visit_agreed_at')
    with op.batch_alter_table('campaign', schema=None) as batch_op:
        batch_op.drop_constraint('ck_campaign_publication_day_mode', type_='check')
        for column in ('publication_day_mode', 'publication_days', 'feedback_working_days', 'report_working_days'):
            batch_op.drop_column(column)
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint('ck_user_account_inspector', type_='check')
        batch_op.drop_constraint('fk_user_account_inspector_id', type_='foreignkey')
        batch_op.drop_constraint('uq_user_account_inspector_id', type_='unique')
        batch_op.drop_column('must_change_password')
        batch_op.drop_column('inspector_id')
