"""The expert pool (专家库) and the experts drawn to go along on a visit (seed 003: 需要专家随同检查的，从相关专家库中
随机选择名单…凡与被随机抽查对象存在利害关系的专家…必须回避; seed 004: 专业人员协助指导)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import Department
from ..campaigns.models import CampaignSubject, Draw
from ..extensions import db


class Expert(db.Model):
    """One expert: inside a county department (its specialist staff) or outside (no department)."""

    __tablename__ = "expert"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)  # 专家编号: the key of the import
    name: Mapped[str] = mapped_column(sa.String(64))
    employer: Mapped[str] = mapped_column(sa.String(200), default="")  # 工作单位
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("department.id"), index=True)
    specialties: Mapped[list] = mapped_column(sa.JSON, default=list)  # industries it knows (行业/专业领域)
    phone: Mapped[str] = mapped_column(sa.String(32), default="")
    # 利害关系单位: credit codes of enterprises it must never be drawn for (besides its own employer)
    conflicts: Mapped[list] = mapped_column(sa.JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)

    department: Mapped[Department | None] = relationship()

    @property
    def where(self) -> str:
        return self.department.name if self.department else f"部门外（{self.employer or '未填单位'}）"

    def may_be_edited_by(self, user) -> bool:
        """The office keeps the whole pool (and the experts outside the departments); a department's administrator
        its own specialists, as in the import."""
        return user.is_office or (user.role == "admin" and self.department_id is not None
                                  and self.department_id == user.department_id)

    def knows(self, industry: str) -> bool:
        return industry in (self.specialties or [])

    def must_avoid(self, subject) -> bool:
        """利害关系: the enterprise is on its list, or employs it."""
        return subject.credit_code in (self.conflicts or []) or (bool(self.employer) and self.employer == subject.name)

    def recusal_reason(self, subject) -> str:
        if subject.credit_code in (self.conflicts or []):
            return "登记有利害关系"
        return "在该单位任职" if self.must_avoid(subject) else ""


class ExpertAssignment(db.Model):
    """An expert drawn to go along to one drawn enterprise, with the draw that chose it."""

    __tablename__ = "expert_assignment"
    __table_args__ = (sa.UniqueConstraint("campaign_subject_id", "expert_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_subject_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign_subject.id"), index=True)
    expert_id: Mapped[int] = mapped_column(sa.ForeignKey("expert.id"), index=True)
    draw_id: Mapped[int] = mapped_column(sa.ForeignKey("draw_record.id"), index=True)

    campaign_subject: Mapped[CampaignSubject] = relationship(backref=sa.orm.backref(
        "expert_assignments", order_by="ExpertAssignment.id", cascade="all, delete-orphan"))
    expert: Mapped[Expert] = relationship(lazy="joined")
    draw: Mapped[Draw] = relationship()
