"""What each person has to do next: the workbench's to-do list, computed from the campaigns and records."""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import url_for

from ..auth.models import User
from ..campaigns import services as campaigns
from ..campaigns.models import Campaign
from ..coverage import services as coverage
from ..draws import services as rounds
from ..draws.models import Phase, SeedRule
from ..exchange import services as exchange
from ..extensions import db
from ..plans import monthly
from ..states import CampaignStatus, MonthlyPlanStatus
from ..timeutil import now, today
from ..visits import services as visits


@dataclass
class Task:
    text: str
    url: str
    late: bool = False


def coverage_tasks(user: User) -> list[Task]:
    """A period ending within 30 days with coverage duties still open (seeds 000/003)."""
    return [Task(f"{row.rule.department.name}“{row.rule.name}”{row.label}还差 {row.remaining} 户未检查，"
                 f"距期末仅剩 {row.days_left} 天",
                 url_for("coverage.index", year=row.start.year, department=row.rule.department_id), True)
            for row in coverage.ending_warnings(None if user.is_office else user.department_id)]


def open_campaigns() -> list[Campaign]:
    return db.session.scalars(sa.select(Campaign).where(Campaign.status != CampaignStatus.FINISHED)
                              .order_by(Campaign.visit_start, Campaign.id)).all()


def result_tasks(due: list[dict]) -> list[Task]:
    """A department's results to enter, records to review as lead department, rectifications to close:
    `due` is its row of results.services.due_summary; each to-do opens the list of exactly those records."""
    tasks: list[Task] = []
    for row in due:
        def link(todo: str, **more) -> str:
            return url_for("results.index", todo=todo, **more)

        if row["to_enter"]:
            late = f"，其中{row['overdue']}户已逾期" if row["overdue"] else ""
            tasks.append(Task(f"录入{row['to_enter']}户检查对象的检查结果{late}", link("enter"), bool(row["overdue"])))
        if row["to_review"]:
            tasks.append(Task(f"审核并公示{row['to_review']}条各部门已提交的联合检查记录（本部门牵头）",
                              link("review")))
        tasks.extend(deadline_tasks(row, link))
        tasks.extend(follow_up_tasks(row))
    return tasks


def follow_up_tasks(row: dict) -> list[Task]:
    """Follow-ups the department owes (seed 002: to closure, never late): overdue ones first, transfers received."""
    tasks = []
    if row.get("follow_ups_overdue"):
        tasks.append(Task(f"{row['follow_ups_overdue']}项后续处置已逾期（整改复查、立案、移送等）",
                          url_for("followups.index", view="overdue"), True))
    if row.get("transfers_in"):
        tasks.append(Task(f"接收或退回{row['transfers_in']}项其他部门移送的案件",
                          url_for("followups.index", view="incoming", status="sent")))
    if row.get("follow_ups_open"):
        tasks.append(Task(f"办理{row['follow_ups_open']}项后续处置直至办结", url_for("followups.index", view="owed")))
    return tasks


def deadline_tasks(row: dict, link) -> list[Task]:
    """Seed 003's deadlines the department owes as lead department: reports, result notices, publication."""
    tasks = []
    for todo, text in (("report", "形成{n}户的检查报告（本部门牵头）"),
                       ("feedback", "打印并送达{n}户的检查结果告知书（本部门牵头）")):
        if row.get(todo):
            late = row.get(f"{todo}_overdue", 0)
            tasks.append(Task(text.format(n=row[todo]) + (f"，其中{late}户已逾期" if late else ""),
                              link(todo, **({"overdue": 1} if late else {})), bool(late)))
    if row.get("publication_overdue"):
        tasks.append(Task(f"{row['publication_overdue']}户检查记录已超过公示期限仍未公示", link("publication", overdue=1),
                          True))
    return tasks


