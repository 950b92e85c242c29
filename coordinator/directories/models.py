"""The two directories (两库): enterprises (subjects) with their status history, inspectors, and recusals."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import Department, User
from ..extensions import db
from ..states import SubjectStatus, db_enum
from ..timeutil import now, today
from . import creditcode


class Subject(db.Model):
    """An enterprise or venue in the subject directory (检查对象名录库)."""

    __tablename__ = "subject"
    id: Mapped[int] = mapped_column(primary_key=True)
    credit_code: Mapped[str] = mapped_column(sa.String(18), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    address: Mapped[str] = mapped_column(sa.String(300), default="")
    legal_rep: Mapped[str] = mapped_column(sa.String(64), default="")
    legal_rep_phone: Mapped[str] = mapped_column(sa.String(32), default="")
    safety_manager: Mapped[str] = mapped_column(sa.String(64), default="")
    safety_manager_phone: Mapped[str] = mapped_column(sa.String(32), default="")
    unit_type: Mapped[str] = mapped_column(sa.String(64), default="")
    building_area: Mapped[float | None]
    building_class: Mapped[str] = mapped_column(sa.String(32), default="")
    venue_type: Mapped[str] = mapped_column(sa.String(64), default="")
    supervising_department: Mapped[str] = mapped_column(sa.String(64), default="")
    region: Mapped[str] = mapped_column(sa.String(64), default="", index=True)
    industry: Mapped[str] = mapped_column(sa.String(64), default="", index=True)
    category: Mapped[str] = mapped_column(sa.String(32), index=True)
    crowded: Mapped[bool] = mapped_column(default=False)
    risk_class: Mapped[str] = mapped_column(sa.String(1), default="", index=True)  # "" = 未分类
    has_complaint: Mapped[bool] = mapped_column(default=False)
    has_accident: Mapped[bool] = mapped_column(default=False)
    has_penalty: Mapped[bool] = mapped_column(default=False)
    blacklisted: Mapped[bool] = mapped_column(default=False)
    major_hazard: Mapped[bool] = mapped_column(default=False)
    status: Mapped[SubjectStatus] = mapped_column(db_enum(SubjectStatus, "ck_subject_status"),
                                                  default=SubjectStatus.ACTIVE, index=True)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    # Where the enterprise really operates and whom to ask for, as a published inspection record found it on
    # site (seed 001: wrong registered addresses waste inspectors' time); `operating_source` names that record.
    operating_address: Mapped[str] = mapped_column(sa.String(300), default="")
    operating_contact: Mapped[str] = mapped_column(sa.String(64), default="")
    operating_phone: Mapped[str] = mapped_column(sa.String(32), default="")
    operating_source: Mapped[str] = mapped_column(sa.String(300), default="")
    operating_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)

    status_changes: Mapped[list[SubjectStatusChange]] = relationship(
        back_populates="subject", order_by="SubjectStatusChange.id.desc()", cascade="all, delete-orphan"
    )

    @property
    def is_active(self) -> bool:
        return self.status == SubjectStatus.ACTIVE

    @property
    def best_address(self) -> str:
        """The best known address: where an inspection found it operating, else the registered one."""
        return self.operating_address or self.address

    @property
    def best_contact(self) -> tuple[str, str]:
        """(person, phone) to call before a visit: found on site, else the safety manager, else the legal rep."""
        for person, phone in ((self.operating_contact, self.operating_phone),
                              (self.safety_manager, self.safety_manager_phone), (self.legal_rep, self.legal_rep_phone)):
            if person or phone:
                return person, phone
        return "", ""

    @property
    def code_kind(self) -> str:
        """统一社会信用代码, or 注册号 for an enterprise that has only its old 15-digit registration number."""
        return creditcode.kind(self.credit_code)


class SubjectStatusChange(db.Model):
    """One change of an enterprise's status, kept so stale-directory decisions can be traced."""

    __tablename__ = "subject_status_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(sa.ForeignKey("subject.id"), index=True)
    old_status: Mapped[SubjectStatus] = mapped_column(db_enum(SubjectStatus, "ck_subject_status_change_old"))
    new_status: Mapped[SubjectStatus] = mapped_column(db_enum(SubjectStatus, "ck_subject_status_change_new"))
    changed_on: Mapped[date] = mapped_column(default=today)
    reason: Mapped[str] = mapped_column(sa.String(500))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=now)

    subject: Mapped[Subject] = relationship(back_populates="status_changes")
    user: Mapped[User | None] = relationship()


class Inspector(db.Model):
    """A law-enforcement inspector (执法检查人员) of one department."""

    __tablename__ = "inspector"
    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("department.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(64), index=True)
    gender: Mapped[str] = mapped_column(sa.String(4), default="")
    position: Mapped[str] = mapped_column(sa.String(64), default="")
    cert_no: Mapped[str | None] = mapped_column(sa.String(32), unique=True)
    cert_expiry: Mapped[date | None]
    post: Mapped[str] = mapped_column(sa.String(64), default="")
    title: Mapped[str] = mapped_column(sa.String(64), default="")
    years: Mapped[int | None]
    tags: Mapped[list] = mapped_column(sa.JSON, default=list)
    zone: Mapped[str] = mapped_column(sa.String(64), default="")
    can_lead: Mapped[bool] = mapped_column(default=False)
    unavailable: Mapped[list] = mapped_column(sa.JSON, default=list)  # ISO dates
    mobile: Mapped[str] = mapped_column(sa.String(32), default="")
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)

    department: Mapped[Department] = relationship()

    def certificate_state(self, on: date | None = None) -> str:
        """无执法证 / 有效期未填 / 已过期 / 有效 — only a valid certificate makes an inspector drawable."""
        if not self.cert_no:
            return "无执法证"
        if self.cert_expiry is None:
            return "有效期未填"
        if self.cert_expiry < (on or today()):
            return "已过期"
        return "有效"

    def is_drawable(self, on: date | None = None) -> bool:
        return self.active and self.certificate_state(on) == "有效"


def drawable_clause(on: date | None = None):
    """SQL condition for inspectors who may be drawn: active, with a certificate valid on `on`."""
    return sa.and_(Inspector.active, Inspector.cert_no.is_not(None), Inspector.cert_expiry >= (on or today()))


class Conflict(db.Model):
    """A declared conflict of interest (回避关系) between an inspector and an enterprise."""

    __tablename__ = "conflict"
    __table_args__ = (sa.UniqueConstraint("inspector_id", "subject_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    inspector_id: Mapped[int] = mapped_column(sa.ForeignKey("inspector.id"), index=True)
    subject_id: Mapped[int] = mapped_column(sa.ForeignKey("subject.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=now)

    inspector: Mapped[Inspector] = relationship()
    subject: Mapped[Subject] = relationship()


class Zone(db.Model):
    """A zone group (片区/检查组) and the townships it covers: one team member comes from the enterprise's zone."""

    __tablename__ = "zone"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    regions: Mapped[list] = mapped_column(sa.JSON, default=list)
