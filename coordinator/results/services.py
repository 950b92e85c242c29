"""Result services: open a record at dispatch, enter a department's result, review and publish, follow up."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from ..auth.models import Department, User
from ..campaigns import rules
from ..campaigns.models import Campaign, CampaignSubject
from ..directories.services import INSPECTION_REASON, change_status
from ..extensions import db
from ..followups import services as followups
from ..states import OPEN_RECORD_STATUSES, CampaignStatus, RecordStatus, SubjectStatus
from ..textutil import split_list
from ..timeutil import now, today
from . import deadlines
from .models import (
    FOLLOW_UPS,
    PROBLEM_RESULTS,
    RESULTS,
    STATUS_FROM_RESULT,
    DepartmentResult,
    InspectionRecord,
    ItemResult,
)


class ResultError(ValueError):
    """A result that cannot be taken; the message names what to fix, in Chinese."""


def open_record(cs: CampaignSubject) -> InspectionRecord:
    """The record of a staffed enterprise, with a department result for every visiting department (idempotent)."""
    record = cs.record
    if record is None:
        record = InspectionRecord(campaign_subject=cs)
        record.reschedule()
        db.session.add(record)
    present = {department_result.department_id for department_result in record.department_results}
    for department_id in cs.visiting():
        if department_id not in present:
            record.department_results.append(DepartmentResult(department_id=department_id))
    return record


def items_for(department_result: DepartmentResult):
    """The campaign items of this department that reach this enterprise: the rows it must answer."""
    cs = department_result.record.campaign_subject
    campaign_department = cs.campaign.campaign_department(department_result.department_id)
    return [ci for ci in campaign_department.items
            if rules.item_reaches(split_list(ci.data.get("industries")) or ["全部"], cs.subject.industry)]


@dataclass
class ItemEntry:
    campaign_item_id: int
    result: str
    problems: int = 0
    description: str = ""


@dataclass
class ResultEntry:
    items: list[ItemEntry]
    follow_ups: list[str] = field(default_factory=list)
    transfer_to: str = ""
    questions_answered: bool = False
    note: str = ""
    rectify_by: date | None = None
    # record-level facts, entered by the lead department
    inspected_on: date | None = None
    signed: bool | None = None
    refusal_note: str = ""
    found_address: str | None = None  # None: not the lead department's entry, leave the record's as it is
    found_contact: str = ""
    found_phone: str = ""


def past_date_error(label: str, day: date | None, after: date | None = None, after_label: str = "") -> str | None:
    """A date of something done (a visit, a re-inspection, a closing) is never in the future, nor before
    `after` (e.g. the visit); None when `day` is fine or not given."""
    if day is None:
        return None
    if day > today():
        return f"{label}{day:%Y-%m-%d}晚于今天，不能填写将来的日期"
    if after is not None and day < after:
        return f"{label}{day:%Y-%m-%d}早于{after_label}{after:%Y-%m-%d}"
    return None


def _item_errors(name: str, item) -> list[str]:
    """What is wrong with one item's result (its name for the message)."""
    if item is None or not item.result:
        return [f"请填写“{name}”的检查结果"]
    if item.result not in RESULTS:
        return [f"“{name}”的检查结果“{item.result}”无效"]
    if item.result in PROBLEM_RESULTS:
        return ([f"“{name}”发现问题，问题数量至少为1"] if item.problems < 1 else []) + \
            ([f"“{name}”发现问题，请描述问题"] if not item.description.strip() else [])
    return [f"“{name}”的结果为“{item.result}”，问题数量应为0"] if item.problems else []


def _follow_up_errors(entry: ResultEntry) -> list[str]:
    follow_ups = entry.follow_ups
    problems = any(i.result in PROBLEM_RESULTS for i in entry.items)
    checks = (
        (not follow_ups, "请选择后续处置（未发现问题的选“无需后续处置”）"),
        (any(f not in FOLLOW_UPS for f in follow_ups), "后续处置选项无效"),
        ("无需后续处置" in follow_ups and len(follow_ups) > 1, "“无需后续处置”不能与其他处置同时选择"),
        (problems and follow_ups == ["无需后续处置"], "发现问题的，请选择后续处置方式"),
        ("移送其他部门" in follow_ups and not entry.transfer_to.strip(), "移送其他部门的，请填写移送给哪个部门"),
        ("责令改正" in follow_ups and entry.rectify_by is None, "责令改正的，请填写整改期限"),
        (entry.signed is False and not entry.refusal_note.strip(), "被检查单位拒绝签字的，请注明情况"),
    )
    return [message for broken, message in checks if broken]


