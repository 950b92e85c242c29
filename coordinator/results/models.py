"""Inspection results on the joint record: per item, per department's follow-up, and the record's review status."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import Department, User
from ..campaigns.models import CampaignItem, CampaignSubject
from ..extensions import db
from ..states import OPEN_RECORD_STATUSES, RecordStatus, SubjectStatus, db_enum
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
    "通过登记的住所（经营场所）无法联系": SubjectStatus.NOT_FOUND,
    "已关闭停业或正在组织清算": SubjectStatus.SUSPENDED,
    "迁移、注销等其他情况": SubjectStatus.DEREGISTERED,
}
# The last five run until closed, each a followups.FollowUp (states.FollowUpKind's labels).
FOLLOW_UPS = ("无需后续处置", "行政指导", "责令改正", "列入经营异常名录", "立案调查", "移送其他部门", "移送司法机关")

class InspectionRecord(db.Model):
    """The joint record of one enterprise in one campaign (一企一表) once results come in."""

    __tablename__ = "inspection_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_subject_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign_subject.id"), unique=True)
    status: Mapped[RecordStatus] = mapped_column(db_enum(RecordStatus, "ck_inspection_record_status"),
                                                 default=RecordStatus.ENTERING, index=True)
    inspected_on: Mapped[date | None] = mapped_column(index=True)
    due_on: Mapped[date]  # published by: the campaign's publication limit after the visit (Campaign.publication_due)
    report_due_on: Mapped[date | None]  # the inspection report by (Campaign.report_due)
    feedback_due_on: Mapped[date | None]  # the result notice by, once the report is made (Campaign.feedback_due)
    signed: Mapped[bool] = mapped_column(default=True)
    refusal_note: Mapped[str] = mapped_column(sa.String(500), default="")
    return_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    published_at: Mapped[datetime | None]
    status_applied: Mapped[bool] = mapped_column(default=False)
    # Found on site (seed 001): where the enterprise really operates and whom to ask for; published, they
    # correct the directory (Subject.operating_*), the record named as source.
    found_address: Mapped[str] = mapped_column(sa.String(300), default="")
    found_contact: Mapped[str] = mapped_column(sa.String(64), default="")
    found_phone: Mapped[str] = mapped_column(sa.String(32), default="")
    # The inspection report (检查报告, seed 003): time, content and findings come from the results; the lead
    # department adds its evaluation of the enterprise and the proposed handling.
    reported_on: Mapped[date | None]
    report_evaluation: Mapped[str] = mapped_column(sa.String(1000), default="")
    report_handling: Mapped[str] = mapped_column(sa.String(1000), default="")
    reported_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    notified_on: Mapped[date | None]  # the printed 检查结果告知书 given to the enterprise

    campaign_subject: Mapped[CampaignSubject] = relationship(backref=sa.orm.backref("record", uselist=False),
                                                             lazy="joined")
    department_results: Mapped[list[DepartmentResult]] = relationship(
        back_populates="record", order_by="DepartmentResult.id", cascade="all, delete-orphan", lazy="selectin")
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    reported_by: Mapped[User | None] = relationship(foreign_keys=[reported_by_id])

    @property
    def open(self) -> bool:
        return self.status.open

    @property
    def in_review(self) -> bool:
        """Every department's result is in; the lead department reviews."""
        return self.status == RecordStatus.REVIEWING

    @property
    def published(self) -> bool:
        return self.status == RecordStatus.PUBLISHED

    def overdue(self, on: date) -> bool:
        """Results still to come in after their deadline."""
        return self.open and self.due_on < on

    @classmethod
    def overdue_clause(cls, on: date):
        """overdue() as SQL, for lists and counts."""
        return sa.and_(cls.status.in_(OPEN_RECORD_STATUSES), cls.due_on < on)

    def led_by(self, user) -> bool:
        """The user belongs to the department leading the record's campaign (its people read every result)."""
        return user.department_id is not None and user.department_id == self.campaign_subject.campaign.lead_department_id

    def can_be_read_by(self, user) -> bool:
        """The office reads every record; a department's people those it visits or leads; an inspector's own
        account only those of the teams it sits on."""
        if user.is_office:
            return True
        if user.is_inspector:
            return any(m.inspector_id == user.inspector_id for m in self.campaign_subject.active_members)
        return self.department_result(user.department_id) is not None or self.led_by(user)

    def can_be_reported_by(self, user) -> bool:
        """The report and the result notice are the lead department's: the office, its admins and clerks, or the
        team's 组长 with an inspector's own account."""
        if user.is_office:
            return True
        if user.is_inspector:
            leader = self.campaign_subject.leader
            return leader is not None and leader.inspector_id == user.inspector_id
        return self.led_by(user)

    def can_be_reviewed_by(self, user) -> bool:
        """Review (publish or send back) is the lead department's administrator's act (the office may too)."""
        return user.is_office or (user.role == "admin" and self.led_by(user))

    def can_take_photos_from(self, user) -> bool:
        """A visiting department's people add site photos to their result until the record is published."""
        return not self.published and self.department_result(user.department_id) is not None

    @property
    def visit_day(self) -> date:
        """The day the deadlines run from: the inspection date entered, else the planned visit date."""
        cs = self.campaign_subject
        return self.inspected_on or cs.visit_date or cs.campaign.visit_end

    def visited_by(self, day: date) -> bool:
        """Whether the visit has taken place on `day`: results are handed in and published only after it."""
        return self.visit_day <= day

    def reschedule(self) -> None:
        """Recompute every deadline from the visit and the report, by the campaign's settings."""
        campaign = self.campaign_subject.campaign
        visit = self.visit_day
        self.report_due_on = campaign.report_due(visit)
        self.feedback_due_on = campaign.feedback_due(self.reported_on) if self.reported_on else None
        self.due_on = campaign.publication_due(visit)

    def deadlines(self) -> list[Deadline]:
        """What is owed after the visit, each with its day and whether it is done (seed 003)."""
        lead = self.campaign_subject.campaign.lead_department.name
        published = self.published_at.date() if self.published_at else None
        return [
            Deadline("report", "检查报告", self.report_due_on or self.due_on, self.reported_on, f"{lead}（组长）"),
            Deadline("feedback", "检查结果告知书", self.feedback_due_on, self.notified_on, lead),
            Deadline("publication", "审核公示", self.due_on, published, f"{lead}管理员"),
        ]

    @classmethod
    def report_overdue_clause(cls, on: date):
        return sa.and_(cls.reported_on.is_(None), cls.report_due_on < on)

    @classmethod
    def feedback_overdue_clause(cls, on: date):
        return sa.and_(cls.notified_on.is_(None), cls.feedback_due_on < on)

    @classmethod
    def publication_overdue_clause(cls, on: date):
        return sa.and_(cls.published_at.is_(None), cls.due_on < on)

    def publication_blocker(self, on: date) -> str | None:
        """Why the record may not be published on `on` yet, in Chinese; None when it may. Seed 003's order is the
        visit, the inspection report, the result notice, publication: without a report nothing is published."""
        if not self.visited_by(on):
            return f"检查日期{self.visit_day:%Y-%m-%d}还没到，检查之前不能公示"
        if self.reported_on is None:
            return "请先形成检查报告，再审核公示"
        return None

    @property
    def report_missing(self) -> bool:
        """Published without its inspection report (records from before publication required one): still owed."""
        return self.published and self.reported_on is None

    @property
    def may_report(self) -> bool:
        """The report sums up every department's result: it is written once they are all in."""
        return not self.open and all(p.submitted_at for p in self.department_results)

    def owing(self) -> list[DepartmentResult]:
        """The departments whose result the record still waits for (what the 组长 chases)."""
        return [p for p in self.department_results if p.submitted_at is None] if self.open else []

    def department_result(self, department_id: int | None) -> DepartmentResult | None:
        """The department's share of this record, if it visits the enterprise."""
        return next((p for p in self.department_results if p.department_id == department_id), None)

    def awaits(self, department_result: DepartmentResult | None) -> bool:
        """Whether `department_result` (a department's share of this record) can still be entered."""
        return department_result is not None and self.open and department_result.submitted_at is None


