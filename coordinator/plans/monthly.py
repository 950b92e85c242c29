"""Monthly plans (月抽查计划, seed 000): "每月最后两个工作日内，根据年度监督抽查计划和当前工作重点，合理确定消防监督月抽查
工作量，通过系统生成下月抽查计划。月抽查计划应包括但不限于检查对象名称、地址、检查时限等内容。"

When: a department is asked for next month's plan on the last two working days of a month (workdays: holidays
and make-up working days count as the state council sets them), and until next month begins.
What the system proposes:
    tasks     the annual plan's tasks the department initiates or joins whose months include next month;
    workload  what its inspectors can take: active inspectors with a valid certificate on the 1st × next month's
              working days × RANDOM_SHARE of their days × DAILY_VISITS visits a day ÷ TEAM_SIZE inspectors a visit;
    list      the workload's number of enterprises, drawn at random (solver.draw_subjects, the campaigns' own stage-1
              draw) with a fresh unpredictable seed (`secrets`) from the candidates: those its coverage rules still
              make due (coordinator/coverage, still_due on the month's first day, the rule as the reason; with or
              without an annual-plan task), then, when a task is active next month, active ones its items reach,
              not inspected by it within the last 12 months (6 for those with complaints, accidents, penalties, on
              the blacklist or with major hidden danger: seed 003's half-year duty). Both fall into priority groups
              — those half-year ones, crowded-place key units (seed 000: every year), other key units, general
              units, 九小场所, others — and these strata (the duties' groups first) take the workload in turn: a
              stratum it still covers is listed whole ("all": coverage-due ones are listed by rule whenever they
              fit); the one where it runs out is drawn by count, each enterprise weighted by its credit-risk class
              (campaigns.rules.DEFAULT_RISK_WEIGHTS, as a campaign applies them); later strata get count 0
              (candidates, not drawn). Nobody can know beforehand whether an enterprise will be in next month's plan.
    record    the input (canonical JSON, without the seed), the seed, the solver's input_sha256, the result, the
              solver's version, when and by whom are stored on the plan; `python -m solver draw` on the input with
              its seed gives the same list (replay, `flask replay-monthly-plan`). A draft may be proposed again
              (a new seed: enterprises added by hand stay, the rest is drawn anew) once what the draw reads has
              changed — the same input is never drawn twice, so nobody can re-roll until a list suits; every
              proposal goes to the audit log with its seed and input hash, and the plan counts them.
    limit     each enterprise's time limit (检查时限) is next month's last working day.
The department adds and removes enterprises, sets the note, confirms; a campaign (its internal random inspection)
is then created from the plan: every listed enterprise is drawn (stratum "all"), teams by the usual seed round.
"""
from __future__ import annotations

import json
import math
import secrets
from datetime import date, timedelta

import sqlalchemy as sa

import solver
from solver import canonical_json, sha256_hex

from ..audit import services as audit
from ..auth.models import Department, User
from ..directories.models import Inspector, Subject
from ..excel.writer import SheetWriter, open_workbook
from ..extensions import db
from ..items.services import industries_reached
from ..states import MonthlyPlanStatus, SubjectStatus
from ..timeutil import now
from ..vocab import CATEGORIES, HISTORY_FLAGS
from ..workdays import working_days_between
from .models import MonthlyPlan, MonthlyPlanEntry, Plan, PlanTask

RANDOM_SHARE = 0.25  # of an inspector's working days go to random inspections (the rest: permits, cases, fires)
DAILY_VISITS = 2
TEAM_SIZE = 2
HALF_YEAR_FLAGS = tuple(HISTORY_FLAGS)  # seed 003: complaints, accidents, penalties, blacklist, major hidden danger


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


def _reached(department_id: int):
    industries = industries_reached(department_id)
    if industries == []:
        return None
    query = sa.select(Subject).where(Subject.status == SubjectStatus.ACTIVE)
    return query if industries is None else query.where(Subject.industry.in_(industries))