def _check(department_result: DepartmentResult, entry: ResultEntry) -> list[str]:
    expected = {ci.id: ci.data.get("name") for ci in items_for(department_result)}
    given = {i.campaign_item_id: i for i in entry.items}
    errors = [error for item_id, name in expected.items() for error in _item_errors(name, given.get(item_id))]
    if set(given) - set(expected):
        errors.append("只能填写本部门适用于该单位的抽查事项")
    return errors + _follow_up_errors(entry)


def save_department_result(record: InspectionRecord, department_id: int, entry: ResultEntry, user: User, *,
                           submit: bool) -> DepartmentResult:
    """Save (and with `submit`, hand in) a department's result; entering the same result twice updates it."""
    if not record.open:
        raise ResultError(f"记录当前为“{record.status.label}”，不能修改")
    department_result = record.department_result(department_id)
    if department_result is None:
        raise ResultError("本部门不参加对该单位的检查")
    if department_result.submitted_at is not None:
        raise ResultError("本部门的结果已提交，等待牵头部门审核")
    if error := past_date_error("检查日期", entry.inspected_on):
        raise ResultError(error)
    visit = entry.inspected_on or record.visit_day
    if submit and visit > today():
        raise ResultError(f"检查日期{visit:%Y-%m-%d}还没到，检查之后才能提交结果（检查前可以先暂存）")
    if submit and (errors := _check(department_result, entry)):
        raise ResultError("；".join(errors))
    existing = {i.campaign_item_id: i for i in department_result.items}
    for item in entry.items:
        row = existing.get(item.campaign_item_id)
        if row is None:
            row = ItemResult(campaign_item_id=item.campaign_item_id)
            department_result.items.append(row)
        row.result, row.problems, row.description = item.result, max(item.problems, 0), item.description.strip()
    department_result.follow_ups = list(dict.fromkeys(entry.follow_ups))
    department_result.transfer_to = entry.transfer_to.strip() if "移送其他部门" in entry.follow_ups else ""
    department_result.questions_answered, department_result.note = entry.questions_answered, entry.note.strip()
    department_result.rectify_by = entry.rectify_by if "责令改正" in entry.follow_ups else None
    department_result.entered_by_id = user.id
    _record_facts(record, entry)
    if submit:
        department_result.submitted_at = now()
        if all(p.submitted_at for p in record.department_results):
            record.status, record.return_reason = RecordStatus.REVIEWING, ""
    return department_result


def _record_facts(record: InspectionRecord, entry: ResultEntry) -> None:
    """What the lead department enters for the whole record: the visit, the signature, what it found on site."""
    if entry.inspected_on is not None:
        record.inspected_on = entry.inspected_on
        record.reschedule()
    if entry.signed is not None:
        record.signed, record.refusal_note = entry.signed, entry.refusal_note.strip()
    if entry.found_address is not None:
        record.found_address = entry.found_address.strip()[:300]
        record.found_contact, record.found_phone = entry.found_contact.strip()[:64], entry.found_phone.strip()[:32]


def _claim_review(record: InspectionRecord, message: str) -> None:
    """Lock the record while it still awaits review, so the second of two reviews at once finds it reviewed."""
    table = InspectionRecord.__table__
    claimed = db.session.execute(table.update().where(table.c.id == record.id, table.c.status == RecordStatus.REVIEWING)
                                 .values(status=table.c.status)).rowcount
    db.session.refresh(record)
    if not claimed or record.status != RecordStatus.REVIEWING:
        raise ResultError(message)


