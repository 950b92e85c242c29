"""Inspection results on the joint record: per item, per department's follow-up, and the record's review state."""
from __future__ import annotations

import json
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import Department, User
from ..campaigns.models import CampaignItem, CampaignSubject
from ..extensions import db
from ..timeutil import now

# The standard result vocabulary of the public credit system (公示抽查结果).
RESULTS = (
    "未发现问题",
    "发现问题已责令改正",
    "发现问题待后续处理",
    "未发现开展本次抽查涉及的经营活动",
    "通过登记的住所（经营场所）无法联系",
    "不配合检查情节严重",
    "已关闭停业或正在组织清算",
    "迁移、注销等其他情况",
)
PROBLEM_RESULTS = ("发现问题已责令改正", "发现问题待后续处理")
# Results that tell the directory the enterprise is no longer where the register says (seed 001).
STATUS_FROM_RESULT = {
    "通过登记的住所（经营场所）无法联系": "查无此户",
    "已关闭停业或正在组织清算": "停业",
    "迁移、注销等其他情况": "注销",
}
FOLLOW_UPS = ("无需后续处置", "行政指导", "责令改正", "列入经营异常名录", "立案调查", "移送其他部门", "移送司法机关")
RECTIFYING = ("责令改正",)  # follow-ups that run until re-inspection and closing (整改复查、销号)

RECORD_STATES = ("待录入", "待审核", "退回", "已公示")
OPEN_STATES = ("待录入", "退回")  # departments may still enter results, and the deadline runs


class InspectionRecord(db.Model):
    """The joint record of one enterprise in one campaign (一企一表) once results come in."""

    __tablename__ = "inspection_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_subject_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign_subject.id"), unique=True)
    state: Mapped[str] = mapped_column(sa.String(8), default="待录入", index=True)
    inspected_on: Mapped[date | None]
    due_on: Mapped[date]  # results due: 20 working days after the visit (seed 004)
    signed: Mapped[bool] = mapped_column(default=True)
    refusal_note: Mapped[str] = mapped_column(sa.String(500), default="")
    return_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    published_at: Mapped[datetime | None]
    status_applied: Mapped[bool] = mapped_column(default=False)

    campaign_subject: Mapped[CampaignSubject] = relationship(backref=sa.orm.backref("record", uselist=False),
                                                             lazy="joined")
    department_results: Mapped[list[DepartmentResult]] = relationship(
        back_populates="record", order_by="DepartmentResult.id", cascade="all, delete-orphan", lazy="selectin")
    reviewed_by: Mapped[User | None] = relationship()

    @property
    def open(self) -> bool:
        return self.state in OPEN_STATES

    def overdue(self, on: date) -> bool:
        """Results still to come in after their deadline."""
        return self.open and self.due_on < on

    @classmethod
    def overdue_clause(cls, on: date):
        """overdue() as SQL, for lists and counts."""
        return sa.and_(cls.state.in_(OPEN_STATES), cls.due_on < on)

    def department_result(self, department_id: int | None) -> DepartmentResult | None:
        """The department's share of this record, if it visits the enterprise."""
        return next((p for p in self.department_results if p.department_id == department_id), None)

    def awaits(self, department_result: DepartmentResult | None) -> bool:
        """Whether `department_result` (a department's share of this record) can still be entered."""
        return department_result is not None and self.open and department_result.submitted_at is None


class DepartmentResult(db.Model):
    """One department's result on the record: its items' results, its follow-up, and who entered them."""

    __tablename__ = "department_result"
    __table_args__ = (sa.UniqueConstraint("record_id", "department_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(sa.ForeignKey("inspection_record.id"), index=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("department.id"), index=True)
    follow_ups: Mapped[list] = mapped_column(sa.JSON, default=list)
    transfer_to: Mapped[str] = mapped_column(sa.String(100), default="")
    questions_answered: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(sa.String(1000), default="")
    submitted_at: Mapped[datetime | None]
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    rectify_by: Mapped[date | None]  # deadline set in the rectification notice
    rechecked_on: Mapped[date | None]
    closed_on: Mapped[date | None]  # 销号

    record: Mapped[InspectionRecord] = relationship(back_populates="department_results")
    department: Mapped[Department] = relationship(lazy="joined")
    entered_by: Mapped[User | None] = relationship()
    items: Mapped[list[ItemResult]] = relationship(back_populates="department_result", order_by="ItemResult.id",
                                                  cascade="all, delete-orphan")
    attachments: Mapped[list[Attachment]] = relationship(back_populates="department_result",
                                                         cascade="all, delete-orphan")

    @property
    def rectifying(self) -> bool:
        return rectifying(self.follow_ups)

    @property
    def follow_up_open(self) -> bool:
        return follow_up_open(self.follow_ups, self.closed_on)

    @classmethod
    def follow_up_open_clause(cls):
        """follow_up_open as SQL, for lists and counts."""
        return sa.and_(cls.closed_on.is_(None), sa.or_(*(lists_follow_up(value) for value in RECTIFYING)))


def json_spellings(value) -> list[str]:
    """`value` as JSON text, with and without \\u escapes."""
    return sorted({json.dumps(value, ensure_ascii=False), json.dumps(value)})


def lists_follow_up(value: str):
    """SQL: the department result's follow-ups list `value`.

    follow_ups is a JSON list; its text holds each value in quotes, written as is or \\u-escaped depending on
    the serialiser (SQLAlchemy's default escapes). Both spellings are matched, the quotes make it exact.
    """
    text = sa.cast(DepartmentResult.follow_ups, sa.Text)
    return sa.or_(*(text.contains(spelling, autoescape=True) for spelling in json_spellings(value)))


def rectifying(follow_ups: list | None) -> bool:
    return any(f in RECTIFYING for f in follow_ups or [])


def follow_up_open(follow_ups: list | None, closed_on: date | None) -> bool:
    """A department result whose follow-up asks for rectification and is not closed (销号) yet."""
    return rectifying(follow_ups) and closed_on is None


class ItemResult(db.Model):
    __tablename__ = "item_result"
    __table_args__ = (sa.UniqueConstraint("part_id", "campaign_item_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    department_result_id: Mapped[int] = mapped_column("part_id", sa.ForeignKey("department_result.id"), index=True)
    campaign_item_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign_item.id"))
    result: Mapped[str] = mapped_column(sa.String(40))
    problems: Mapped[int] = mapped_column(default=0)
    description: Mapped[str] = mapped_column(sa.String(2000), default="")

    department_result: Mapped[DepartmentResult] = relationship(back_populates="items")
    campaign_item: Mapped[CampaignItem] = relationship()


class Attachment(db.Model):
    __tablename__ = "attachment"
    id: Mapped[int] = mapped_column(primary_key=True)
    department_result_id: Mapped[int] = mapped_column("part_id", sa.ForeignKey("department_result.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    stored_as: Mapped[str] = mapped_column(sa.String(100), unique=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=now)

    department_result: Mapped[DepartmentResult] = relationship(back_populates="attachments")
