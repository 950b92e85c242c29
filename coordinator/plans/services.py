"""Numbering plans and their tasks, and the year's plan table in the layout of seed 000's annex."""
from __future__ import annotations

import sqlalchemy as sa

from ..auth.models import Department
from ..excel.writer import SheetWriter, open_workbook
from ..extensions import db
from ..items.models import Item
from ..states import PlanChange
from ..textutil import split_list
from .models import Plan, PlanTask, PlanTaskVersion


class PlanError(ValueError):
    """A plan step that cannot be taken; the message says why, in Chinese."""


def next_number(year: int) -> str:
    """The number the year's next plan gets: the year and a three-digit sequence (seed 000)."""
    sequence = (db.session.scalar(sa.select(sa.func.count()).where(Plan.year == year)) or 0) + 1
    return f"{year}{sequence:03d}"


def create_plan(year: int, department: Department, county: str) -> Plan:
    number = next_number(year)
    plan = Plan(number=number, year=year, department=department,
                name=f"{year}年{county}{department.name}随机抽查{number[4:]}")
    db.session.add(plan)
    return plan


def item_choices(plan: Plan) -> list[tuple[int, str]]:
    """The items a task may name: every department's list, the plan's own department first."""
    rows = db.session.execute(
        sa.select(Item.id, Item.code, Item.name, Department.name, Item.department_id).join(Department)
        .where(Item.active).order_by(Item.department_id != plan.department_id, Department.id, Item.code)).all()
    return [(item_id, f"{department}：{code} {name}") for item_id, code, name, department, _ in rows]


def item_text(item_ids: list[int]) -> str:
    """The chosen items as the plan table writes them: "编号 名称" joined by "、"."""
    items = db.session.scalars(sa.select(Item).where(Item.id.in_(item_ids or [-1])).order_by(Item.code, Item.id)).all()
    return "、".join(f"{item.code} {item.name}" for item in items)


def chosen_items(task: PlanTask) -> list[int]:
    """The items a stored task names, for its edit form (tasks written before the list was used name none)."""
    named = set(split_list(task.items))
    return [item.id for item in db.session.scalars(sa.select(Item).order_by(Item.id))
            if f"{item.code} {item.name}" in named]


def task_data(task: PlanTask) -> dict:
    """The task as the public plan reads it: its columns, departments by name (never inspectors: it has none)."""
    names = dict(db.session.execute(sa.select(Department.id, Department.name)).all())
    return {"name": task.name, "task_type": task.task_type, "ratio": task.ratio, "items": task.items,
            "scope": task.scope, "initiating_department": names.get(task.initiating_department_id, ""),
            "joint_departments": [names.get(d, "") for d in task.joint_department_ids],
            "start_month": task.start_month, "end_month": task.end_month}


def _version(task: PlanTask, change: PlanChange, reason: str, user) -> PlanTaskVersion:
    db.session.flush()
    latest = db.session.scalar(sa.select(sa.func.max(PlanTaskVersion.version))
                               .where(PlanTaskVersion.task_id == task.id)) or 0
    version = PlanTaskVersion(plan_id=task.plan_id, task_id=task.id, task_number=task.number, version=latest + 1,
                              change=change, reason=reason.strip()[:500], data=task_data(task),
                              changed_by_id=getattr(user, "id", None))
    db.session.add(version)
    return version


def plan_years() -> list[int]:
    return sorted(set(db.session.scalars(sa.select(Plan.year))), reverse=True)


def current_tasks(year: int) -> list[tuple[Plan, PlanTask, dict]]:
    """The year's tasks as they now read, with their public text (task_data)."""
    plans = db.session.scalars(sa.select(Plan).where(Plan.year == year).order_by(Plan.number)).all()
    return [(plan, task, task_data(task)) for plan in plans for task in plan.tasks]


def history(year: int) -> list[PlanTaskVersion]:
    """Every version of the year's tasks, newest first."""
    return db.session.scalars(sa.select(PlanTaskVersion).join(Plan).where(Plan.year == year)
                              .order_by(PlanTaskVersion.changed_at.desc(), PlanTaskVersion.id.desc())).all()


def _next_task_number(plan: Plan) -> str:
    """The number after the highest the plan ever gave, a deleted task's included: the public history names tasks by
    number, and counting the tasks gave the next one a number still in use (a deleted task's, or the last one's)."""
    given = {task.number for task in plan.tasks}
    if plan.id is not None:
        given |= set(db.session.scalars(sa.select(PlanTaskVersion.task_number).where(PlanTaskVersion.plan_id == plan.id)))
    numbers = [int(number.removesuffix("号")) for number in given if number.removesuffix("号").isdigit()]
    return f"{max(numbers, default=0) + 1:03d}号"


def add_task(plan: Plan, values: dict, joint_department_ids: list[int],
             item_ids: list[int] | None = None, user=None, reason: str = "") -> PlanTask:
    """A task numbered after the plan's last; its items picked from the lists (`item_ids`), or as `values` name
    them (scripts and imports)."""
    if item_ids is not None:
        values = {**values, "items": item_text(item_ids)}
    task = PlanTask(plan=plan, number=_next_task_number(plan), initiating_department_id=plan.department_id, **values)
    task.set_joint_departments(joint_department_ids)
    db.session.add(task)
    _version(task, PlanChange.ADDED, reason, user)
    return task


def update_task(task: PlanTask, values: dict, joint_department_ids: list[int], item_ids: list[int],
                user=None, reason: str = "") -> None:
    """Adjust a task (调整): the reason is required and the version before stays on record."""
    if not reason.strip():
        raise PlanError("调整年度计划任务须写明调整原因（调整后的计划向社会公开）")
    for key, value in values.items():
        setattr(task, key, value)
    task.items = item_text(item_ids)
    task.set_joint_departments(joint_department_ids)
    _version(task, PlanChange.EDITED, reason, user)


def delete_task(task: PlanTask, user=None, reason: str = "") -> None:
    """Remove a task no campaign was created for; the other tasks keep their numbers (the plan was published)."""
    campaign = db.metadata.tables["campaign"]  # campaigns sit above plans: their table, not their model
    used = db.session.scalar(sa.select(campaign.c.name).where(campaign.c.plan_task_id == task.id)
                             .order_by(campaign.c.id).limit(1))  # the first, whichever the database
    if used:
        raise PlanError(f"联合抽查“{used}”对应这项任务，不能删除；可以修改任务内容")
    if not reason.strip():
        raise PlanError("删除年度计划任务须写明原因（调整后的计划向社会公开）")
    _version(task, PlanChange.DELETED, reason, user)
    db.session.delete(task)


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
                         "、".join(names.get(d, "") for d in task.joint_department_ids),
                         f"{month_label(task.start_month)}至{month_label(task.end_month)}"])
    sheet.merge(0, len(PLAN_HEADERS) - 1, PLAN_NOTE, formats["wrap"])
    sheet.sheet.set_row(sheet.row, 36)
    sheet.sheet.set_landscape()
    sheet.sheet.fit_to_pages(1, 0)
    workbook.close()
