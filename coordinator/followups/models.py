"""A follow-up to closure (seed 002: 后续处置无例外, 杜绝后续处理结果不回填或回填超期).

Every follow-up a department chose on a published record that does not end on the spot becomes one FollowUp:
责令改正, 立案调查, 移送其他部门, 列入经营异常名录, 移送司法机关. Each goes through its kind's steps (STEPS) to
CLOSED; every open step has a due date (RULES, in working or natural days) and is overdue once it passes, on the
workbench of the department that owes it: the ordering department, or for a transfer the receiving one until it
has answered and, once it accepted, reported the outcome.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import Department
from ..extensions import db
from ..results.models import DepartmentResult
from ..states import CaseOutcome, DayMode, FollowUpKind, FollowUpStatus, db_enum

S = FollowUpStatus


@dataclass(frozen=True)
class Rule:
    """How long a step may take: `days` of `mode` after the day the step became due (or the entered deadline)."""

    days: int
    mode: DayMode
    basis: str  # the law or notice it follows, shown on the page

    def after(self, start: date) -> date:
        return self.mode.after(start, self.days)

    @property
    def text(self) -> str:
        return f"{self.days}个{self.mode.label}"


W, N = DayMode.WORKING, DayMode.NATURAL
# The deadline of the step each open status waits for. ORDERED has none here: the rectification notice names it.
RULES: dict[FollowUpStatus, Rule] = {
    S.REPORTED: Rule(10, W, "收到整改报告后组织现场复查"),
    S.TO_FILE: Rule(15, W, "发现违法行为后决定是否立案"),
    S.INVESTIGATING: Rule(90, N, "立案之日起作出处理决定（行政处罚法第六十条）"),
    S.SENT: Rule(5, W, "受移送部门接收或退回"),
    S.ACCEPTED: Rule(90, N, "受移送部门办结并反馈处理结果"),
    S.RETURNED: Rule(10, W, "被退回后由移送部门自行处理"),
    S.TO_LIST: Rule(10, W, "作出列入经营异常名录决定"),
    S.LISTED: Rule(3 * 365, N, "列入满三年未移出的，转入严重违法失信名单"),
    S.TO_TRANSFER: Rule(3, W, "涉嫌犯罪的移送决定（行政执法机关移送涉嫌犯罪案件的规定）"),
    S.TRANSFERRED: Rule(3, W, "司法机关签收回执"),
}

# The first status of each kind, and the steps each status offers (step name → Chinese button).
FIRST = {FollowUpKind.RECTIFICATION: S.ORDERED, FollowUpKind.CASE: S.TO_FILE, FollowUpKind.TRANSFER: S.SENT,
         FollowUpKind.ABNORMAL_LIST: S.TO_LIST, FollowUpKind.JUDICIAL: S.TO_TRANSFER}
STEPS: dict[FollowUpStatus, dict[str, str]] = {
    S.ORDERED: {"report": "收到整改报告"},
    S.REPORTED: {"recheck": "现场复查"},
    S.TO_FILE: {"file": "立案"},
    S.INVESTIGATING: {"decide": "作出处理决定"},
    S.SENT: {"answer": "接收或退回"},
    S.ACCEPTED: {"conclude": "反馈处理结果"},
    S.RETURNED: {"conclude": "记录处理结果"},
    S.TO_LIST: {"list": "列入经营异常名录"},
    S.LISTED: {"remove": "移出经营异常名录"},
    S.TO_TRANSFER: {"transfer": "移送司法机关"},
    S.TRANSFERRED: {"receipt": "收到回执"},
}
# What the receiving department of a transfer owes; every other open status is the ordering department's.
RECEIVER_OWES = (S.SENT, S.ACCEPTED)


class FollowUp(db.Model):
    __tablename__ = "follow_up"
    __table_args__ = (sa.UniqueConstraint("department_result_id", "kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    department_result_id: Mapped[int] = mapped_column(sa.ForeignKey("department_result.id"), index=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("department.id"), index=True)  # who ordered it
    kind: Mapped[FollowUpKind] = mapped_column(db_enum(FollowUpKind, "ck_follow_up_kind", 16))
    status: Mapped[FollowUpStatus] = mapped_column(db_enum(FollowUpStatus, "ck_follow_up_status", 16), index=True)
    started_on: Mapped[date]
    due_on: Mapped[date | None] = mapped_column(index=True)  # of the step the status waits for; None once closed
    # 责令改正: the notice's deadline (re-set when re-ordered), the report, the re-inspection, how often re-ordered
    rectify_by: Mapped[date | None]
    report_received_on: Mapped[date | None]
    rechecked_on: Mapped[date | None]
    reorders: Mapped[int] = mapped_column(default=0)
    # 立案调查: the case number, its outcome and the penalty (yuan)
    case_number: Mapped[str] = mapped_column(sa.String(64), default="")
    filed_on: Mapped[date | None]
    outcome: Mapped[CaseOutcome | None] = mapped_column(db_enum(CaseOutcome, "ck_follow_up_outcome", 16))
    penalty_yuan: Mapped[Decimal | None] = mapped_column(sa.Numeric(14, 2))
    # 移送其他部门: to whom (a county department, whose queue it reaches; or only a name outside the system)
    to_department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("department.id"), index=True)
    to_name: Mapped[str] = mapped_column(sa.String(100), default="")
    answered_on: Mapped[date | None]
    return_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    # 列入经营异常名录 / 移送司法机关
    listed_on: Mapped[date | None]
    removed_on: Mapped[date | None]
    transferred_on: Mapped[date | None]
    receipt_on: Mapped[date | None]
    # the end of every kind: 销号, the decision, the transfer's outcome, removal, the receipt
    result_note: Mapped[str] = mapped_column(sa.String(1000), default="")
    closed_on: Mapped[date | None]

    department_result: Mapped[DepartmentResult] = relationship(backref=sa.orm.backref(
        "follow_up_rows", order_by="FollowUp.id", cascade="all, delete-orphan"))
    department: Mapped[Department] = relationship(foreign_keys=[department_id], lazy="joined")
    to_department: Mapped[Department | None] = relationship(foreign_keys=[to_department_id], lazy="joined")

    @property
    def open(self) -> bool:
        return self.status.open

    @property
    def owner_id(self) -> int:
        """The department that owes the next step."""
        if self.status in RECEIVER_OWES and self.to_department_id is not None:
            return self.to_department_id
        return self.department_id

    @property
    def owner(self) -> Department:
        return self.to_department if self.owner_id == self.to_department_id else self.department

    @property
    def receiver(self) -> str:
        return self.to_department.name if self.to_department else self.to_name

    def overdue(self, on: date) -> bool:
        return self.open and self.due_on is not None and self.due_on < on

    @classmethod
    def overdue_clause(cls, on: date):
        return sa.and_(cls.status != S.CLOSED, cls.due_on < on)

    @classmethod
    def owed_by_clause(cls, department_id: int | None):
        """Open follow-ups whose next step `department_id` owes (every one for None)."""
        open_ = cls.status != S.CLOSED
        if department_id is None:
            return open_
        by_receiver = sa.and_(cls.status.in_(RECEIVER_OWES), cls.to_department_id.is_not(None))
        return sa.and_(open_, sa.case((by_receiver, cls.to_department_id), else_=cls.department_id) == department_id)

    @classmethod
    def concerns_clause(cls, department_id: int):
        """Follow-ups a department ordered or received."""
        return sa.or_(cls.department_id == department_id, cls.to_department_id == department_id)

    def can_be_read_by(self, user) -> bool:
        """The office; the ordering department; the receiving department of a transfer. Not inspectors' accounts."""
        if user.is_office:
            return True
        if user.is_inspector:
            return False
        return user.department_id in (self.department_id, self.to_department_id)

    def steps(self) -> dict[str, str]:
        return STEPS.get(self.status, {})

    def can_be_advanced_by(self, user, step: str | None = None) -> bool:
        """The office, or a department's admin or officer account owing the next step (`step`, if named)."""
        if step is not None and step not in self.steps():
            return False
        if not self.open or user.is_inspector:
            return False
        return user.is_office or user.department_id == self.owner_id

    @property
    def rule(self) -> Rule | None:
        return RULES.get(self.status)

    def enter(self, status: FollowUpStatus, on: date, due: date | None = None) -> None:
        """Move to `status` on `on`; the next step's deadline is `due`, else the status's rule after `on`."""
        self.status = status
        if status is S.CLOSED:
            self.due_on, self.closed_on = None, on
        else:
            self.due_on = due or RULES[status].after(on)

    @property
    def last_step_on(self) -> date:
        """The day of the latest step so far: a new step cannot be before it."""
        days = [self.started_on, self.report_received_on, self.rechecked_on, self.filed_on, self.answered_on,
                self.listed_on, self.transferred_on]
        return max(d for d in days if d is not None)

    @property
    def summary(self) -> str:
        """One line of what happened so far."""
        kind = self.kind
        if kind is FollowUpKind.RECTIFICATION:
            parts = [f"整改期限{self.rectify_by:%Y-%m-%d}" if self.rectify_by else ""]
            if self.reorders:
                parts.append(f"复查不合格再次责令改正{self.reorders}次")
            if self.report_received_on:
                parts.append(f"{self.report_received_on:%Y-%m-%d}收到整改报告")
            if self.closed_on:
                parts.append(f"{self.closed_on:%Y-%m-%d}复查合格销号")
        elif kind is FollowUpKind.CASE:
            parts = [f"立案号{self.case_number}（{self.filed_on:%Y-%m-%d}）" if self.filed_on else ""]
            if self.outcome:
                parts.append(self.outcome.label + (f"，罚款{self.penalty_yuan:,.2f}元" if self.penalty_yuan else ""))
        elif kind is FollowUpKind.TRANSFER:
            parts = [f"移送{self.receiver}"]
            if self.answered_on:
                parts.append(f"{self.answered_on:%Y-%m-%d}" + ("退回：" + self.return_reason if self.return_reason
                                                              else "已接收"))
        elif kind is FollowUpKind.ABNORMAL_LIST:
            parts = [f"{self.listed_on:%Y-%m-%d}列入" if self.listed_on else "",
                     f"{self.removed_on:%Y-%m-%d}移出" if self.removed_on else ""]
        else:
            parts = [f"{self.transferred_on:%Y-%m-%d}移送" if self.transferred_on else "",
                     f"{self.receipt_on:%Y-%m-%d}收到回执" if self.receipt_on else ""]
        if self.result_note:
            parts.append(self.result_note)
        return "；".join(p for p in parts if p)
