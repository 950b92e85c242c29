"""Migration 4f9eb974ad31 on a database holding the demo county: Chinese statuses and JSON lists of department
ids (the schema before it) become English values under CHECK constraints and rows with foreign keys, and back."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from coordinator import create_app
from coordinator.extensions import db
from tests.conftest import empty_database_like

pytestmark = pytest.mark.slow  # loads the whole demo county

BEFORE = "c3f1a9d2e7b4"  # the revision the status migration follows
# (table, column now, column before, the values before → now)
SUBJECT = {"存续": "active", "停业": "suspended", "注销": "deregistered", "迁出": "moved_out", "查无此户": "not_found"}
STATUSES = (
    ("subject", "status", "status", SUBJECT),
    ("subject_status_change", "old_status", "old_status", SUBJECT),
    ("subject_status_change", "new_status", "new_status", SUBJECT),
    ("confirmation", "decision", "decision", {"确认": "confirmed", "非本部门监管": "not_ours", "已关闭停业": "closed",
                                              "查无此户": "not_found"}),
    ("inspection_record", "status", "state", {"待录入": "entering", "待审核": "reviewing", "退回": "returned",
                                              "已公示": "published"}),
    ("campaign", "status", "status", None),
    ("draw_record", "kind", "kind", None),
    ("campaign_subject", "status", "state", None),
    ("seed_round", "kind", "kind", None),
)


def _column(connection, table: str, column: str) -> dict:
    return dict(connection.execute(sa.text(f"SELECT id, {column} FROM {table}")).all())


def _reached(connection) -> set[tuple[int, int]]:
    return set(connection.execute(sa.text("SELECT campaign_subject_id, department_id FROM campaign_subject_department")))


def test_the_demo_county_goes_down_and_up_unchanged_with_checked_statuses(app, tmp_path):
    demo = create_app({"TESTING": True, "SECRET_KEY": "x", "UPLOAD_FOLDER": str(tmp_path),
                       "SQLALCHEMY_DATABASE_URI": empty_database_like(app, tmp_path, "liancha_status_migration")})
    runner = demo.test_cli_runner()
    assert runner.invoke(args=["init-db"]).exit_code == 0
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with demo.app_context():
        with db.engine.connect() as connection:
            now = {(table, column): _column(connection, table, column) for table, column, _old, _map in STATUSES}
            reached = _reached(connection)
        assert reached and {"suspended", "active"} <= set(now["subject", "status"].values())
        assert {"confirmed", "closed"} <= set(now["confirmation", "decision"].values())
        assert {"published", "replaced"} <= {*now["inspection_record", "status"].values(),
                                             *now["campaign_subject", "status"].values()}

        downgrade(revision=BEFORE)  # the schema and values the app had before: Chinese, and a JSON list
        with db.engine.connect() as connection:
            for table, column, old_column, mapping in STATUSES:
                stored = _column(connection, table, old_column)
                back = {v: k for k, v in (mapping or {}).items()}
                assert stored == {i: back.get(v, v) for i, v in now[table, column].items()}, (table, column)
            lists = connection.execute(sa.select(sa.column("id"), sa.column("department_ids", sa.JSON))
                                       .select_from(sa.table("campaign_subject"))).all()
            assert {(cs_id, d) for cs_id, ids in lists for d in ids} == reached
            assert "campaign_subject_department" not in sa.inspect(connection).get_table_names()

        upgrade()
        with db.engine.connect() as connection:
            for table, column, _old, _map in STATUSES:
                assert _column(connection, table, column) == now[table, column], (table, column)
            assert _reached(connection) == reached
            for table, column, _old, _map in STATUSES:  # the database itself refuses a value outside the enum
                with pytest.raises(sa.exc.IntegrityError), connection.begin_nested():
                    connection.execute(sa.text(f"UPDATE {table} SET {column} = '存续x'"))
            keys = {(tuple(k["constrained_columns"]), k["referred_table"])
                    for k in sa.inspect(connection).get_foreign_keys("campaign_subject_department")}
            assert keys == {(("campaign_subject_id",), "campaign_subject"), (("department_id",), "department")}
            if connection.dialect.name == "postgresql":  # SQLite declares foreign keys but is not told to enforce them
                with pytest.raises(sa.exc.IntegrityError), connection.begin_nested():
                    connection.execute(sa.text("INSERT INTO campaign_subject_department VALUES "
                                               "((SELECT MIN(id) FROM campaign_subject), 999999)"))
            connection.rollback()
        db.engine.dispose()


def test_an_annual_plan_tasks_joint_departments_become_rows_and_back(app, tmp_path):
    """Migration b8e3d5f1a2c6: plan_task.joint_departments (a JSON list of department ids) becomes the table
    plan_task_department with foreign keys; stored ids of no department, and the initiating one, are dropped."""
    from coordinator.auth.models import Department
    from coordinator.plans import services as plans

    BEFORE_JOINT = "9c4d2a7e5f18"
    county = create_app({"TESTING": True, "SECRET_KEY": "x", "UPLOAD_FOLDER": str(tmp_path),
                         "SQLALCHEMY_DATABASE_URI": empty_database_like(app, tmp_path, "liancha_joint_migration")})
    assert county.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    with county.app_context():
        yjj, scj, xfj = (Department(code=code, name=name) for code, name in
                         (("yjj", "应急管理局"), ("scj", "市场监督管理局"), ("xfj", "消防救援大队")))
        db.session.add_all([yjj, scj, xfj])
        db.session.flush()
        plan = plans.create_plan(2026, yjj, "河清县")
        db.session.flush()
        values = {"task_type": "定向", "ratio": "20%", "items": "危险化学品", "scope": "全县", "start_month": "2026-03",
                  "end_month": "2026-05"}
        two = plans.add_task(plan, {"name": "两个联合部门", **values}, [xfj.id, scj.id, yjj.id])
        none = plans.add_task(plan, {"name": "没有联合部门", **values}, [])
        db.session.commit()
        assert two.joint_department_ids == sorted([scj.id, xfj.id]) and none.joint_department_ids == []
        now = {(two.id, scj.id), (two.id, xfj.id)}
        ids = {"two": two.id, "none": none.id, "yjj": yjj.id, "scj": scj.id, "xfj": xfj.id}
        db.session.remove()

        downgrade(revision=BEFORE_JOINT)
        task = sa.table("plan_task", sa.column("id", sa.Integer), sa.column("joint_departments", sa.JSON))
        with db.engine.connect() as connection:
            lists = dict(connection.execute(sa.select(task.c.id, task.c.joint_departments)).all())
            assert lists == {ids["two"]: sorted([ids["scj"], ids["xfj"]]), ids["none"]: []}
            assert "plan_task_department" not in sa.inspect(connection).get_table_names()
            # What older code may have stored: ids as text, the initiating department, a department long gone.
            connection.execute(task.update().where(task.c.id == ids["none"])
                               .values(joint_departments=[str(ids["xfj"]), ids["yjj"], 999999]))
            connection.commit()

        upgrade()
        with db.engine.connect() as connection:
            rows = set(connection.execute(sa.text("SELECT plan_task_id, department_id FROM plan_task_department")))
            assert rows == now | {(ids["none"], ids["xfj"])}
            assert "joint_departments" not in {c["name"] for c in sa.inspect(connection).get_columns("plan_task")}
            keys = {(tuple(k["constrained_columns"]), k["referred_table"])
                    for k in sa.inspect(connection).get_foreign_keys("plan_task_department")}
            assert keys == {(("plan_task_id",), "plan_task"), (("department_id",), "department")}
            if connection.dialect.name == "postgresql":
                with pytest.raises(sa.exc.IntegrityError), connection.begin_nested():
                    connection.execute(sa.text(f"INSERT INTO plan_task_department VALUES ({ids['two']}, 999999)"))
            connection.rollback()
        from coordinator.plans.models import PlanTask

        assert db.session.get(PlanTask, ids["none"]).joint_department_ids == [ids["xfj"]]
        db.session.remove()
        db.engine.dispose()


def test_draw_probabilities_are_filled_for_draws_already_run(app, tmp_path):
    """Migration d4a7c2e9f0b1: draw_probability rows for a subjects draw run before it are recomputed from the
    stored input and result, the same as the ones the draw writes when it runs."""
    from tests.app.county import build_county, drawn_campaign

    county_app = create_app({"TESTING": True, "SECRET_KEY": "x", "UPLOAD_FOLDER": str(tmp_path),
                             "SQLALCHEMY_DATABASE_URI": empty_database_like(app, tmp_path, "liancha_prob_migration")})
    assert county_app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    query = sa.text("SELECT draw_id, subject_id, stratum, weight, probability, population, drawn FROM draw_probability")
    with county_app.app_context():
        drawn_campaign(build_county(subjects=16))
        with db.engine.connect() as connection:
            written = set(connection.execute(query))
        assert len(written) >= 8
        db.session.remove()
        downgrade(revision="b8e3d5f1a2c6")
        with db.engine.connect() as connection:
            assert "draw_probability" not in sa.inspect(connection).get_table_names()
        upgrade()
        with db.engine.connect() as connection:
            assert set(connection.execute(query)) == written
        db.session.remove()
