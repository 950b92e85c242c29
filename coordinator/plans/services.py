"""Numbering plans and their tasks, and the year's plan table in the layout of seed 000's annex."""
from __future__ import annotations

import sqlalchemy as sa

from ..auth.models import Department
from ..excel.writer import SheetWriter, open_workbook
from ..extensions import db
from .models import Plan, PlanTask


def create_plan(year: int, department: Department, county: str) -> Plan:
    sequence = (db.session.scalar(sa.select(sa.func.count()).where(Plan.year == year)) or 0) + 1
    plan = Plan(number=f"{year}{sequence:03d}", year=year, department=department,
                name=f"{year}年{county}{department.name}随机抽查{sequence:03d}")
    db.session.add(plan)
    return plan


def add_task(plan: Plan, values: dict, joint_department_ids: list[int]) -> PlanTask:
    task = PlanTask(plan=plan, number=f"{len(plan.tasks) + 1:03d}号", initiating_department_id=plan.department_id,
                    joint_departments=sorted(set(joint_department_ids) - {plan.department_id}), **values)
    db.session.add(task)
    return task


PLAN_HEADERS = ["抽查计划编号", "抽查计划名称", "抽查任务编号", "抽查任务名称", "抽查类型", "抽查比例", "抽查事项",
                "抽查对象范围", "发起科室", "联合科室", "抽查时间"]
PLAN_NOTE = "备注：1.抽查计划名称为：年度+部门+随机抽查+序号。抽查任务名称实施方案为准。\n2.抽查时间必须填写到月份。"


def month_label(value: str) -> str:
    year, month = value.split("-")
    return f"{year}年{int(month)}月"


def write_plan(target, year: int, county: str) -> None:
    """The year's plan table in the layout of seed 000's annex: same columns, same order, the same note."""
    names = dict(db.session.execute(sa.select(Department.id, Department.name)).all())
    workbook, formats = open_workbook(target)
    sheet = SheetWriter(workbook, f"{year}年抽查计划", formats)
    sheet.title(f"{county}{year}年度“双随机、一公开”随机抽查工作计划", len(PLAN_HEADERS))
    sheet.header(PLAN_HEADERS, [12, 30, 10, 30, 8, 40, 40, 24, 18, 24, 20])
    plans = db.session.scalars(sa.select(Plan).where(Plan.year == year).order_by(Plan.number)).all()
    for plan in plans:
        for task in plan.tasks:
            sheet.write([plan.number, plan.name, task.number, task.name, task.task_type, task.ratio, task.items,
                         task.scope, names.get(task.initiating_department_id, ""),
                         "、".join(names.get(d, "") for d in task.joint_departments),
                         f"{month_label(task.start_month)}至{month_label(task.end_month)}"])
    sheet.merge(0, len(PLAN_HEADERS) - 1, PLAN_NOTE, formats["wrap"])
    sheet.sheet.set_row(sheet.row, 36)
    sheet.sheet.set_landscape()
    sheet.sheet.fit_to_pages(1, 0)
    workbook.close()
