"""Follow-ups: opened when a record is published, advanced step by step to closure, counted for the workbench."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa

from ..auth.models import Department
from ..campaigns.models import CampaignSubject
from ..extensions import db
from ..results.models import DepartmentResult, InspectionRecord
from ..states import CaseOutcome, FollowUpKind, FollowUpStatus
from ..timeutil import today
from .models import FIRST, FollowUp

S = FollowUpStatus


class FollowUpError(ValueError):
    """A step that cannot be taken; the message names what to fix, in Chinese."""


def open_for(record: InspectionRecord, on: date | None = None) -> list[FollowUp]:
    """One follow-up per kind each department chose on the published record, from its publication day
    (idempotent)."""
    on = on or (record.published_at.date() if record.published_at else today())
    opened = []
    names = {d.name: d.id for d in db.session.scalars(sa.select(Department))}
    for department_result in record.department_results:
        present = {f.kind for f in department_result.follow_up_rows}
        for word in department_result.follow_ups or []:
            kind = FollowUpKind.from_label(word)
            if kind is None or kind in present:
                continue
            follow_up = FollowUp(kind=kind, department_id=department_result.department_id, started_on=on,
                                 status=FIRST[kind])
            if kind is FollowUpKind.RECTIFICATION:
                follow_up.rectify_by = department_result.rectify_by
                follow_up.enter(S.ORDERED, on, department_result.rectify_by or on)
            elif kind is FollowUpKind.TRANSFER:
                follow_up.to_name = department_result.transfer_to
                to = names.get(department_result.transfer_to)
                follow_up.to_department_id = to if to != department_result.department_id else None
                follow_up.transferred_on = on
                follow_up.enter(S.SENT, on)
            else:
                follow_up.enter(FIRST[kind], on)
            department_result.follow_up_rows.append(follow_up)
            opened.append(follow_up)
    return opened


@dataclass
class StepInput:
    """What a step's form sends; each step reads the fields it needs."""

    on: date | None = None
    passed: bool | None = None  # recheck: 合格 (销号) or not (re-ordered)
    rectify_by: date | None = None  # recheck failed: the new deadline
    case_number: str = ""
    outcome: str = ""
    penalty: str = ""
    accept: bool | None = None
    reason: str = ""
    note: str = ""


def _day(follow_up: FollowUp, given: StepInput, label: str) -> date:
    day = given.on
    if day is None:
        raise FollowUpError(f"请填写{label}")
    if day > today():
        raise FollowUpError(f"{label}{day:%Y-%m-%d}晚于今天，不能填写将来的日期")
    if day < follow_up.last_step_on:
        raise FollowUpError(f"{label}{day:%Y-%m-%d}早于上一步的日期{follow_up.last_step_on:%Y-%m-%d}")
    return day


def _penalty(text: str) -> Decimal:
    try:
        amount = Decimal(text.strip().replace(",", "").replace("，", ""))
    except InvalidOperation:
        raise FollowUpError(f"罚款金额“{text[:20]}”不是数字") from None
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise FollowUpError("罚款金额应为0以上的金额（元）")
    return amount.quantize(Decimal("0.01"))


def _recheck(f: FollowUp, given: StepInput) -> str:
    day = _day(f, given, "复查日期")
    if given.passed is None:
        raise FollowUpError("请选择复查结论")
    if given.passed:
        f.rechecked_on, f.result_note = day, given.note.strip()[:1000]
        f.enter(S.CLOSED, day)
        return "复查合格，已销号"
    if given.rectify_by is None or given.rectify_by <= day:
        raise FollowUpError("复查不合格的，请填写晚于复查日期的新整改期限")
    f.rechecked_on, f.rectify_by, f.report_received_on = day, given.rectify_by, None
    f.reorders += 1
    f.enter(S.ORDERED, day, given.rectify_by)
    return f"复查不合格，已再次责令改正，整改期限{given.rectify_by:%Y-%m-%d}"


def _file(f: FollowUp, given: StepInput) -> str:
    day = _day(f, given, "立案日期")
    if not given.case_number.strip():
        raise FollowUpError("请填写立案号（案件编号）")
    f.case_number, f.filed_on = given.case_number.strip()[:64], day
    f.enter(S.INVESTIGATING, day)
    return "已立案"


def _decide(f: FollowUp, given: StepInput) -> str:
    day = _day(f, given, "决定日期")
    outcome = CaseOutcome.from_label(given.outcome)
    if outcome is None:
        raise FollowUpError("请选择处理结果：行政处罚、不予处罚或撤销案件")
    penalty = _penalty(given.penalty) if outcome is CaseOutcome.PENALTY and given.penalty.strip() else None
    if outcome is CaseOutcome.PENALTY and penalty is None and not given.note.strip():
        raise FollowUpError("行政处罚的，请填写罚款金额或处罚内容")
    if outcome is not CaseOutcome.PENALTY and not given.note.strip():
        raise FollowUpError(f"{outcome.label}的，请写明理由")
    f.outcome, f.penalty_yuan, f.result_note = outcome, penalty, given.note.strip()[:1000]
    f.enter(S.CLOSED, day)
    return f"案件已办结：{outcome.label}"


