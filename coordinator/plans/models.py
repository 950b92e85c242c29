"""The annual plan (年度抽查计划, seed 000 annex) and its tasks, which campaigns carry out."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import Department
from ..extensions import db
from ..timeutil import now


class Plan(db.Model):
    __tablename__ = "plan"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(7), unique=True)  # YYYYNNN
    year: Mapped[int] = mapped_column(index=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("department.id"))
    name: Mapped[str] = mapped_column(sa.String(200))  # 年度 + 部门 + 随机抽查 + 序号
    created_at: Mapped[datetime] = mapped_column(default=now)

    department: Mapped[Department] = relationship()
    tasks: Mapped[list[PlanTask]] = relationship(back_populates="plan", order_by="PlanTask.number",
                                                 cascade="all, delete-orphan")


class PlanTask(db.Model):
    __tablename__ = "plan_task"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id"), index=True)
    number: Mapped[str] = mapped_column(sa.String(8))  # 001号
    name: Mapped[str] = mapped_column(sa.String(200))
    task_type: Mapped[str] = mapped_column(sa.String(8))  # 定向 / 不定向
    ratio: Mapped[str] = mapped_column(sa.String(500))
    items: Mapped[str] = mapped_column(sa.Text)
    scope: Mapped[str] = mapped_column(sa.String(500))
    initiating_department_id: Mapped[int] = mapped_column(sa.ForeignKey("department.id"))
    joint_departments: Mapped[list] = mapped_column(sa.JSON, default=list)  # department ids
    start_month: Mapped[str] = mapped_column(sa.String(7))  # YYYY-MM
    end_month: Mapped[str] = mapped_column(sa.String(7))

    plan: Mapped[Plan] = relationship(back_populates="tasks")
    initiating_department: Mapped[Department] = relationship()
