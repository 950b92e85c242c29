"""Monthly plans (月抽查计划, seed 000): "每月最后两个工作日内，根据年度监督抽查计划和当前工作重点，合理确定消防监督月抽查
工作量，通过系统生成下月抽查计划。月抽查计划应包括但不限于检查对象名称、地址、检查时限等内容。"

When: a department is asked for next month's plan on the last two working days of a month (workdays: holidays
and make-up working days count as the state council sets them), and until next month begins.
What the system proposes:
    tasks     the annual plan's tasks the department initiates or joins whose months include next month;
    workload  what its inspectors can take: active inspectors with a valid certificate on the 1st × next month's
              working days × RANDOM_SHARE of their days × DAILY_VISITS visits a day ÷ TEAM_SIZE inspectors a visit;
    list      the workload's number of enterprises: first those its coverage rules still make due
              (coordinator/coverage, still_due on the month's first day, the rule as the reason; with or without
              an annual-plan task), then, when a task is active next month, active ones its items reach, not
              inspected by it within the last 12 months (6 for those with complaints, accidents, penalties, on
              the blacklist or with major hidden danger: seed 003's half-year duty), in this order: those
              half-year ones, crowded-place key units (seed 000: every year), other key units, general units,
              九小场所; within each, by SHA-256 of month, department code and credit code — an order nobody
              picks, that anyone can recompute.
    limit     each enterprise's time limit (检查时限) is next month's last working day.
The department adds and removes enterprises, sets the note, confirms; a campaign (its internal random inspection)
is then created from the plan: every listed enterprise is drawn (stratum "all"), teams by the usual seed round.
"""
from __future__ import annotations

import hashlib
import math
from datetime import date, timedelta

import sqlalchemy as sa

from ..auth.models import Department, User
from ..directories.models import Inspector, Subject
from ..excel.writer import SheetWriter, open_workbook
from ..extensions import db
from ..items.models import Item
from ..states import MonthlyPlanStatus, SubjectStatus
from ..textutil import split_list
from ..timeutil import now
from ..workdays import working_days_between
from .models import MonthlyPlan, MonthlyPlanEntry, Plan, PlanTask

RANDOM_SHARE = 0.25  # of an inspector's working days go to random inspections (the rest: permits, cases, fires)
DAILY_VISITS = 2
TEAM_SIZE = 2
HALF_YEAR_FLAGS = ("has_complaint", "has_accident", "has_penalty", "blacklisted", "major_hazard")
CATEGORY_ORDER = ("消防安全重点单位", "一般单位", "九小场所")


class MonthlyPlanError(ValueError):
    """A monthly-plan step that cannot be taken; the message says why, in Chinese."""


def month_bounds(month: str) -> tuple[date, date]:
    year, number = (int(part) for part in month.split("-"))
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return first, following - timedelta(days=1)


def next_month(day: date) -> str:
    return f"{day.year + day.month // 12}-{day.month % 12 + 1:02d}"


def last_working_days(day: date, count: int = 2) -> list[date]:
    """The last `count` working days of `day`'s month."""
    first, last = month_bounds(f"{day.year}-{day.month:02d}")
    return working_days_between(first, last)[-count:]


def asking_month(day: date) -> str | None:
    """The month a department is asked to plan on `day`: next month, on and after the first of this month's last
    two working days (seed 000); None on every other day."""
    days = last_working_days(day)
    return next_month(day) if days and day >= days[0] else None


def departments_asked(day: date) -> list[tuple[Department, MonthlyPlan | None]]:
    """On a day that asks for plans: every active department and its plan for next month (None: not made yet)."""
    month = asking_month(day)
    if month is None:
        return []
    plans = {p.department_id: p for p in db.session.scalars(sa.select(MonthlyPlan).where(MonthlyPlan.month == month))}
    departments = db.session.scalars(sa.select(Department).where(Department.active).order_by(Department.id)).all()
    return [(d, plans.get(d.id)) for d in departments]


def tasks_active(department_id: int, month: str) -> list[PlanTask]:
    """The annual plans' tasks the department initiates or joins whose months include `month` — whichever year's
    plan holds them: a task of last year's plan running into this January (岁末年初) is still active."""
    tasks = db.session.scalars(sa.select(PlanTask).join(Plan).where(
        PlanTask.start_month <= month, PlanTask.end_month >= month)
        .order_by(Plan.number, PlanTask.number, PlanTask.id)).all()
    return [t for t in tasks if t.initiating_department_id == department_id or department_id in t.joint_department_ids]


