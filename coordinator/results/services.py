"""Result services: open a record at dispatch, enter a department's part, review and publish, follow up."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from ..auth.models import Department, User
from ..campaigns import rules
from ..campaigns.models import Campaign, CampaignSubject
from ..directories.services import INSPECTION_REASON, change_status
from ..extensions import db
from ..textutil import split_list
from ..timeutil import now, today
from ..vocab import ACTIVE_STATUS
from ..workdays import add_working_days
from .models import (
    FOLLOW_UPS,
    OPEN_STATES,
    PROBLEM_RESULTS,
    RESULTS,
    STATUS_FROM_RESULT,
    DepartmentResult,
    InspectionRecord,
    ItemResult,
    follow_up_open,
)

RESULT_WORKING_DAYS = 20  # seed 004: results entered and published within 20 working days


class ResultError(ValueError):
    """A result that cannot be taken; the message names what to fix, in Chinese."""


def open_record(cs: CampaignSubject) -> InspectionRecord:
    """The record of a staffed enterprise, with a part for every visiting department (idempotent)."""
    record = cs.record
    if record is None:
        visit = cs.visit_date or cs.campaign.visit_end
        record = InspectionRecord(campaign_subject=cs, due_on=add_working_days(visit, RESULT_WORKING_DAYS))
        db.session.add(record)
    present = {part.department_id for part in record.parts}
    for department_id in cs.visiting():
        if department_id not in present:
            record.parts.append(DepartmentResult(department_id=department_id))
    return record


def items_for(part: DepartmentResult):
    """The campaign items of this department that reach this enterprise: the rows it must answer."""
    cs = part.record.campaign_subject
    participation = cs.campaign.participation(part.department_id)
    return [ci for ci in participation.items
            if rules.item_reaches(split_list(ci.data.get("industries")) or ["全部"], cs.subject.industry)]


@dataclass
class ItemEntry:
    campaign_item_id: int
    result: str
    problems: int = 0
    description: str = ""


@dataclass
class PartEntry:
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


def _check(part: DepartmentResult, entry: PartEntry) -> list[str]:
    errors = []
    expected = {ci.id: ci.data.get("name") for ci in items_for(part)}
    given = {i.campaign_item_id: i for i in entry.items}
    for item_id, name in expected.items():
        item = given.get(item_id)
        if item is None or not item.result:
            errors.append(f"请填写“{name}”的检查结果")
            continue
        if item.result not in RESULTS:
            errors.append(f"“{name}”的检查结果“{item.result}”无效")
        elif item.result in PROBLEM_RESULTS:
            if item.problems < 1:
                errors.append(f"“{name}”发现问题，问题数量至少为1")
            if not item.description.strip():
                errors.append(f"“{name}”发现问题，请描述问题")
        elif item.problems:
            errors.append(f"“{name}”的结果为“{item.result}”，问题数量应为0")
    if set(given) - set(expected):
        errors.append("只能填写本部门适用于该单位的抽查事项")
    if not entry.follow_ups:
        errors.append("请选择后续处置（未发现问题的选“无需后续处置”）")
    if any(f not in FOLLOW_UPS for f in entry.follow_ups):
        errors.append("后续处置选项无效")
    if "无需后续处置" in entry.follow_ups and len(entry.follow_ups) > 1:
        errors.append("“无需后续处置”不能与其他处置同时选择")
    problems = any(i.result in PROBLEM_RESULTS for i in entry.items)
    if problems and entry.follow_ups == ["无需后续处置"]:
        errors.append("发现问题的，请选择后续处置方式")
    if "移送其他部门" in entry.follow_ups and not entry.transfer_to.strip():
        errors.append("移送其他部门的，请填写移送给哪个部门")
    if "责令改正" in entry.follow_ups and entry.rectify_by is None:
        errors.append("责令改正的，请填写整改期限")
    if entry.signed is False and not entry.refusal_note.strip():
        errors.append("被检查单位拒绝签字的，请注明情况")
    return errors


def save_part(record: InspectionRecord, department_id: int, entry: PartEntry, user: User, *, submit: bool) -> DepartmentResult:
    """Save (and with `submit`, hand in) a department's part; entering the same part twice updates it."""
    if not record.open:
        raise ResultError(f"记录当前为“{record.state}”，不能修改")
    part = record.part_of(department_id)
    if part is None:
        raise ResultError("本部门不参加对该单位的检查")
    if part.submitted_at is not None:
        raise ResultError("本部门的结果已提交，等待牵头部门审核")
    if submit and (errors := _check(part, entry)):
        raise ResultError("；".join(errors))
    existing = {i.campaign_item_id: i for i in part.items}
    for item in entry.items:
        row = existing.get(item.campaign_item_id)
        if row is None:
            row = ItemResult(campaign_item_id=item.campaign_item_id)
            part.items.append(row)
        row.result, row.problems, row.description = item.result, max(item.problems, 0), item.description.strip()
    part.follow_ups = list(dict.fromkeys(entry.follow_ups))
    part.transfer_to = entry.transfer_to.strip() if "移送其他部门" in entry.follow_ups else ""
    part.questions_answered, part.note = entry.questions_answered, entry.note.strip()
    part.rectify_by = entry.rectify_by if "责令改正" in entry.follow_ups else None
    part.entered_by_id = user.id
    if entry.inspected_on is not None:
        record.inspected_on = entry.inspected_on
    if entry.signed is not None:
        record.signed, record.refusal_note = entry.signed, entry.refusal_note.strip()
    if submit:
        part.submitted_at = now()
        if all(p.submitted_at for p in record.parts):
            record.state, record.return_reason = "待审核", ""
    return part


