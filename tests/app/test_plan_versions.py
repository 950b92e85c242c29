"""The annual plan in public with its adjustments (seed 000: 向社会公开年度监督抽查计划; seed 002: 调整后的抽查计划及时
向社会公开): a task is adjusted only with a reason, every version is kept, and the public page shows the current
plan and its history, never an inspector's name."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from coordinator.directories.models import Inspector
from coordinator.extensions import db
from coordinator.items.models import Item
from coordinator.plans import services as plans
from coordinator.plans.models import PlanTask, PlanTaskVersion
from coordinator.states import PlanChange
from tests.app.county import PASSWORD, build_county


@pytest.fixture
def county(ctx):
    return build_county()


def test_adjustments_need_a_reason_keep_every_version_and_are_public(app, county):
    office = app.test_client()
    office.post("/login", data={"username": "office", "password": PASSWORD})
    plan = plans.create_plan(2025, county["yjj"], "河清县")
    db.session.flush()
    item = db.session.scalar(sa.select(Item).where(Item.department_id == county["yjj"].id))
    task = plans.add_task(plan, {"name": "危化品企业抽查", "task_type": "定向", "ratio": "20%", "scope": "危化品企业",
                                 "start_month": "2025-03", "end_month": "2025-05"}, [county["scj"].id], [item.id])
    db.session.commit()
    form = {"name": "危化品企业抽查", "task_type": "定向", "ratio": "30%", "scope": "危化品企业",
            "start_month": "2025-03", "end_month": "2025-06", "item_ids": [str(item.id)],
            "joint_department_ids": [str(county["scj"].id)]}
    refused = office.post(f"/plans/{plan.id}/tasks/{task.id}/edit", data=form)
    assert refused.status_code == 200 and "调整原因" in refused.data.decode()
    db.session.expire_all()
    assert db.session.get(PlanTask, task.id).ratio == "20%"
    office.post(f"/plans/{plan.id}/tasks/{task.id}/edit", data=form | {"reason": "上级部署春季专项，提高比例"})
    db.session.expire_all()
    versions = db.session.scalars(sa.select(PlanTaskVersion).order_by(PlanTaskVersion.version)).all()
    assert [(v.version, v.change) for v in versions] == [(1, PlanChange.ADDED), (2, PlanChange.EDITED)]
    assert versions[0].data["ratio"] == "20%" and versions[1].data["ratio"] == "30%"
    assert versions[1].reason == "上级部署春季专项，提高比例" and versions[0].data["joint_departments"] == ["市场监督管理局"]

    other = plans.add_task(plan, {"name": "临时任务", "task_type": "不定向", "ratio": "5%", "scope": "全部",
                                  "start_month": "2025-08", "end_month": "2025-08"}, [], [item.id])
    db.session.commit()
    office.post(f"/plans/{plan.id}/tasks/{other.id}/delete", data={})  # no reason: refused
    assert db.session.get(PlanTask, other.id) is not None
    office.post(f"/plans/{plan.id}/tasks/{other.id}/delete", data={"reason": "与专项检查合并"})
    db.session.expire_all()
    assert db.session.get(PlanTask, other.id) is None

    public = app.test_client().get("/public/plan?year=2025").data.decode()  # no log-in
    assert "30%" in public and "上级部署春季专项，提高比例" in public and "与专项检查合并" in public
    assert "删除任务" in public and "调整任务" in public and "临时任务" in public
    current = public.split("计划调整记录")[0]
    assert "临时任务" not in current  # the deleted task is history, not plan
    for inspector in db.session.scalars(sa.select(Inspector)):
        assert inspector.name not in public


def test_the_public_plan_refuses_a_year_nobody_plans(app, county):
    """/public/plan?year=99999999999 showed “99999999999年度随机抽查工作计划 … 尚未公布” (acceptance check): a year
    outside 2000–2100 is a typing error, as everywhere else, and the page does not exist."""
    anonymous = app.test_client()
    for year in ("1999", "2101", "99999999999", "-5"):
        assert anonymous.get(f"/public/plan?year={year}").status_code == 404, year
    assert anonymous.get("/public/plan?year=2025").status_code == 200
    assert anonymous.get("/public/plan?year=abc").status_code == 200  # not a number: the latest plan's year


def test_a_task_added_after_a_deletion_takes_a_number_never_given_before(app, county):
    plan = plans.create_plan(2025, county["yjj"], "河清县")
    db.session.flush()
    values = {"task_type": "定向", "ratio": "20%", "scope": "危化品企业", "items": "", "start_month": "2025-03",
              "end_month": "2025-05"}
    first, second, third = (plans.add_task(plan, {**values, "name": f"任务{n}"}, []) for n in range(1, 4))
    db.session.commit()
    plans.delete_task(second, reason="与任务1合并")
    db.session.commit()
    fourth = plans.add_task(plan, {**values, "name": "任务4"}, [])
    db.session.commit()
    assert fourth.number == "004号"  # counting the tasks gave 003号, the number task 3 still has
    plans.delete_task(fourth, reason="取消")
    db.session.commit()
    assert plans.add_task(plan, {**values, "name": "任务5"}, []).number == "005号"  # 004号 stays the deleted one's
    db.session.commit()
    db.session.expire_all()
    assert [(t.number, t.name) for t in plan.tasks] == [("001号", "任务1"), ("003号", "任务3"), ("005号", "任务5")]
