"""statuses the database checks; the departments reaching a drawn enterprise as rows; one name per column

Every stored status becomes an English value under a CHECK constraint (coordinator/states.py holds the values and
their Chinese labels): the Chinese values already stored are converted. inspection_record.state and
campaign_subject.state become `status`; campaign_subject.department_ids (a JSON list of ids) becomes the table
campaign_subject_department with foreign keys; campaign_item.participation_id becomes campaign_department_id and
item_result / attachment.part_id become department_result_id. The audit log keeps what it recorded.

Revision ID: 4f9eb974ad31
Revises: c3f1a9d2e7b4
Create Date: 2026-11-29 20:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '4f9eb974ad31'
down_revision = 'c3f1a9d2e7b4'
branch_labels = None
depends_on = None

# Stored values as they were → as they are now (values already English keep their text).
SUBJECT_STATUS = {"存续": "active", "停业": "suspended", "注销": "deregistered", "迁出": "moved_out",
                  "查无此户": "not_found"}
DECISION = {"确认": "confirmed", "非本部门监管": "not_ours", "已关闭停业": "closed", "查无此户": "not_found"}
RECORD_STATUS = {"待录入": "entering", "待审核": "reviewing", "退回": "returned", "已公示": "published"}
CAMPAIGN_STATUS = ("collecting", "locked", "drawn", "teamed", "dispatched", "finished")
DRAW_KIND = ("subjects", "replacement", "teams", "reseat", "restaff")
DRAWN_STATUS = ("active", "replaced", "dropped")

# (table, column, CHECK constraint name, allowed values, conversion of stored values)
CHECKED = (
    ("subject", "status", "ck_subject_status", tuple(SUBJECT_STATUS.values()), SUBJECT_STATUS),
    ("subject_status_change", "old_status", "ck_subject_status_change_old", tuple(SUBJECT_STATUS.values()),
     SUBJECT_STATUS),
    ("subject_status_change", "new_status", "ck_subject_status_change_new", tuple(SUBJECT_STATUS.values()),
     SUBJECT_STATUS),
    ("confirmation", "decision", "ck_confirmation_decision", tuple(DECISION.values()), DECISION),
    ("inspection_record", "status", "ck_inspection_record_status", tuple(RECORD_STATUS.values()), RECORD_STATUS),
    ("campaign", "status", "ck_campaign_status", CAMPAIGN_STATUS, {}),
    ("draw_record", "kind", "ck_draw_kind", DRAW_KIND, {}),
    ("campaign_subject", "status", "ck_campaign_subject_status", DRAWN_STATUS, {}),
    ("seed_round", "kind", "ck_seed_round_kind", DRAW_KIND, {}),
)
# Columns renamed to the one name of what they hold: (table, old, new, old index, new index).
RENAMED = (
    ("inspection_record", "state", "status", "ix_inspection_record_state", "ix_inspection_record_status"),
    ("campaign_subject", "state", "status", None, None),
    ("campaign_item", "participation_id", "campaign_department_id", "ix_campaign_item_participation_id",
     "ix_campaign_item_campaign_department_id"),
    ("item_result", "part_id", "department_result_id", "ix_item_result_part_id", "ix_item_result_department_result_id"),
    ("attachment", "part_id", "department_result_id", "ix_attachment_part_id", "ix_attachment_department_result_id"),
)


def _convert(table: str, column: str, mapping: dict[str, str]) -> None:
    for old, new in mapping.items():
        op.execute(sa.text(f"UPDATE {table} SET {column} = :new WHERE {column} = :old").bindparams(old=old, new=new))


def _check(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade():
    for table, old, new, old_index, new_index in RENAMED:
        if old_index:
            op.drop_index(old_index, table_name=table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(old, new_column_name=new, existing_type=sa.String(16) if new == "status"
                                  else sa.Integer(), type_=sa.String(16) if new == "status" else None,
                                  existing_nullable=False)
        if new_index:
            op.create_index(new_index, table, [new], unique=False)

    for table, column, _name, _values, mapping in CHECKED:
        _convert(table, column, mapping)
    for table, column, name, values, _mapping in CHECKED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_check_constraint(name, _check(column, values))

    op.create_table('campaign_subject_department',
    sa.Column('campaign_subject_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_subject_id'], ['campaign_subject.id'], ),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.PrimaryKeyConstraint('campaign_subject_id', 'department_id')
    )
    with op.batch_alter_table('campaign_subject_department', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_subject_department_department_id'), ['department_id'],
                              unique=False)
    drawn = sa.table("campaign_subject", sa.column("id", sa.Integer), sa.column("department_ids", sa.JSON))
    reached = sa.table("campaign_subject_department", sa.column("campaign_subject_id", sa.Integer),
                       sa.column("department_id", sa.Integer))
    connection = op.get_bind()
    rows = [{"campaign_subject_id": cs_id, "department_id": int(d)}
            for cs_id, ids in connection.execute(sa.select(drawn.c.id, drawn.c.department_ids))
            for d in dict.fromkeys(ids or [])]
    for start in range(0, len(rows), 5000):
        connection.execute(reached.insert(), rows[start:start + 5000])
    with op.batch_alter_table('campaign_subject', schema=None) as batch_op:
        batch_op.drop_column('department_ids')


def downgrade():
    with op.batch_alter_table('campaign_subject', schema=None) as batch_op:
        batch_op.add_column(sa.Column('department_ids', sa.JSON(), nullable=True))
    drawn = sa.table("campaign_subject", sa.column("id", sa.Integer), sa.column("department_ids", sa.JSON))
    reached = sa.table("campaign_subject_department", sa.column("campaign_subject_id", sa.Integer),
                       sa.column("department_id", sa.Integer))
    connection = op.get_bind()
    by_subject: dict[int, list[int]] = {}
    for cs_id, department_id in connection.execute(
            sa.select(reached.c.campaign_subject_id, reached.c.department_id).order_by(reached.c.department_id)):
        by_subject.setdefault(cs_id, []).append(department_id)
    for cs_id, ids in by_subject.items():
        connection.execute(drawn.update().where(drawn.c.id == cs_id).values(department_ids=ids))
    connection.execute(drawn.update().where(drawn.c.department_ids.is_(None)).values(department_ids=[]))
    with op.batch_alter_table('campaign_subject', schema=None) as batch_op:
        batch_op.alter_column('department_ids', existing_type=sa.JSON(), nullable=False)
    with op.batch_alter_table('campaign_subject_department', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_subject_department_department_id'))
    op.drop_table('campaign_subject_department')

    for table, column, name, _values, mapping in CHECKED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(name, type_="check")
        _convert(table, column, {new: old for old, new in mapping.items()})
    for table, old, new, old_index, new_index in RENAMED:
        if new_index:
            op.drop_index(new_index, table_name=table)
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(new, new_column_name=old, existing_type=sa.String(16) if new == "status"
                                  else sa.Integer(), type_=sa.String(8) if table == "inspection_record" else None,
                                  existing_nullable=False)
        if old_index:
            op.create_index(old_index, table, [old], unique=False)