def publish(record: InspectionRecord, user: User) -> None:
    """Confirm and publish, once the inspection report is made (seed 003: report, notice, then publication);
    results that say the enterprise is gone move it out of the drawing pool."""
    if not record.visited_by(today()):
        raise ResultError(record.publication_blocker(today()))
    _claim_review(record, "只有待审核的记录可以审核公示（该记录可能刚刚已由他人审核）")
    if blocker := record.publication_blocker(today()):  # read after the claim: a report written meanwhile counts
        raise ResultError(blocker)
    record.status, record.published_at, record.reviewed_by_id = RecordStatus.PUBLISHED, now(), user.id
    apply_status(record, user)
    apply_found_address(record)
    followups.open_for(record)
    campaign = record.campaign_subject.campaign
    db.session.flush()
    pending = db.session.scalar(
        sa.select(sa.func.count()).select_from(InspectionRecord).join(CampaignSubject)
        .where(CampaignSubject.campaign_id == campaign.id, InspectionRecord.status != RecordStatus.PUBLISHED))
    if not pending:
        campaign.status = CampaignStatus.FINISHED


def apply_status(record: InspectionRecord, user: User | None) -> None:
    """Feed "cannot be contacted", "closed", "deregistered" back into the directory, with the record as reason."""
    if record.status_applied:
        return
    cs = record.campaign_subject
    for department_result in record.department_results:
        for item in department_result.items:
            status = STATUS_FROM_RESULT.get(item.result)
            if status and cs.subject.status == SubjectStatus.ACTIVE:
                change_status(cs.subject, status,
                              f"{cs.campaign.name}{INSPECTION_REASON}（{department_result.department.name}）：{item.result}",
                              user.id if user else None, on=record.inspected_on or cs.visit_date)
    record.status_applied = True


def apply_found_address(record: InspectionRecord) -> None:
    """The address and contact found on site correct the directory once the record is published, the record
    named as their source; what the record left blank keeps the directory's value."""
    if not (record.found_address or record.found_contact or record.found_phone):
        return
    cs = record.campaign_subject
    subject = cs.subject
    subject.operating_address = record.found_address or subject.operating_address
    subject.operating_contact = record.found_contact or subject.operating_contact
    subject.operating_phone = record.found_phone or subject.operating_phone
    subject.operating_source = f"{cs.campaign.name}检查记录（第{record.id}号，{record.visit_day:%Y-%m-%d}现场核实）"[:300]
    subject.operating_on = record.visit_day


def write_report(record: InspectionRecord, evaluation: str, handling: str, user: User) -> None:
    """The inspection report (检查报告): the results are its findings; the lead department adds its evaluation
    and the proposed handling. Made today; the result notice is due from it."""
    if not record.may_report:
        raise ResultError("各部门结果提交后才能形成检查报告")
    if not evaluation.strip() or not handling.strip():
        raise ResultError("请填写对企业的评价和处理建议")
    if not record.visited_by(today()):
        raise ResultError("检查之前不能形成检查报告")
    record.report_evaluation, record.report_handling = evaluation.strip()[:1000], handling.strip()[:1000]
    record.reported_on, record.reported_by_id = record.reported_on or today(), user.id
    record.reschedule()


def record_notice(record: InspectionRecord, notified_on: date | None) -> None:
    """The printed result notice (检查结果告知书) was given to the enterprise on `notified_on`."""
    if record.reported_on is None:
        raise ResultError("请先形成检查报告，再送达检查结果告知书")
    if notified_on is None:
        raise ResultError("请填写送达日期")
    if error := past_date_error("送达日期", notified_on, record.reported_on, "检查报告日期"):
        raise ResultError(error)
    record.notified_on = notified_on


def send_back(record: InspectionRecord, department_ids: list[int], reason: str, user: User) -> None:
    if not reason.strip():
        raise ResultError("请填写退回原因")
    _claim_review(record, "只有待审核的记录可以退回（该记录可能刚刚已由他人审核）")
    targets = [p for p in record.department_results if not department_ids or p.department_id in department_ids]
    for department_result in targets:
        department_result.submitted_at = None
    record.status, record.return_reason, record.reviewed_by_id = RecordStatus.RETURNED, reason.strip()[:500], user.id


