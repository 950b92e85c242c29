"""Results for the demo's finished 2024 campaign: entered, reviewed, published, followed up — so every page has content."""
from __future__ import annotations

import random
from datetime import datetime, time, timedelta

import sqlalchemy as sa

from ..auth.models import User
from ..campaigns.models import Campaign, CampaignSubject
from ..extensions import db
from ..followups import services as followups
from ..states import FollowUpKind
from . import services
from .models import DepartmentResult, InspectionRecord

PROBLEMS = [
    "安全管理制度未及时修订", "应急预案未按规定备案", "消防通道堆放杂物", "灭火器压力不足", "特种作业人员证件过期",
    "危险化学品出入库台账不全", "计量器具未按期检定", "营业执照公示信息与实际不符", "隐患排查记录不完整",
]


def _transfer_to(department_result: DepartmentResult) -> str:
    """A county department other than the one transferring: the transfer reaches its queue."""
    return "市场监督管理局" if department_result.department.name == "生态环境分局" else "生态环境分局"


def _part_entry(department_result: DepartmentResult, rng: random.Random, visit) -> services.ResultEntry:
    items, follow_ups, roll = [], [], rng.random()
    for ci in services.items_for(department_result):
        if roll < 0.02:
            result = "通过登记的住所（经营场所）无法联系"
        elif roll < 0.2 and not items:
            result = rng.choice(["发现问题已责令改正", "发现问题已责令改正", "发现问题待后续处理"])
        else:
            result = "未发现问题"
        problems = rng.randint(1, 3) if result in services.PROBLEM_RESULTS else 0
        description = "；".join(rng.sample(PROBLEMS, problems))
        items.append(services.ItemEntry(ci.id, result, problems, description))
    results = {i.result for i in items}
    if "发现问题已责令改正" in results:
        follow_ups = ["责令改正"] + (["行政指导"] if rng.random() < 0.3 else [])
    elif "发现问题待后续处理" in results:
        follow_ups = [rng.choice(["立案调查", "行政指导", "移送其他部门"])]
    elif "通过登记的住所（经营场所）无法联系" in results:
        follow_ups = ["列入经营异常名录"]
    else:
        follow_ups = ["无需后续处置"]
    return services.ResultEntry(
        items=items, follow_ups=follow_ups, transfer_to=_transfer_to(department_result) if "移送其他部门" in follow_ups else "",
        questions_answered=rng.random() < 0.3, rectify_by=visit + timedelta(days=15) if "责令改正" in follow_ups else None,
        inspected_on=visit, signed=rng.random() > 0.03, refusal_note="负责人不在现场，工作人员拒绝签字",
    )


def enter_demo_results(campaign: Campaign) -> int:
    """Every department enters its department_result, the lead publishes; most rectifications are re-checked and closed."""
    rng = random.Random(2024)
    users = {u.department_id: u for u in db.session.scalars(sa.select(User).where(User.role == "officer")
                                                             .order_by(User.id))}
    lead = db.session.scalar(sa.select(User).where(User.role == "admin",
                                                   User.department_id == campaign.lead_department_id))
    records = db.session.scalars(sa.select(InspectionRecord).join(InspectionRecord.campaign_subject)
                                 .where(CampaignSubject.campaign_id == campaign.id)
                                 .order_by(InspectionRecord.id)).all()
    for record in records:
        visit = record.campaign_subject.visit_date
        for department_result in record.department_results:
            entry = _part_entry(department_result, rng, visit)
            entry.inspected_on = visit if department_result.department_id == campaign.lead_department_id else None
            entry.signed = entry.signed if department_result.department_id == campaign.lead_department_id else None
            department_id = department_result.department_id
            services.save_department_result(record, department_id, entry, users[department_id], submit=True)
            # entered on the phone on site (issue 14), in time for the 组长's report the next working day
            department_result.submitted_at = datetime.combine(visit, time(rng.randint(11, 17), 30))
        _report_and_notify(record, lead, rng)
        services.publish(record, lead)
        record.published_at = datetime.combine(visit + timedelta(days=rng.randint(7, 18)), time(10, 0))
        for department_result in record.department_results:  # opened again from the back-dated publication
            department_result.follow_up_rows.clear()
        db.session.flush()
        for follow_up in followups.open_for(record):  # most closed; half the transfers still in the queue
            if rng.random() < (0.5 if follow_up.kind is FollowUpKind.TRANSFER else 0.85):
                _close_demo_follow_up(follow_up, rng)
    return len(records)


def _report_and_notify(record: InspectionRecord, lead: User, rng: random.Random) -> None:
    """The 组长's inspection report and the result notice handed over within seed 003's working days (a published
    record without them would show its report overdue)."""
    found = [p for p in record.department_results if p.follow_ups and p.follow_ups != ["无需后续处置"]]
    services.write_report(
        record, "存在问题，已依法处理" if found else "未发现问题，安全生产主体责任基本落实",
        "、".join(dict.fromkeys(k for p in found for k in p.follow_ups)) if found else "无需后续处置", lead)
    campaign = record.campaign_subject.campaign
    record.reported_on = campaign.report_due(record.visit_day) if rng.random() < 0.5 else record.visit_day
    record.reschedule()
    services.record_notice(record, record.feedback_due_on)


# Each kind's steps to closure in the demo, with the days after the previous step.
DEMO_STEPS = {
    FollowUpKind.RECTIFICATION: (("report", {}), ("recheck", {"passed": True, "note": "整改到位"})),
    FollowUpKind.CASE: (("file", {"case_number": "立〔2024〕{n}号"}),
                        ("decide", {"outcome": "penalty", "penalty": "{amount}", "note": "警告并处罚款"})),
    FollowUpKind.TRANSFER: (("answer", {"accept": True}), ("conclude", {"note": "已依职责处理并反馈"})),
    FollowUpKind.ABNORMAL_LIST: (("list", {}),),
    FollowUpKind.JUDICIAL: (("transfer", {}), ("receipt", {"note": "公安机关已签收"})),
}


def _close_demo_follow_up(follow_up, rng: random.Random) -> None:
    day = follow_up.started_on
    for step, values in DEMO_STEPS[follow_up.kind]:
        day += timedelta(days=rng.randint(1, 6))
        given = {k: v.format(n=follow_up.id or rng.randint(1, 99), amount=rng.choice((2000, 5000, 10000)))
                 if isinstance(v, str) else v for k, v in values.items()}
        followups.advance(follow_up, step, followups.StepInput(on=day, **given))