DUE_STRATUM = "覆盖规则尚未完成"
# The priority groups, in order (seed 003's half-year duty first, then seed 000's); the coverage duties come first,
# in these groups too ("覆盖规则尚未完成·重点单位-人员密集"), then the other candidates.
GROUPS = ("每半年一次", "重点单位-人员密集", "重点单位-其他", "一般单位", "九小场所", "其他单位")
STRATA = (*(f"{DUE_STRATUM}·{group}" for group in GROUPS), *GROUPS)
ADDED_REASON = "本部门增加"


def stratum_of(subject: Subject) -> str:
    """The enterprise's priority group (its stratum among the candidates beyond the coverage duties)."""
    if any(getattr(subject, flag) for flag in HALF_YEAR_FLAGS):
        return GROUPS[0]
    if subject.category == CATEGORIES[0]:
        return GROUPS[1] if subject.crowded else GROUPS[2]
    return {CATEGORIES[1]: GROUPS[3], CATEGORIES[2]: GROUPS[4]}.get(subject.category, GROUPS[5])


def coverage_due(department_id: int, on: date) -> dict[int, tuple[Subject, str]]:
    """The enterprises the department's coverage rules (coordinator/coverage) still make due on `on`, with the
    rule as the reason: they come first in the proposal."""
    from ..coverage import services as coverage  # coverage sits above plans
    return {subject.id: (subject, f"覆盖规则“{rule.name}”尚未完成")
            for rule, subjects in coverage.still_due(department_id, on) for subject in subjects}


def reason_of(subject: Subject) -> str:
    flags = [label for flag, label in HISTORY_FLAGS.items() if getattr(subject, flag)]
    if flags:
        return f"每半年至少检查一次（{'、'.join(flags)}）"
    if subject.category == "消防安全重点单位":
        return "人员密集场所重点单位，每年至少一次" if subject.crowded else "重点单位，年度抽查不低于80%"
    return {"一般单位": "一般单位，年度抽查不低于20%", "九小场所": "九小场所，年度抽查不低于2%"}.get(
        subject.category, "年度计划任务")


def _candidates(department_id: int, first: date, with_pool: bool) -> tuple[dict[int, tuple[Subject, str]], list[Subject]]:
    """The coverage duties (by id, with the rule as the reason) and, with an annual-plan task active (`with_pool`),
    the other enterprises its items reach that are due by the 12- or 6-month rule."""
    duties = coverage_due(department_id, first)
    query = _reached(department_id)
    if not with_pool or query is None:
        return duties, []
    inspected = _inspected_since(department_id)
    year_ago, half_year_ago = _months_before(first, 12), _months_before(first, 6)

    def due_now(subject: Subject) -> bool:
        latest = inspected.get(subject.id)
        flagged = any(getattr(subject, flag) for flag in HALF_YEAR_FLAGS)
        return latest is None or latest < (half_year_ago if flagged else year_ago)

    return duties, [s for s in db.session.scalars(query) if s.id not in duties and due_now(s)]


def draw_problem(duties: list[Subject], pool: list[Subject], amount: int) -> dict:
    """The draw's input without its seed: every candidate in its priority stratum with its credit-risk weight; the
    strata take the workload `amount` in turn (whole while it lasts, then by count, then 0)."""
    from ..campaigns.rules import DEFAULT_RISK_WEIGHTS  # campaigns sit above plans
    members = [(f"{DUE_STRATUM}·{stratum_of(s)}", s) for s in duties] + [(stratum_of(s), s) for s in pool]
    sizes = {name: sum(1 for stratum, _ in members if stratum == name) for name in STRATA}
    strata, left = [], amount
    for name, size in sizes.items():
        if not size:
            continue
        strata.append({"id": name, "all": True} if size <= left else {"id": name, "count": left})
        left -= min(size, left)
    subjects = [{"id": s.credit_code, "stratum": stratum, "weight": float(DEFAULT_RISK_WEIGHTS.get(s.risk_class, 1.0)),
                 "must": False} for stratum, s in sorted(members, key=lambda m: m[1].credit_code)]
    return {"strata": strata, "subjects": subjects}


def new_seed() -> str:
    """A fresh seed nobody can predict or choose."""
    return secrets.token_hex(16)


