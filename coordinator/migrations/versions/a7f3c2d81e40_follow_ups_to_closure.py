"""follow-ups to closure: one follow_up row per kind a department chose that runs until closed

The rectification's re-inspection and closing (department_result.rechecked_on / closed_on) move onto its
follow_up row; every published record's other follow-ups (立案调查, 移送其他部门, 列入经营异常名录,
移送司法机关) start from their publication day. Downgrade puts the rectification dates back.

Revision ID: a7f3c2d81e40
Revises: 4f9eb974ad31
Create Date: 2026-11-29 21:10:00

"""
import json
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = 'a7f3c2d81e40'
down_revision = '4f9eb974ad31'
branch_labels = None
depends_on = None

KINDS = {"责令改正": "rectification", "立案调查": "case", "移送其他部门": "transfer",
         "列入经营异常名录": "abnormal_list", "移送司法机关": "judicial"}
FIRST = {"rectification": "ordered", "case": "to_file", "transfer": "sent", "abnormal_list": "to_list",
         "judicial": "to_transfer"}
STATUSES = ("ordered", "reported", "to_file", "investigating", "sent", "accepted", "to_list", "listed",
            "to_transfer", "transferred", "returned", "closed")
OUTCOMES = ("penalty", "no_penalty", "withdrawn")


def _check(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _day(value):
    if value is None or isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, datetime):
        return value.date()
    return date.fromisoformat(str(value)[:10])


def upgrade():
    op.create_table(
        'follow_up',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('department_result_id', sa.Integer(), nullable=False),
        sa.Column('department_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.Enum(*KINDS.values(), name='ck_follow_up_kind', native_enum=False,
                                  create_constraint=True, length=16), nullable=False),
        sa.Column('status', sa.Enum(*STATUSES, name='ck_follow_up_status', native_enum=False,
                                    create_constraint=True, length=16), nullable=False),
        sa.Column('started_on', sa.Date(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=True),
        sa.Column('rectify_by', sa.Date(), nullable=True),
        sa.Column('report_received_on', sa.Date(), nullable=True),
        sa.Column('rechecked_on', sa.Date(), nullable=True),
        sa.Column('reorders', sa.Integer(), nullable=False),
        sa.Column('case_number', sa.String(length=64), nullable=False),
        sa.Column('filed_on', sa.Date(), nullable=True),
        sa.Column('outcome', sa.Enum(*OUTCOMES, name='ck_follow_up_outcome', native_enum=False,
                                     create_constraint=True, length=16), nullable=True),
        sa.Column('penalty_yuan', sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column('to_department_id', sa.Integer(), nullable=True),
        sa.Column('to_name', sa.String(length=100), nullable=False),
        sa.Column('answered_on', sa.Date(), nullable=True),
        sa.Column('return_reason', sa.String(length=500), nullable=False),
        sa.Column('listed_on', sa.Date(), nullable=True),
        sa.Column('removed_on', sa.Date(), nullable=True),
        sa.Column('transferred_on', sa.Date(), nullable=True),
        sa.Column('receipt_on', sa.Date(), nullable=True),
        sa.Column('result_note', sa.String(length=1000), nullable=False),
        sa.Column('closed_on', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
        sa.ForeignKeyConstraint(['department_result_id'], ['department_result.id'], ),
        sa.ForeignKeyConstraint(['to_department_id'], ['department.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('department_result_id', 'kind'),
    )
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        for column in ('department_id', 'department_result_id', 'due_on', 'status', 'to_department_id'):
            batch_op.create_index(batch_op.f(f'ix_follow_up_{column}'), [column], unique=False)

    bind = op.get_bind()
    names = dict(bind.execute(sa.text("SELECT name, id FROM department")).all())
    rows = bind.execute(sa.text(
        "SELECT p.id, p.department_id, p.follow_ups, p.transfer_to, p.rectify_by, p.rechecked_on, p.closed_on, "
        "r.published_at FROM department_result p JOIN inspection_record r ON r.id = p.record_id "
        "WHERE r.published_at IS NOT NULL ORDER BY p.id")).all()  # the follow-ups' ids in the same order anywhere
    follow_up = sa.table('follow_up', *(sa.column(c) for c in (
        'department_result_id', 'department_id', 'kind', 'status', 'started_on', 'due_on', 'rectify_by',
        'rechecked_on', 'reorders', 'case_number', 'to_department_id', 'to_name', 'return_reason', 'transferred_on',
        'result_note', 'closed_on')))
    new = []
    for part_id, department_id, follow_ups, transfer_to, rectify_by, rechecked_on, closed_on, published_at in rows:
        chosen = json.loads(follow_ups) if isinstance(follow_ups, str) else follow_ups or []
        started = _day(published_at)
        for word in dict.fromkeys(chosen):
            kind = KINDS.get(word)
            if kind is None:
                continue
            row = {"department_result_id": part_id, "department_id": department_id, "kind": kind,
                   "status": FIRST[kind], "started_on": started, "due_on": started + timedelta(days=10),
                   "rectify_by": None, "rechecked_on": None, "reorders": 0, "case_number": "",
                   "to_department_id": None, "to_name": "", "return_reason": "", "transferred_on": None,
                   "result_note": "", "closed_on": None}
            if kind == "rectification":
                row.update(rectify_by=_day(rectify_by), rechecked_on=_day(rechecked_on), closed_on=_day(closed_on),
                           due_on=_day(rectify_by) or started)
                if closed_on is not None:
                    row.update(status="closed", due_on=None)
            elif kind == "transfer":
                to = names.get(transfer_to or "")
                row.update(to_name=transfer_to or "", transferred_on=started,
                           to_department_id=to if to != department_id else None)
            new.append(row)
    if new:
        op.bulk_insert(follow_up, new)

    with op.batch_alter_table('department_result', schema=None) as batch_op:
        batch_op.drop_column('closed_on')
        batch_op.drop_column('rechecked_on')


def downgrade():
    with op.batch_alter_table('department_result', schema=None) as batch_op:
        batch_op.add_column(sa.Column('rechecked_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('closed_on', sa.Date(), nullable=True))
    op.execute("UPDATE department_result SET rechecked_on = (SELECT f.rechecked_on FROM follow_up f "
               "WHERE f.department_result_id = department_result.id AND f.kind = 'rectification'), "
               "closed_on = (SELECT f.closed_on FROM follow_up f "
               "WHERE f.department_result_id = department_result.id AND f.kind = 'rectification')")
    with op.batch_alter_table('follow_up', schema=None) as batch_op:
        for column in ('department_id', 'department_result_id', 'due_on', 'status', 'to_department_id'):
            batch_op.drop_index(batch_op.f(f'ix_follow_up_{column}'))
    op.drop_table('follow_up')