def workload(department_id: int, month: str) -> tuple[int, str]:
    """How many enterprises the department's inspectors can take in `month`, and how that was counted."""
    first, last = month_bounds(month)
    inspectors = db.session.scalar(sa.select(sa.func.count(Inspector.id)).where(
        Inspector.department_id == department_id, Inspector.active, Inspector.cert_no.is_not(None),
        sa.or_(Inspector.cert_expiry.is_(None), Inspector.cert_expiry >= first))) or 0
    days = len(working_days_between(first, last))
    amount = math.floor(inspectors * days * RANDOM_SHARE * DAILY_VISITS / TEAM_SIZE)
    basis = (f"持证执法人员{inspectors}人 × 工作日{days}天 × 随机抽查占用{int(RANDOM_SHARE * 100)}% × "
             f"每天{DAILY_VISITS}户 ÷ 每组{TEAM_SIZE}人 = {amount}户")
    return amount, basis


def _months_before(day: date, months: int) -> date:
    month = day.month - months
    return date(day.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def _inspected_since(department_id: int) -> dict[int, date]:
    """Each enterprise's latest inspection by the department (a drawn enterprise of a campaign it takes part in)."""
    from ..campaigns.models import Campaign, CampaignSubject, CampaignSubjectDepartment  # campaigns sit above plans
    from ..states import DrawnStatus
    day = sa.func.coalesce(CampaignSubject.visit_date, Campaign.visit_start)
    rows = db.session.execute(
        sa.select(CampaignSubject.subject_id, sa.func.max(day))
        .join(Campaign, Campaign.id == CampaignSubject.campaign_id)
        .join(CampaignSubjectDepartment, CampaignSubjectDepartment.campaign_subject_id == CampaignSubject.id)
        .where(CampaignSubjectDepartment.department_id == department_id, CampaignSubject.status == DrawnStatus.ACTIVE)
        .group_by(CampaignSubject.subject_id)).all()
    return dict(rows)


def _industries(department_id: int) -> set[str]:
    """The industries the department's active items reach ("全部" for every one; empty: no items yet)."""
    return {i for text in db.session.scalars(sa.select(Item.industries).where(
        Item.department_id == department_id, Item.active)) for i in split_list(text) or ["全部"]}


def _reached(department_id: int):
    industries = _industries(department_id)
    query = sa.select(Subject).where(Subject.status == SubjectStatus.ACTIVE)
    if not industries:
        return None
    return query if "全部" in industries else query.where(Subject.industry.in_(sorted(industries)))


def _order_key(month: str, code: str):
    def key(subject: Subject):
        flagged = any(getattr(subject, flag) for flag in HALF_YEAR_FLAGS)
        group = 0 if flagged else 1 + (CATEGORY_ORDER.index(subject.category) * 2 - (1 if subject.crowded and
                                       subject.category == CATEGORY_ORDER[0] else 0)
                                       if subject.category in CATEGORY_ORDER else 9)
        return group, hashlib.sha256(f"{month}|{code}|{subject.credit_code}".encode()).hexdigest()
    return key


def coverage_due(department_id: int, on: date) -> dict[int, tuple[Subject, str]]:
    """The enterprises the department's coverage rules (coordinator/coverage) still make due on `on`, with the
    rule as the reason: they come first in the proposal."""
    from ..coverage import services as coverage  # coverage sits above plans
    return {subject.id: (subject, f"覆盖规则“{rule.name}”尚未完成")
            for rule, subjects in coverage.still_due(department_id, on) for subject in subjects}


def reason_of(subject: Subject) -> str:
    flags = [label for flag, label in (("has_complaint", "投诉举报"), ("has_accident", "发生事故"),
                                       ("has_penalty", "行政处罚"), ("blacklisted", "列入黑名单"),
                                       ("major_hazard", "重大隐患")) if getattr(subject, flag)]
    if flags:
        return f"每半年至少检查一次（{'、'.join(flags)}）"
    if subject.category == "消防安全重点单位":
        return "人员密集场所重点单位，每年至少一次" if subject.crowded else "重点单位，年度抽查不低于80%"
    return {"一般单位": "一般单位，年度抽查不低于20%", "九小场所": "九小场所，年度抽查不低于2%"}.get(
        subject.category, "年度计划任务")


def propose(department: Department, month: str) -> MonthlyPlan:
    """The system's proposal for the department's plan of `month` (see the module docstring); made once."""
    if db.session.scalar(sa.select(MonthlyPlan.id).where(MonthlyPlan.department_id == department.id,
                                                         MonthlyPlan.month == month)):
        raise MonthlyPlanError(f"{department.name}{month_label(month)}的月抽查计划已经生成")
    first, last = month_bounds(month)
    due = working_days_between(first, last)[-1]
    amount, basis = workload(department.id, month)
    tasks = tasks_active(department.id, month)
    plan = MonthlyPlan(department=department, month=month, workload=amount, basis=basis, tasks=[t.id for t in tasks])
    if not amount:
        db.session.add(plan)
        return plan
    # Coverage duties are the department's whatever its annual plan says; the yearly pool beyond them (not
    # inspected within 12 or 6 months) comes with an annual-plan task active next month.
    duties = coverage_due(department.id, first)
    pool = {}
    query = _reached(department.id)
    if tasks and query is not None:
        inspected = _inspected_since(department.id)
        year_ago, half_year_ago = _months_before(first, 12), _months_before(first, 6)

        def due_now(subject: Subject) -> bool:
            latest = inspected.get(subject.id)
            flagged = any(getattr(subject, flag) for flag in HALF_YEAR_FLAGS)
            return latest is None or latest < (half_year_ago if flagged else year_ago)

        pool = {s.id: s for s in db.session.scalars(query) if due_now(s)}
    pool.update({subject.id: subject for subject, _ in duties.values()})
    order = _order_key(month, department.code)
    candidates = sorted(pool.values(), key=lambda s: (s.id not in duties, order(s)))
    plan.entries = [MonthlyPlanEntry(subject=s, reason=duties[s.id][1] if s.id in duties else reason_of(s),
                                     due_on=due) for s in candidates[:amount]]
    db.session.add(plan)
    return plan


def add_subject(plan: MonthlyPlan, subject: Subject, user: User) -> None:
    if not plan.may_edit(user):
        raise MonthlyPlanError("这份月抽查计划已不能修改")
    if any(e.subject_id == subject.id for e in plan.entries):
        raise MonthlyPlanError(f"“{subject.name}”已在计划中")
    if subject.status != SubjectStatus.ACTIVE:
        raise MonthlyPlanError(f"“{subject.name}”不是存续状态，不能列入计划")
    industries = _industries(plan.department_id)
    if "全部" not in industries and subject.industry not in industries:
        # the campaign made from the plan draws only enterprises its items reach: it would drop out silently
        raise MonthlyPlanError(f"“{subject.name}”的行业（{subject.industry or '未填写'}）不在本部门抽查事项的范围内"
                               f"（{'、'.join(sorted(industries)) or '尚无在用抽查事项'}），不能列入计划")
    first, last = month_bounds(plan.month)
    plan.entries.append(MonthlyPlanEntry(subject=subject, reason="本部门增加", due_on=working_days_between(first, last)[-1]))
    plan.status, plan.confirmed_at, plan.confirmed_by_id = MonthlyPlanStatus.PROPOSED, None, None


def remove_entry(plan: MonthlyPlan, entry: MonthlyPlanEntry, user: User) -> None:
    if not plan.may_edit(user):
        raise MonthlyPlanError("这份月抽查计划已不能修改")
    plan.entries.remove(entry)
    plan.status, plan.confirmed_at, plan.confirmed_by_id = MonthlyPlanStatus.PROPOSED, None, None


def confirm(plan: MonthlyPlan, note: str, user: User) -> None:
    if not plan.may_edit(user):
        raise MonthlyPlanError("只有本部门管理员可以确认本部门的月抽查计划")
    if not plan.entries:
        raise MonthlyPlanError("计划中没有检查对象，不能确认")
    plan.note = note.strip()
    plan.status, plan.confirmed_at, plan.confirmed_by_id = MonthlyPlanStatus.CONFIRMED, now(), user.id


def campaign_values(plan: MonthlyPlan, county: str) -> dict:
    """The internal random inspection made from a confirmed plan: the month, its enterprises, teams of two."""
    first, last = month_bounds(plan.month)
    days = working_days_between(first, last)
    task = db.session.get(PlanTask, plan.tasks[0]) if plan.tasks else None
    return {
        "name": f"{plan.month[:4]}年{plan.department.name}{int(plan.month[5:])}月内部随机抽查", "field": "",
        "plan_task_id": task.id if task else None, "period_start": first, "period_end": last,
        "items_deadline": days[0], "visit_start": days[min(2, len(days) - 1)], "visit_end": days[-1],
        "scope": {"subjects": [e.subject_id for e in plan.entries]},
        "strata": [{"id": "月抽查计划", "category": "*", "crowded": None, "mode": "all", "value": None}],
        "risk_weights": {"A": 1.0, "B": 1.0, "C": 1.0, "D": 1.0, "": 1.0}, "must_flags": [],
        "burden_months": 0, "team_size": TEAM_SIZE,
    }


def month_label(month: str) -> str:
    return f"{month[:4]}年{int(month[5:])}月"


HEADERS = ["序号", "检查对象名称", "统一社会信用代码", "地址", "单位类别", "列入原因", "检查时限"]


def write_monthly_plan(target, plan: MonthlyPlan, county: str) -> None:
    """The plan as seed 000 asks: each enterprise's name, address and time limit."""
    workbook, formats = open_workbook(target)
    sheet = SheetWriter(workbook, "月抽查计划", formats)
    sheet.title(f"{county}{plan.department.name}{month_label(plan.month)}抽查计划（{plan.status_label}）", len(HEADERS))
    sheet.header(HEADERS, [6, 34, 22, 40, 16, 30, 12])
    for number, entry in enumerate(plan.entries, 1):
        s = entry.subject
        sheet.write([number, s.name, s.credit_code, s.address, s.category, entry.reason, entry.due_on.isoformat()])
    workbook.close()