def _draw(plan: MonthlyPlan, user: User | None, seed: str | None = None) -> None:
    """(Re)make the plan's list: keep what the department added by hand, draw the rest of the workload anew. The
    same input is drawn once: drawing it again with another seed would let a department pick among lists."""
    drawn_before = _inputs_drawn(plan)
    first, last = month_bounds(plan.month)
    due = working_days_between(first, last)[-1]
    kept = [e for e in plan.entries if e.reason == ADDED_REASON]
    plan.entries = kept
    if plan.id is not None:
        db.session.flush()  # the entries let go are deleted before a new draw may list the same enterprise again
    for field in ("draw_problem", "draw_seed", "draw_input_sha256", "draw_result", "solver_version"):
        setattr(plan, field, None)
    plan.drawn_at, plan.drawn_by_id = now(), user.id if user else None
    amount = max(plan.workload - len(kept), 0)
    if not amount:
        return
    duties, pool = _candidates(plan.department_id, first, bool(plan.tasks))
    taken = {e.subject_id for e in kept}
    duty_subjects = [s for s, _ in duties.values() if s.id not in taken]
    pool = [s for s in pool if s.id not in taken]
    if not duty_subjects and not pool:
        return
    problem = draw_problem(duty_subjects, pool, amount)
    if sha256_hex(canonical_json(problem)) in drawn_before:
        raise MonthlyPlanError("候选对象、工作量和本部门增加的检查对象都与此前某次生成时相同，不能重新抽取：同一输入只抽取一次，"
                               "以免反复抽取挑选名单。名录库、执法人员或本部门增加的检查对象有变化后，可以重新生成")
    result = solver.draw_subjects({**problem, "seed": seed or new_seed()})
    plan.draw_problem, plan.draw_seed = canonical_json(problem), result["seed"]
    plan.draw_input_sha256, plan.draw_result = result["input_sha256"], canonical_json(result)
    plan.solver_version = result["versions"]["solver"]
    by_code = {s.credit_code: s for s in (*duty_subjects, *pool)}
    order = {name: number for number, name in enumerate(STRATA)}
    for row in sorted(result["drawn"], key=lambda r: (order[r["stratum"]], r["id"])):
        subject = by_code[row["id"]]
        reason = duties[subject.id][1] if row["stratum"].startswith(DUE_STRATUM) else reason_of(subject)
        plan.entries.append(MonthlyPlanEntry(subject=subject, reason=reason, due_on=due))


def _inputs_drawn(plan: MonthlyPlan) -> set[str]:
    """The SHA-256 of every input (without its seed) the plan was ever drawn from: its current one, and those its
    proposals' audit entries hold. An input drawn before is not drawn again, whatever came between (add one by hand,
    re-propose, take it out, re-propose). A first proposal has none (a plan is never deleted; a test's deleted one
    may leave its id)."""
    from ..audit.models import AuditEntry

    if plan.id is None or plan.proposals <= 1:
        return set()
    changes = db.session.scalars(sa.select(AuditEntry.changes).where(
        AuditEntry.action == "propose", AuditEntry.entity == "monthly_plan", AuditEntry.entity_id == str(plan.id)))
    logged = {digest for text in changes if (digest := (json.loads(text).get("after") or {}).get("problem_sha256"))}
    return logged | ({sha256_hex(plan.draw_problem)} if plan.draw_problem is not None else set())


def _audit_proposal(plan: MonthlyPlan, user: User | None) -> None:
    audit.log("propose", "monthly_plan", plan.id, None, {
        "month": plan.month, "proposals": plan.proposals, "seed": plan.draw_seed,
        "input_sha256": plan.draw_input_sha256, "entries": len(plan.entries),
        "problem_sha256": sha256_hex(plan.draw_problem) if plan.draw_problem is not None else None}, user=user)


