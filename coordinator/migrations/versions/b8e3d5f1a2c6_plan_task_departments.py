"""an annual-plan task's joint departments as rows with foreign keys

plan_task.joint_departments (a JSON list of department ids) becomes the table plan_task_department, as
campaign_subject.department_ids became campaign_subject_department (4f9eb974ad31); the data goes both ways.

Revision ID: b8e3d5f1a2c6
Revises: 9c4d2a7e5f18
Create Date: 2026-11-29 23:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b8e3d5f1a2c6'
down_revision = '9c4d2a7e5f18'
branch_labels = None
depends_on = None

TASK = sa.table("plan_task", sa.column("id", sa.Integer), sa.column("initiating_department_id", sa.Integer),
                sa.column("joint_departments", sa.JSON))
JOINT = sa.table("plan_task_department", sa.column("plan_task_id", sa.Integer), sa.column("department_id", sa.Integer))


def upgrade():
    op.create_table('plan_task_department',
    sa.Column('plan_task_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], ),
    sa.ForeignKeyConstraint(['plan_task_id'], ['plan_task.id'], ),
    sa.PrimaryKeyConstraint('plan_task_id', 'department_id')
    )
    with op.batch_alter_table('plan_task_department', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_task_department_department_id'), ['department_id'], unique=False)
    connection = op.get_bind()
    departments = set(connection.scalars(sa.text("SELECT id FROM department")))
    # Ids as stored (ints, or digits as text); the initiating department and ids of no department are not joint.
    rows = [{"plan_task_id": task_id, "department_id": int(d)}
            for task_id, initiating, ids in connection.execute(
                sa.select(TASK.c.id, TASK.c.initiating_department_id, TASK.c.joint_departments))
            for d in dict.fromkeys(ids or [])
            if str(d).isdigit() and int(d) in departments and int(d) != initiating]
    for start in range(0, len(rows), 5000):
        connection.execute(JOINT.insert(), rows[start:start + 5000])
    with op.batch_alter_table('plan_task', schema=None) as batch_op:
        batch_op.drop_column('joint_departments')


def downgrade():
    with op.batch_alter_table('plan_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('joint_departments', sa.JSON(), nullable=True))
    connection = op.get_bind()
    by_task: dict[int, list[int]] = {}
    for task_id, department_id in connection.execute(
            sa.select(JOINT.c.plan_task_id, JOINT.c.department_id).order_by(JOINT.c.department_id)):
        by_task.setdefault(task_id, []).append(department_id)
    for task_id, ids in by_task.items():
        connection.execute(TASK.update().where(TASK.c.id == task_id).values(joint_departments=ids))
    connection.execute(TASK.update().where(TASK.c.joint_departments.is_(None)).values(joint_departments=[]))
    with op.batch_alter_table('plan_task', schema=None) as batch_op:
        batch_op.alter_column('joint_departments', existing_type=sa.JSON(), nullable=False)
    with op.batch_alter_table('plan_task_department', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_task_department_department_id'))
    op.drop_table('plan_task_department')
