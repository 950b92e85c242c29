"""The annual plan (年度抽查计划, seed 000 annex) and its tasks, which campaigns carry out."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.associationproxy import AssociationProxy, association_proxy
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import Department, User
from ..directories.models import Subject
from ..extensions import db
from ..states import MonthlyPlanStatus, PlanChange, db_enum
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
    tasks: Mapped[list[PlanTask]] = relationship(back_populates="plan", order_by="(PlanTask.number, PlanTask.id)",
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
    start_month: Mapped[str] = mapped_column(sa.String(7))  # YYYY-MM
    end_month: Mapped[str] = mapped_column(sa.String(7))

    plan: Mapped[Plan] = relationship(back_populates="tasks")
    initiating_department: Mapped[Department] = relationship()
    joint_links: Mapped[list[PlanTaskDepartment]] = relationship(
        order_by="PlanTaskDepartment.department_id", cascade="all, delete-orphan", lazy="selectin")
    # The joint departments (联合部门) by id, read as a list; set them with set_joint_departments.
    joint_department_ids: AssociationProxy[list[int]] = association_proxy(
        "joint_links", "department_id", creator=lambda department_id: PlanTaskDepartment(department_id=department_id))

    def set_joint_departments(self, department_ids) -> None:
        """The joint departments become `department_ids` (never the initiating one): rows that stay are kept, so
        an adjustment deletes and adds only what changed."""
        wanted = set(department_ids) - {self.initiating_department_id}
        with db.session.no_autoflush:  # a new task is not complete yet when its links are read
            kept = [link for link in self.joint_links if link.department_id in wanted]
            added = [PlanTaskDepartment(department_id=d) for d in wanted - {link.department_id for link in kept}]
            self.joint_links = sorted(kept + added, key=lambda link: link.department_id)


class PlanTaskDepartment(db.Model):
    """A joint department (联合部门) of an annual-plan task."""

    __tablename__ = "plan_task_department"
    plan_task_id: Mapped[int] = mapped_column(sa.ForeignKey("plan_task.id"), primary_key=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("department.id"), primary_key=True, index=True)


class PlanTaskVersion(db.Model):
    """Every version of an annual-plan task, kept: added, each adjustment with its reason, deleted. The public
    site shows the current plan and this history (seed 000: 向社会公开年度监督抽查计划; seed 002: 调整后的抽查计划
    及时向社会公开). `data` is the task as it then read, departments by name; a deleted task keeps its history."""

    __tablename__ = "plan_task_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id"), index=True)
    task_id: Mapped[int]  # no foreign key: the history outlives a deleted task
    task_number: Mapped[str] = mapped_column(sa.String(8))
    version: Mapped[int]
    change: Mapped[PlanChange] = mapped_column(db_enum(PlanChange, "ck_plan_task_version_change"))
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    changed_at: Mapped[datetime] = mapped_column(default=now)

    plan: Mapped[Plan] = relationship()


class MonthlyPlan(db.Model):
    """A department's inspection plan for one month (月抽查计划, seed 000): made from the annual plan's tasks active
    that month in its last two working days before, sized to its inspectors, edited and confirmed by the
    department; it lists each enterprise's name, address and time limit, and its campaign is created from it."""

    __tablename__ = "monthly_plan"
    __table_args__ = (sa.UniqueConstraint("department_id", "month"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("department.id"), index=True)
    month: Mapped[str] = mapped_column(sa.String(7))  # YYYY-MM
    status: Mapped[MonthlyPlanStatus] = mapped_column(db_enum(MonthlyPlanStatus, "ck_monthly_plan_status"),
                                                      default=MonthlyPlanStatus.PROPOSED)
    workload: Mapped[int] = mapped_column(default=0)  # enterprises its inspectors can take that month
    basis: Mapped[str] = mapped_column(sa.String(500), default="")  # how the workload was sized, in Chinese
    tasks: Mapped[list] = mapped_column(sa.JSON, default=list)  # ids of the annual plan's tasks active that month
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=now)
    confirmed_at: Mapped[datetime | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    campaign_id: Mapped[int | None]  # the campaign created from it (campaigns sit above plans: no model link)
    # The proposal's random draw (solver.draw_subjects), stored whole so anyone can replay it: the input without its
    # seed (canonical JSON), the seed (secrets, chosen fresh at each proposal), the solver's input_sha256 (of the
    # input with the seed), its result (canonical JSON), the solver's version, when and by whom. None: nothing to
    # draw (no candidates, or no workload).
    draw_problem: Mapped[str | None] = mapped_column(sa.Text)
    draw_seed: Mapped[str | None] = mapped_column(sa.String(64))
    draw_input_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    draw_result: Mapped[str | None] = mapped_column(sa.Text)
    solver_version: Mapped[str | None] = mapped_column(sa.String(40))
    drawn_at: Mapped[datetime | None]
    drawn_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    proposals: Mapped[int] = mapped_column(default=1)  # how many times the system proposed it (re-rolls show)

    department: Mapped[Department] = relationship()
    drawn_by: Mapped[User | None] = relationship(foreign_keys=[drawn_by_id])
    entries: Mapped[list[MonthlyPlanEntry]] = relationship(
        back_populates="monthly_plan", order_by="MonthlyPlanEntry.id", cascade="all, delete-orphan")

    @property
    def status_label(self) -> str:
        return MonthlyPlanStatus(self.status).label

    @property
    def why_empty(self) -> str:
        """Why the system proposed no enterprise (the page says so when the list is empty)."""
        if not self.workload:
            return "工作量为0户：本部门下月没有持有效执法证的执法人员"
        if not self.tasks:
            return "下月没有进行中的年度计划任务，覆盖规则也没有尚未完成的对象"
        from ..items.services import industries_reached

        if industries_reached(self.department_id) == []:  # the tasks' candidates are what its items reach: none
            return "本部门没有在用的抽查事项，年度计划任务没有可抽取的对象，覆盖规则也没有尚未完成的对象"
        return "年度计划任务范围内的对象近期都已检查过，覆盖规则也没有尚未完成的对象"

    def may_edit(self, user) -> bool:
        """The department's administrator edits and confirms its own plan until a campaign is made from it."""
        return (user.role == "admin" and user.department_id == self.department_id and self.campaign_id is None)

    def may_read(self, user) -> bool:
        return user.is_office or user.department_id == self.department_id


class MonthlyPlanEntry(db.Model):
    """One enterprise of a monthly plan, with why it is there and by when it is to be inspected."""

    __tablename__ = "monthly_plan_entry"
    __table_args__ = (sa.UniqueConstraint("monthly_plan_id", "subject_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    monthly_plan_id: Mapped[int] = mapped_column(sa.ForeignKey("monthly_plan.id"), index=True)
    subject_id: Mapped[int] = mapped_column(sa.ForeignKey("subject.id"))
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    due_on: Mapped[date]

    monthly_plan: Mapped[MonthlyPlan] = relationship(back_populates="entries")
    subject: Mapped[Subject] = relationship(lazy="joined")  # every page and export of a plan lists them