# ---- what is due, by department (the office's dashboard) ---------------------------------------------

TODO_LABELS = {"enter": "待录入检查结果", "review": "待审核公示", **deadlines.TODOS}
DEADLINE_COUNTS = ("report", "report_overdue", "feedback", "feedback_overdue", "publication_overdue")


def visited_clause(on: date):
    """Records whose visit has taken place by `on` (InspectionRecord.visited_by, in SQL): only those have results
    to enter, as none can be handed in before the visit."""
    planned = (sa.select(sa.func.coalesce(CampaignSubject.visit_date, Campaign.visit_end))
               .join(Campaign, CampaignSubject.campaign_id == Campaign.id)
               .where(CampaignSubject.id == InspectionRecord.campaign_subject_id).scalar_subquery())
    return sa.func.coalesce(InspectionRecord.inspected_on, planned) <= on


def todo_clause(todo: str, department_id: int | None):
    """The records behind one count of due_summary, for the list it links to (every department's for None)."""
    if todo in deadlines.TODOS:
        return sa.and_(deadlines.owed_clause(todo, today()), deadlines.led_by(department_id))
    if todo == "review":
        waiting = InspectionRecord.status == RecordStatus.REVIEWING
        return waiting if department_id is None else sa.and_(
            waiting, InspectionRecord.campaign_subject.has(CampaignSubject.campaign.has(
                Campaign.lead_department_id == department_id)))
    parts = sa.select(DepartmentResult.record_id).where(DepartmentResult.submitted_at.is_(None))
    if department_id is not None:
        parts = parts.where(DepartmentResult.department_id == department_id)
    return sa.and_(InspectionRecord.status.in_(OPEN_RECORD_STATUSES), InspectionRecord.id.in_(parts),
                   visited_clause(today()))


def due_summary(on: date | None = None, department_id: int | None = None) -> list[dict]:
    """Per department: results still to enter once visited (and overdue), records awaiting its review, follow-ups it owes
    (and overdue, and transfers waiting in its queue), seed 003's deadlines as lead department."""
    on = on or today()
    names = dict(db.session.execute(sa.select(Department.id, Department.name)).all())
    summary: dict[int, dict] = {}

    def row(department: int) -> dict:
        return summary.setdefault(department, {"department": names[department], "department_id": department,
                                               "to_enter": 0, "overdue": 0,
                                               "to_review": 0, "follow_ups_open": 0, "follow_ups_overdue": 0,
                                               "transfers_in": 0,
                                               **dict.fromkeys(DEADLINE_COUNTS, 0)})

    # Columns, not objects: this runs on every workbench visit and reads every open department result in the county.
    department_results = db.session.execute(
        sa.select(DepartmentResult.department_id, InspectionRecord.due_on)
        .join(InspectionRecord, DepartmentResult.record_id == InspectionRecord.id)
        .where(InspectionRecord.status.in_(OPEN_RECORD_STATUSES), DepartmentResult.submitted_at.is_(None),
               visited_clause(on),  # before the visit nothing can be entered: not a to-do yet
               sa.true() if department_id is None else DepartmentResult.department_id == department_id)
    ).all()
    for department, due_on in department_results:
        row(department)["to_enter"] += 1
        row(department)["overdue"] += due_on < on
    for owner, owed in followups.counts(on, department_id).items():
        row(owner).update(owed)
    reviews = db.session.execute(
        sa.select(Campaign.lead_department_id, sa.func.count())
        .select_from(InspectionRecord)
        .join(CampaignSubject, InspectionRecord.campaign_subject_id == CampaignSubject.id)
        .join(Campaign, CampaignSubject.campaign_id == Campaign.id)
        .where(InspectionRecord.status == RecordStatus.REVIEWING).group_by(Campaign.lead_department_id)
    ).all()
    for lead, count in reviews:
        if department_id is None or lead == department_id:
            row(lead)["to_review"] += count
    for lead, owed in deadlines.counts(on, department_id).items():
        row(lead).update(owed)
    return sorted(summary.values(), key=lambda r: r["department"])