@dataclass(frozen=True)
class Deadline:
    """One thing owed after a visit: the report, the result notice, publication (seed 003's deadlines)."""

    kind: str
    label: str
    due: date | None  # None: not owed yet (the notice waits for the report)
    done_on: date | None
    owner: str

    def overdue(self, on: date) -> bool:
        return self.done_on is None and self.due is not None and self.due < on

    def due_today(self, on: date) -> bool:
        return self.done_on is None and self.due == on

    def tone(self, on: date) -> str:
        return "ok" if self.done_on else "bad" if self.overdue(on) else "warn" if self.due_today(on) else ""


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
    rectify_by: Mapped[date | None]  # deadline set in the rectification notice (its follow-up runs on: followups)

    record: Mapped[InspectionRecord] = relationship(back_populates="department_results")
    department: Mapped[Department] = relationship(lazy="joined")
    entered_by: Mapped[User | None] = relationship()
    items: Mapped[list[ItemResult]] = relationship(back_populates="department_result", order_by="ItemResult.id",
                                                  cascade="all, delete-orphan")
    attachments: Mapped[list[Attachment]] = relationship(back_populates="department_result", order_by="Attachment.id",
                                                         cascade="all, delete-orphan")

    @property
    def rectifying(self) -> bool:
        return "责令改正" in (self.follow_ups or [])


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


class ItemResult(db.Model):
    __tablename__ = "item_result"
    __table_args__ = (sa.UniqueConstraint("department_result_id", "campaign_item_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    department_result_id: Mapped[int] = mapped_column(sa.ForeignKey("department_result.id"), index=True)
    campaign_item_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign_item.id"))
    result: Mapped[str] = mapped_column(sa.String(40))
    problems: Mapped[int] = mapped_column(default=0)
    description: Mapped[str] = mapped_column(sa.String(2000), default="")

    department_result: Mapped[DepartmentResult] = relationship(back_populates="items")
    campaign_item: Mapped[CampaignItem] = relationship()


class Attachment(db.Model):
    __tablename__ = "attachment"
    id: Mapped[int] = mapped_column(primary_key=True)
    department_result_id: Mapped[int] = mapped_column(sa.ForeignKey("department_result.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    stored_as: Mapped[str] = mapped_column(sa.String(100), unique=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=now)

    department_result: Mapped[DepartmentResult] = relationship(back_populates="attachments")