def _answer(f: FollowUp, given: StepInput) -> str:
    day = _day(f, given, "接收或退回日期")
    if given.accept is None:
        raise FollowUpError("请选择接收或退回")
    if not given.accept and not given.reason.strip():
        raise FollowUpError("退回的，请填写退回理由")
    f.answered_on = day
    if given.accept:
        f.enter(S.ACCEPTED, day)
        return "已接收移送，请在期限内反馈处理结果"
    f.return_reason = given.reason.strip()[:500]
    f.enter(S.RETURNED, day)
    return "已退回移送部门"


def _conclude(f: FollowUp, given: StepInput) -> str:
    day = _day(f, given, "办结日期")
    if not given.note.strip():
        raise FollowUpError("请填写处理结果")
    f.result_note = given.note.strip()[:1000]
    f.enter(S.CLOSED, day)
    return "处理结果已反馈，已办结"


@dataclass(frozen=True)
class DatedStep:
    """A step that records only its day in `field` (and, with `keeps_note`, the note as the result) and moves on."""

    day_label: str
    field: str
    status: FollowUpStatus
    said: str
    keeps_note: bool = False

    def __call__(self, f: FollowUp, given: StepInput) -> str:
        day = _day(f, given, self.day_label)
        setattr(f, self.field, day)
        if self.keeps_note:
            f.result_note = given.note.strip()[:1000]
        f.enter(self.status, day)
        return self.said


ACTIONS = {
    "report": DatedStep("收到整改报告日期", "report_received_on", S.REPORTED, "已记录收到整改报告，请在期限内组织现场复查"),
    "recheck": _recheck, "file": _file, "decide": _decide, "answer": _answer, "conclude": _conclude,
    "list": DatedStep("列入日期", "listed_on", S.LISTED, "已列入经营异常名录"),
    "remove": DatedStep("移出日期", "removed_on", S.CLOSED, "已移出经营异常名录，已办结", keeps_note=True),
    "transfer": DatedStep("移送日期", "transferred_on", S.TRANSFERRED, "已移送司法机关，请在期限内取得回执"),
    "receipt": DatedStep("回执日期", "receipt_on", S.CLOSED, "已收到司法机关回执，已办结", keeps_note=True),
}


def advance(follow_up: FollowUp, step: str, given: StepInput) -> str:
    """Take `step` (one of follow_up.steps()) and say what happened, in Chinese; the change is audited with
    the session's user like every ORM change."""
    if step not in follow_up.steps():
        raise FollowUpError(f"当前为“{follow_up.status.label}”，不能办理该步骤")
    return ACTIONS[step](follow_up, given)


def listing(department_id: int | None, *, kind: FollowUpKind | None = None, status: FollowUpStatus | None = None,
            owed: bool = False, overdue: bool = False, incoming: bool = False, on: date | None = None) -> sa.Select:
    """The follow-ups a department sees (every one for the office), filtered; oldest deadline first."""
    on = on or today()
    query = sa.select(FollowUp).order_by(FollowUp.due_on.is_(None), FollowUp.due_on, FollowUp.id)
    if department_id is not None:
        query = query.where(FollowUp.concerns_clause(department_id))
    if owed or overdue:
        query = query.where(FollowUp.owed_by_clause(department_id))
    if overdue:
        query = query.where(FollowUp.overdue_clause(on))
    if incoming and department_id is not None:
        query = query.where(FollowUp.to_department_id == department_id)
    elif incoming:
        query = query.where(FollowUp.to_department_id.is_not(None))
    if kind:
        query = query.where(FollowUp.kind == kind)
    if status:
        query = query.where(FollowUp.status == status)
    return query


def counts(on: date, department_id: int | None = None) -> dict[int, dict[str, int]]:
    """Per owing department: open follow-ups, overdue ones, transfers waiting in its queue."""
    owner = sa.case((sa.and_(FollowUp.status.in_((S.SENT, S.ACCEPTED)), FollowUp.to_department_id.is_not(None)),
                     FollowUp.to_department_id), else_=FollowUp.department_id)
    rows = db.session.execute(
        sa.select(owner.label("owner"), sa.func.count(),
                  sa.func.coalesce(sa.func.sum(sa.case((FollowUp.due_on < on, 1), else_=0)), 0),
                  sa.func.coalesce(sa.func.sum(sa.case((sa.and_(FollowUp.status == S.SENT,
                                                               FollowUp.to_department_id.is_not(None)), 1),
                                                      else_=0)), 0))
        .where(FollowUp.status != S.CLOSED).group_by(owner)).all()
    return {row[0]: {"follow_ups_open": row[1], "follow_ups_overdue": int(row[2]), "transfers_in": int(row[3])}
            for row in rows if department_id is None or row[0] == department_id}


def penalties(where: list) -> dict[str, object]:
    """行政处罚 decided on the follow-ups of the records `where` selects (conditions on InspectionRecord and
    CampaignSubject, e.g. a statistics scope): how many, and the fines in yuan."""
    count, total = db.session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(FollowUp.penalty_yuan), 0))
        .join(DepartmentResult, FollowUp.department_result_id == DepartmentResult.id)
        .join(InspectionRecord, DepartmentResult.record_id == InspectionRecord.id)
        .join(CampaignSubject, InspectionRecord.campaign_subject_id == CampaignSubject.id)
        .where(FollowUp.outcome == CaseOutcome.PENALTY, *where)).one()
    return {"penalties": int(count), "penalty_yuan": Decimal(total or 0)}