def tasks_for(user: User, due: list[dict] | None = None) -> list[Task]:
    """Items to submit, enterprises to confirm (late ones first), and for the office every late department;
    with `due` (the user's department's results row), its results to enter, review and close too."""
    tasks: list[Task] = [] if user.is_office else result_tasks(due or [])
    for campaign in open_campaigns():
        detail = url_for("campaigns.detail", campaign_id=campaign.id)
        pending = campaigns.pending_counts(campaign) if campaign.status == CampaignStatus.DRAWN else {}
        for cd in campaign.departments:
            mine = cd.department_id == user.department_id
            if not (mine or user.is_office):
                continue
            who = "" if mine else f"{cd.department.name}："
            if campaign.status == CampaignStatus.COLLECTING and not cd.submitted_at:
                late = cd.items_overdue(today())
                tasks.append(Task(f"{who}提交“{campaign.name}”的抽查事项（截止 {campaign.items_deadline}）",
                                  url_for("campaigns.items", campaign_id=campaign.id) if mine else detail, late))
            if campaign.status == CampaignStatus.DRAWN and cd.confirmed_at is None:
                target = url_for("campaigns.confirm", campaign_id=campaign.id) if mine and user.role == "admin" \
                    else detail
                tasks.append(Task(f"{who}确认“{campaign.name}”抽中的{pending[cd.department_id]}户检查对象（时限 "
                                  f"{cd.confirm_deadline:%Y-%m-%d %H:%M}）", target, cd.confirmation_overdue()))
        if campaign.may_schedule(user) and campaign.status in visits.SCHEDULING_STATUSES \
                and (waiting := visits.waiting_count(campaign)):
            who = "" if campaign.lead_department_id == user.department_id else f"{campaign.lead_department.name}："
            agreed = "牵头部门商定，" if campaign.is_joint else ""
            tasks.append(Task(f"{who}确认“{campaign.name}”{waiting}户的检查日期（{agreed}可在检查时段内改期）",
                              url_for("visits.index", campaign_id=campaign.id, todo="agree")))
        if user.is_office and campaign.status == CampaignStatus.DRAWN and campaigns.flagged(campaign):
            tasks.append(Task(f"“{campaign.name}”有被标记为关闭或查无此户的检查对象，待替换抽取或核减", detail))
    tasks.extend(seed_tasks(user))
    tasks.extend(monthly_plan_tasks(user, today()))
    tasks.extend(coverage_tasks(user))
    if user.is_office:
        # Stale sources (the directory at least yearly, seed 003) and drawn enterprises the registry closed.
        tasks += [Task(line, url_for("exchange.index"), True) for line in exchange.reminders()]
    return sorted(tasks, key=lambda t: not t.late)


def monthly_plan_tasks(user: User, day) -> list[Task]:
    """In a month's last two working days (and until it ends), next month's plan (seed 000): each department's
    admin is asked to make and confirm its own; the office sees who has not confirmed yet."""
    asked = monthly.departments_asked(day)
    if not asked:
        return []
    month = monthly.month_label(monthly.asking_month(day))
    late = day > monthly.last_working_days(day)[-1]
    open_ = [(d, p) for d, p in asked if p is None or p.status != MonthlyPlanStatus.CONFIRMED]
    if user.is_office:
        names = "、".join(d.name for d, _ in open_)
        return [Task(f"{month}的月抽查计划尚未确认：{names}", url_for("plans.monthly_index"), late)] if open_ else []
    for department, plan in open_:
        if user.role == "admin" and department.id == user.department_id:
            what = "生成并确认" if plan is None else "核对并确认"
            target = url_for("plans.monthly_detail", monthly_id=plan.id) if plan else url_for("plans.monthly_index")
            return [Task(f"{what}{month}的月抽查计划（每月最后两个工作日内）", target, late)]
    return []


def seed_tasks(user: User) -> list[Task]:
    """A party's own commit and reveal steps with their deadlines; for the office, rounds waiting for it."""
    tasks = []
    at = now()
    for round_ in rounds.open_rounds():
        campaign = db.session.get(Campaign, round_.campaign_id)
        url = url_for("draws.show", campaign_id=campaign.id, round_id=round_.id)
        what = f"“{campaign.name}”{round_.kind_label}"
        for contribution in rounds.pending_for(round_, user, at):
            who = "" if contribution.department_id else f"{contribution.label}："
            if round_.phase is Phase.COMMITTING:
                tasks.append(Task(f"{who}{what}：生成随机值并提交承诺（截止 {round_.commit_deadline:%Y-%m-%d %H:%M}）", url))
            else:
                tasks.append(Task(f"{who}{what}：揭示随机值（截止 {round_.reveal_deadline:%Y-%m-%d %H:%M}）", url))
        if not user.is_office:
            continue
        if round_.phase is Phase.COMMITTING and not round_.commit_open(at):
            tasks.append(Task(f"{what}：承诺已截止，请锁定输入", url, late=True))
        elif round_.ready_to_run(at):
            tasks.append(Task(f"{what}：{'待见证人报出种子后' if round_.rule is SeedRule.WITNESS else '揭示已完成，'}抽取", url))
    return tasks