def can_review(record: InspectionRecord, user: User) -> bool:
    """The lead department confirms the whole record (the office may too)."""
    return user.is_office or user.department_id == record.campaign_subject.campaign.lead_department_id


def publish(record: InspectionRecord, user: User) -> None:
    """Confirm and publish; results that say the enterprise is gone move it out of the drawing pool."""
    if record.state != "待审核":
        raise ResultError("只有待审核的记录可以审核公示")
    record.state, record.published_at, record.reviewed_by_id = "已公示", now(), user.id
    apply_status(record, user)
    campaign = record.campaign_subject.campaign
    db.session.flush()
    pending = db.session.scalar(
        sa.select(sa.func.count()).select_from(InspectionRecord).join(CampaignSubject)
        .where(CampaignSubject.campaign_id == campaign.id, InspectionRecord.state != "已公示"))
    if not pending:
        campaign.status = "finished"


def apply_status(record: InspectionRecord, user: User | None) -> None:
    """Feed "cannot be contacted", "closed", "deregistered" back into the directory, with the record as reason."""
    if record.status_applied:
        return
    cs = record.campaign_subject
    for part in record.parts:
        for item in part.items:
            status = STATUS_FROM_RESULT.get(item.result)
            if status and cs.subject.status == ACTIVE_STATUS:
                change_status(cs.subject, status,
                              f"{cs.campaign.name}{INSPECTION_REASON}（{part.department.name}）：{item.result}",
                              user.id if user else None)
    record.status_applied = True


def send_back(record: InspectionRecord, department_ids: list[int], reason: str, user: User) -> None:
    if record.state != "待审核":
        raise ResultError("只有待审核的记录可以退回")
    if not reason.strip():
        raise ResultError("请填写退回原因")
    targets = [p for p in record.parts if not department_ids or p.department_id in department_ids]
    for part in targets:
        part.submitted_at = None
    record.state, record.return_reason, record.reviewed_by_id = "退回", reason.strip()[:500], user.id


def follow_up(part: DepartmentResult, *, rechecked_on: date | None, closed_on: date | None) -> None:
    """Re-inspection and closing (整改复查、销号) of a rectification."""
    if not part.rectifying:
        raise ResultError("该部门没有需要整改复查的事项")
    if closed_on and not (rechecked_on or part.rechecked_on):
        raise ResultError("销号前请先填写复查日期")
    if rechecked_on:
        part.rechecked_on = rechecked_on
    if closed_on:
        part.closed_on = closed_on


# ---- what is due, by department (the office's dashboard) ---------------------------------------------

TODO_LABELS = {"enter": "待录入检查结果", "review": "待审核公示", "follow_up": "整改待复查销号"}


def todo_clause(todo: str, department_id: int | None):
    """The records behind one count of due_summary, for the list it links to (every department's for None)."""
    if todo == "review":
        waiting = InspectionRecord.state == "待审核"
        return waiting if department_id is None else sa.and_(
            waiting, InspectionRecord.campaign_subject.has(CampaignSubject.campaign.has(
                Campaign.lead_department_id == department_id)))
    parts = sa.select(DepartmentResult.record_id)
    if department_id is not None:
        parts = parts.where(DepartmentResult.department_id == department_id)
    if todo == "enter":
        parts = parts.where(DepartmentResult.submitted_at.is_(None))
        return sa.and_(InspectionRecord.state.in_(OPEN_STATES), InspectionRecord.id.in_(parts))
    return InspectionRecord.id.in_(parts.where(DepartmentResult.follow_up_open_clause()))


def due_summary(on: date | None = None, department_id: int | None = None) -> list[dict]:
    """Per department: results still to enter (and overdue), records awaiting its review, open follow-ups."""
    on = on or today()
    names = dict(db.session.execute(sa.select(Department.id, Department.name)).all())
    summary: dict[int, dict] = {}

    def row(department: int) -> dict:
        return summary.setdefault(department, {"department": names[department], "department_id": department,
                                               "to_enter": 0, "overdue": 0,
                                               "to_review": 0, "follow_ups_open": 0, "follow_ups_overdue": 0})

    # Columns, not objects: this runs on every workbench visit and reads every open part in the county.
    parts = db.session.execute(
        sa.select(DepartmentResult.department_id, DepartmentResult.submitted_at, DepartmentResult.follow_ups,
                  DepartmentResult.closed_on, DepartmentResult.rectify_by, InspectionRecord.state,
                  InspectionRecord.due_on)
        .join(InspectionRecord, DepartmentResult.record_id == InspectionRecord.id)
        .where(sa.or_(InspectionRecord.state != "已公示", DepartmentResult.closed_on.is_(None)),
               sa.true() if department_id is None else DepartmentResult.department_id == department_id)
    ).all()
    for department, submitted_at, follow_ups, closed_on, rectify_by, state, due_on in parts:
        if state in OPEN_STATES and submitted_at is None:
            row(department)["to_enter"] += 1
            row(department)["overdue"] += due_on < on
        if follow_up_open(follow_ups, closed_on):
            row(department)["follow_ups_open"] += 1
            row(department)["follow_ups_overdue"] += bool(rectify_by and rectify_by < on)
    reviews = db.session.execute(
        sa.select(Campaign.lead_department_id, sa.func.count())
        .select_from(InspectionRecord)
        .join(CampaignSubject, InspectionRecord.campaign_subject_id == CampaignSubject.id)
        .join(Campaign, CampaignSubject.campaign_id == Campaign.id)
        .where(InspectionRecord.state == "待审核").group_by(Campaign.lead_department_id)
    ).all()
    for lead, count in reviews:
        if department_id is None or lead == department_id:
            row(lead)["to_review"] += count
    return sorted(summary.values(), key=lambda r: r["department"])