def propose(department: Department, month: str, user: User | None = None) -> MonthlyPlan:
    """The system's proposal for the department's plan of `month` (see the module docstring); made once, then
    proposed again with `repropose` while it is a draft."""
    if db.session.scalar(sa.select(MonthlyPlan.id).where(MonthlyPlan.department_id == department.id,
                                                         MonthlyPlan.month == month)):
        raise MonthlyPlanError(f"{department.name}{month_label(month)}的月抽查计划已经生成")
    amount, basis = workload(department.id, month)
    tasks = tasks_active(department.id, month)
    plan = MonthlyPlan(department=department, month=month, workload=amount, basis=basis, tasks=[t.id for t in tasks],
                       proposals=1, entries=[])
    db.session.add(plan)
    db.session.flush()
    _draw(plan, user)
    _audit_proposal(plan, user)
    return plan


def repropose(plan: MonthlyPlan, user: User) -> None:
    """Propose a draft again with a new seed (the tasks, workload and candidates as they are now): what the
    department added by hand stays; the audit log and the plan's count show every re-roll. Refused when nothing
    the draw reads has changed since the last proposal (`_draw`)."""
    if not plan.may_edit(user) or plan.status != MonthlyPlanStatus.PROPOSED:
        raise MonthlyPlanError("只有本部门管理员可以重新生成尚未确认的月抽查计划")
    plan.workload, plan.basis = workload(plan.department_id, plan.month)
    plan.tasks = [t.id for t in tasks_active(plan.department_id, plan.month)]
    plan.proposals = (plan.proposals or 1) + 1
    _draw(plan, user)
    _audit_proposal(plan, user)


def replay(plan: MonthlyPlan) -> str | None:
    """None when the plan's stored draw replays exactly (the solver run again on the stored input and seed gives
    the stored result, byte for byte); otherwise what differs, in Chinese."""
    if plan.draw_problem is None:
        return None  # nothing was drawn
    problem = {**json.loads(plan.draw_problem), "seed": plan.draw_seed}
    if sha256_hex(canonical_json(problem)) != plan.draw_input_sha256:
        return "保存的输入与其哈希值不一致（输入或种子被改动）"
    result = solver.draw_subjects(problem)
    if canonical_json(result) != plan.draw_result:
        stored = json.loads(plan.draw_result).get("versions", {})
        hint = "" if stored == result.get("versions") else f"（求解器版本不同：记录 {stored}，当前 {result.get('versions')}）"
        return "重放结果与保存的结果不一致" + hint
    return None


def draw_input(plan: MonthlyPlan) -> dict | None:
    """The draw's input with its seed: what `python -m solver draw` takes to give the plan's list again."""
    return None if plan.draw_problem is None else {**json.loads(plan.draw_problem), "seed": plan.draw_seed}


def draw_summary(plan: MonthlyPlan) -> dict | None:
    """For the page's 核验信息: population and number drawn, in all and by stratum."""
    if plan.draw_result is None:
        return None
    from ..campaigns.rules import DEFAULT_RISK_WEIGHTS  # campaigns sit above plans
    strata = json.loads(plan.draw_result)["strata"]
    return {"population": sum(s["population"] for s in strata), "drawn": sum(s["drawn"] for s in strata),
            "strata": strata, "weights": "、".join(f"{k}类{v:g}" for k, v in DEFAULT_RISK_WEIGHTS.items() if k)}


def add_subject(plan: MonthlyPlan, subject: Subject, user: User) -> None:
    if not plan.may_edit(user):
        raise MonthlyPlanError("这份月抽查计划已不能修改")
    if any(e.subject_id == subject.id for e in plan.entries):
        raise MonthlyPlanError(f"“{subject.name}”已在计划中")
    if subject.status != SubjectStatus.ACTIVE:
        raise MonthlyPlanError(f"“{subject.name}”不是存续状态，不能列入计划")
    industries = industries_reached(plan.department_id)
    if industries is not None and subject.industry not in industries:
        # the campaign made from the plan draws only enterprises its items reach: it would drop out silently
        raise MonthlyPlanError(f"“{subject.name}”的行业（{subject.industry or '未填写'}）不在本部门抽查事项的范围内"
                               f"（{'、'.join(industries) or '尚无在用抽查事项'}），不能列入计划")
    first, last = month_bounds(plan.month)
    plan.entries.append(MonthlyPlanEntry(subject=subject, reason=ADDED_REASON, due_on=working_days_between(first, last)[-1]))
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

