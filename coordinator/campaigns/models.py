"""Joint campaigns, the enterprises drawn for them and their teams, and the immutable record of every draw."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.associationproxy import AssociationProxy, association_proxy
from sqlalchemy.orm import Mapped, column_property, defaultload, lazyload, mapped_column, relationship

from ..auth.models import Department, User
from ..directories.models import Inspector, Subject
from ..extensions import db
from ..items.models import Item
from ..plans.models import PlanTask
from ..states import CampaignKind, CampaignStatus, DayMode, Decision, DrawKind, DrawnStatus, db_enum
from ..timeutil import now
from ..workdays import add_working_days

# ---- joint campaign (部门联合抽查, seed 004) ---------------------------------------------------------

class Campaign(db.Model):
    __tablename__ = "campaign"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[CampaignKind] = mapped_column(db_enum(CampaignKind, "ck_campaign_kind"),
                                               default=CampaignKind.JOINT, index=True)
    field: Mapped[str] = mapped_column(sa.String(64), default="")  # 应急管理领域
    plan_task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("plan_task.id"))
    lead_department_id: Mapped[int] = mapped_column(sa.ForeignKey("department.id"))
    period_start: Mapped[date]
    period_end: Mapped[date]
    visit_start: Mapped[date]
    visit_end: Mapped[date]
    items_deadline: Mapped[date]
    scope: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # regions / industries / categories / risk_classes
    strata: Mapped[list] = mapped_column(sa.JSON, default=list)  # see rules.STRATA_PRESETS
    risk_weights: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # class → weight, "" = 未分类
    must_flags: Mapped[list] = mapped_column(sa.JSON, default=list)  # Subject attributes that force a draw
    expertise_industries: Mapped[list] = mapped_column(sa.JSON, default=list)
    # Industries whose enterprises an expert from the pool visits too, drawn at random (seed 003; coordinator.experts)
    expert_industries: Mapped[list] = mapped_column(sa.JSON, default=list)
    burden_months: Mapped[int] = mapped_column(default=12)
    covert: Mapped[bool] = mapped_column(default=False)
    team_size: Mapped[int] = mapped_column(default=2)
    inspector_capacity: Mapped[int] = mapped_column(default=20)
    daily_capacity: Mapped[int] = mapped_column(default=2)
    max_pair_probability: Mapped[float | None] = mapped_column(default=0.5)
    # After the visit (seed 003): the inspection report within so many working days of the visit, the result
    # notice (检查结果告知书) within so many working days of the report, publication within `publication_days`
    # of the visit counted in `publication_day_mode` (seed 003: 10 natural days; seed 004: 20 working days).
    report_working_days: Mapped[int] = mapped_column(default=1)
    feedback_working_days: Mapped[int] = mapped_column(default=1)
    publication_days: Mapped[int] = mapped_column(default=20)
    publication_day_mode: Mapped[DayMode] = mapped_column(
        db_enum(DayMode, "ck_campaign_publication_day_mode", length=8), default=DayMode.WORKING)
    status: Mapped[CampaignStatus] = mapped_column(db_enum(CampaignStatus, "ck_campaign_status"),
                                                   default=CampaignStatus.COLLECTING, index=True)
    # A special inspection's plan (专项检查方案, seed 000: drawn up before it and filed with the superior):
    # its text, the file as uploaded (kept under ATTACHMENT_FOLDER) and where and when it was filed (报…备案).
    scheme_text: Mapped[str] = mapped_column(sa.Text, default="")
    scheme_filename: Mapped[str] = mapped_column(sa.String(200), default="")
    scheme_stored_as: Mapped[str] = mapped_column(sa.String(100), default="")
    scheme_filed_with: Mapped[str] = mapped_column(sa.String(100), default="")
    scheme_filed_on: Mapped[date | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=now)
    dispatched_at: Mapped[datetime | None]

    lead_department: Mapped[Department] = relationship()
    plan_task: Mapped[PlanTask | None] = relationship()
    departments: Mapped[list[CampaignDepartment]] = relationship(
        back_populates="campaign", order_by="CampaignDepartment.id", cascade="all, delete-orphan")
    # Loaded only when walked (a campaign holds thousands); lists show `active_count` instead.
    subjects: Mapped[list[CampaignSubject]] = relationship(
        back_populates="campaign", order_by="CampaignSubject.id", cascade="all, delete-orphan")

    @property
    def status_label(self) -> str:
        return self.status.label

    @property
    def kind_label(self) -> str:
        return CampaignKind(self.kind).label

    @property
    def is_joint(self) -> bool:
        """Joint work (联合抽查): two or more departments take part, whatever the kind (a special inspection may
        be joint). The statistics count joint work against all work with this."""
        return len(self.departments) >= 2

    @property
    def joint_prefix(self) -> str:
        """“联合” before 检查组 / 检查记录表 for joint work; nothing for a department's own (it is not joint)."""
        return "联合" if self.is_joint else ""

    def may_run(self, user) -> bool:
        """Who runs the draws, replacements, staffing and dispatch: the office for every campaign; for a campaign
        of one department alone (its internal or special inspection), also that department's administrator."""
        if user.is_office:
            return True
        return (self.kind is not CampaignKind.JOINT and not self.is_joint and user.role == "admin"
                and user.department_id == self.lead_department_id)

    def reached(self, status: str) -> bool:
        return self.status in CampaignStatus(status).and_later()

    def campaign_department(self, department_id: int | None) -> CampaignDepartment | None:
        return next((cd for cd in self.departments if cd.department_id == department_id), None)

    def report_due(self, visit: date) -> date:
        """The inspection report (检查报告) of a visit on `visit` is due on this day."""
        return add_working_days(visit, self.report_working_days)

    def feedback_due(self, reported: date) -> date:
        """The result notice to the enterprise (检查结果告知书) of a report made on `reported` is due on this day."""
        return add_working_days(reported, self.feedback_working_days)

    def publication_due(self, visit: date) -> date:
        """The results of a visit on `visit` are published by this day."""
        return self.publication_day_mode.after(visit, self.publication_days)

    @property
    def publication_rule(self) -> str:
        return f"检查后{self.publication_days}个{self.publication_day_mode.label}"

    def may_schedule(self, user) -> bool:
        """Agreeing or moving visit dates is the lead department's (its administrator's), or the office's."""
        return user.is_office or (user.role == "admin" and user.department_id == self.lead_department_id)

    def dispatch_list_may_be_read_by(self, user) -> bool:
        """The dispatch list (every team, every department's people) is the lead department's, and the office's."""
        return user.is_office or user.department_id == self.lead_department_id

    def visit_open(self, day: date) -> bool:
        """`day` lies in the campaign's visit window."""
        return self.visit_start <= day <= self.visit_end


class CampaignDepartment(db.Model):
    """A department in a campaign: its items and materials, and its confirmation of the drawn enterprises."""

    __tablename__ = "campaign_department"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "department_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"), index=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("department.id"))
    is_lead: Mapped[bool] = mapped_column(default=False)
    materials: Mapped[str] = mapped_column(sa.Text, default="")
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    confirm_deadline: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]

    campaign: Mapped[Campaign] = relationship(back_populates="departments")
    department: Mapped[Department] = relationship()
    items: Mapped[list[CampaignItem]] = relationship(
        back_populates="campaign_department", order_by="CampaignItem.id", cascade="all, delete-orphan")

    def items_overdue(self, on: date) -> bool:
        """Its items and materials list is not in, and the campaign's deadline for them has passed (逾期未提交)."""
        return self.submitted_at is None and on > self.campaign.items_deadline

    def confirmation_overdue(self, at: datetime | None = None) -> bool:
        """It has not confirmed its drawn enterprises within the one working day it had (逾期未确认)."""
        return (self.confirmed_at is None and self.confirm_deadline is not None
                and self.confirm_deadline < (at or now()))


class CampaignItem(db.Model):
    """An item a department chose for the campaign, frozen at the version it had then."""

    __tablename__ = "campaign_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_department_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign_department.id"), index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("item.id"))
    version: Mapped[int]
    data: Mapped[dict] = mapped_column(sa.JSON)  # Item.snapshot() at selection

    campaign_department: Mapped[CampaignDepartment] = relationship(back_populates="items")
    item: Mapped[Item] = relationship()


class Draw(db.Model):
    """One draw, stored whole so anyone can replay it: input (locked and hashed first), seed, result, people.

    kind: see states.DrawKind (stage 1 whole or for one closed enterprise; stage 2 whole, for one recused seat, or
    again for the enterprises the team draw left unstaffed). Never updated once `result` is set.
    """

    __tablename__ = "draw_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"), index=True)
    kind: Mapped[DrawKind] = mapped_column(db_enum(DrawKind, "ck_draw_kind"))
    problem: Mapped[str] = mapped_column(sa.Text)  # canonical JSON of the input without its seed
    locked_sha256: Mapped[str] = mapped_column(sa.String(64))  # hash of `problem`, published before the seed
    seed: Mapped[str | None] = mapped_column(sa.String(200))
    input_sha256: Mapped[str | None] = mapped_column(sa.String(64))  # the solver's hash (input with seed)
    result: Mapped[str | None] = mapped_column(sa.Text)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    operator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    witness: Mapped[str] = mapped_column(sa.String(200), default="")
    locked_at: Mapped[datetime] = mapped_column(default=now)
    drawn_at: Mapped[datetime | None]
    # The one draw of a kind a campaign may have (stage 1 and stage 2); replacements and reseats are many.
    singleton: Mapped[str | None] = mapped_column(sa.String(40), unique=True)

    operator: Mapped[User | None] = relationship()
    campaign: Mapped[Campaign] = relationship()

    TEAM_KINDS = (DrawKind.TEAMS, DrawKind.RESEAT, DrawKind.RESTAFF)

    def may_download(self, user) -> bool:
        """A draw of enterprises is there for any department taking part to replay; a draw of teams names
        every department's people and who may not meet whom, so only the office, which audits it, gets it — and,
        for a department's own inspection, that department's administrator who runs it (only its own people)."""
        if self.kind not in self.TEAM_KINDS or user.is_office:
            return True
        return not self.campaign.is_joint and self.campaign.may_run(user)

    @property
    def reports_pair_probabilities(self) -> bool:
        """A team draw whose result lists every pair's planned probability (draws since the solver offers it)."""
        return self.kind == DrawKind.TEAMS and self.result is not None and '"pair_probabilities":' in self.result


class DrawProbability(db.Model):
    """One enterprise a stage-1 draw or a replacement draw (the rest of a stratum) considered (drawn or not): its
    stratum and weight, its own inclusion probability
    in that draw (solver.inclusion_probabilities of the locked input: the very number the draw used), and its
    stratum's population and number drawn. Written when the draw runs, for the enterprise's file; derived from the
    draw's stored record alone, so it can be recomputed from it at any time."""

    __tablename__ = "draw_probability"
    __table_args__ = (sa.UniqueConstraint("draw_id", "subject_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    draw_id: Mapped[int] = mapped_column(sa.ForeignKey("draw_record.id"))
    subject_id: Mapped[int] = mapped_column(sa.ForeignKey("subject.id"), index=True)
    stratum: Mapped[str] = mapped_column(sa.String(200))
    weight: Mapped[float]
    probability: Mapped[float]
    population: Mapped[int]
    drawn: Mapped[int]

    draw: Mapped[Draw] = relationship()


class CampaignSubject(db.Model):
    """An enterprise drawn for a campaign, with the departments that visit it and its joint team."""

    __tablename__ = "campaign_subject"
    __table_args__ = (sa.UniqueConstraint("campaign_id", "subject_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"), index=True)
    subject_id: Mapped[int] = mapped_column(sa.ForeignKey("subject.id"), index=True)
    draw_id: Mapped[int] = mapped_column(sa.ForeignKey("draw_record.id"))
    stratum: Mapped[str] = mapped_column(sa.String(64))
    probability: Mapped[float]
    must: Mapped[bool] = mapped_column(default=False)
    status: Mapped[DrawnStatus] = mapped_column(db_enum(DrawnStatus, "ck_campaign_subject_status"),
                                                default=DrawnStatus.ACTIVE)
    replaced_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaign_subject.id"))
    dropped_reason: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    visit_date: Mapped[date | None]
    # The lead department agreed the visit date (or moved it inside the window): when, and the date it replaced.
    visit_agreed_at: Mapped[datetime | None]
    visit_moved_from: Mapped[date | None]
    unstaffed_reason: Mapped[str] = mapped_column(sa.String(500), default="")

    campaign: Mapped[Campaign] = relationship(back_populates="subjects")
    # Eager where every page needs them: lists of enterprises show their name, confirmations and team.
    subject: Mapped[Subject] = relationship(lazy="joined")
    draw: Mapped[Draw] = relationship()
    confirmations: Mapped[list[Confirmation]] = relationship(
        back_populates="campaign_subject", order_by="Confirmation.id", cascade="all, delete-orphan", lazy="selectin")
    members: Mapped[list[TeamMember]] = relationship(
        back_populates="campaign_subject", order_by="TeamMember.id", cascade="all, delete-orphan", lazy="selectin")
    reached_by: Mapped[list[CampaignSubjectDepartment]] = relationship(
        order_by="CampaignSubjectDepartment.department_id", cascade="all, delete-orphan", lazy="selectin")
    # Who visits: the departments whose campaign items reach the enterprise (ids, read and assigned as a list).
    department_ids: AssociationProxy[list[int]] = association_proxy(
        "reached_by", "department_id", creator=lambda department_id: CampaignSubjectDepartment(department_id=department_id))

    @property
    def active_members(self) -> list[TeamMember]:
        return [m for m in self.members if m.recused_at is None]

    @property
    def leader(self) -> TeamMember | None:
        return next((m for m in self.active_members if m.is_leader), None)

    def sheet_may_be_read_by(self, user: User) -> bool:
        """Its 一企一表 and 告知书: the office, the lead department, and the departments whose items reach it."""
        return user.is_office or user.department_id in (self.campaign.lead_department_id, *self.department_ids)

    def visiting(self) -> list[int]:
        """The departments that visit: those the items reach, less any that said "not ours"."""
        declined = {c.department_id for c in self.confirmations if c.decision == Decision.NOT_OURS}
        return [d for d in self.department_ids if d not in declined]


class CampaignSubjectDepartment(db.Model):
    """A department whose campaign items reach a drawn enterprise: it visits, unless it answers "not ours"."""

    __tablename__ = "campaign_subject_department"
    campaign_subject_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign_subject.id"), primary_key=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("department.id"), primary_key=True, index=True)


class Confirmation(db.Model):
    __tablename__ = "confirmation"
    __table_args__ = (sa.UniqueConstraint("campaign_subject_id", "department_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_subject_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign_subject.id"), index=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("department.id"))
    decision: Mapped[Decision] = mapped_column(db_enum(Decision, "ck_confirmation_decision"))
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    at: Mapped[datetime] = mapped_column(default=now)

    campaign_subject: Mapped[CampaignSubject] = relationship(back_populates="confirmations")
    department: Mapped[Department] = relationship()


class TeamMember(db.Model):
    __tablename__ = "team_member"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_subject_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign_subject.id"), index=True)
    inspector_id: Mapped[int] = mapped_column(sa.ForeignKey("inspector.id"), index=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("department.id"))
    is_leader: Mapped[bool] = mapped_column(default=False)
    draw_id: Mapped[int] = mapped_column(sa.ForeignKey("draw_record.id"))
    recused_at: Mapped[datetime | None]
    recusal_reason: Mapped[str] = mapped_column(sa.String(500), default="")

    campaign_subject: Mapped[CampaignSubject] = relationship(back_populates="members")
    draw: Mapped[Draw] = relationship()
    inspector: Mapped[Inspector] = relationship(lazy="joined")
    department: Mapped[Department] = relationship(lazy="joined")

    def may_be_recused_by(self, user: User) -> bool:
        """Who may recuse an inspector: the office, or the administrator of the inspector's own department."""
        return user.is_office or (user.role == "admin" and user.department_id == self.department_id)

    @property
    def recusable(self) -> bool:
        """When: still seated, and the campaign's teams are formed and not yet finished."""
        return self.recused_at is None and self.campaign_subject.campaign.status in RECUSAL_STATUSES

    def can_be_recused_by(self, user: User) -> bool:
        return self.recusable and self.may_be_recused_by(user)

    def reason_shown_to(self, user) -> bool:
        """A recusal's reason is personal: the office and the inspector's own department read it, others do not."""
        return user.is_office or user.department_id == self.department_id


RECUSAL_STATUSES = (CampaignStatus.TEAMED, CampaignStatus.DISPATCHED)  # a seat can be redrawn


# How many enterprises a campaign has drawn (replacements counted once): one correlated count, no rows loaded.
Campaign.active_count = column_property(
    sa.select(sa.func.count()).where(CampaignSubject.campaign_id == Campaign.id,
                                        CampaignSubject.status == DrawnStatus.ACTIVE)
    .correlate_except(CampaignSubject).scalar_subquery(),
    deferred=True)


def without_team(*via) -> tuple:
    """Loader options for a list that shows drawn enterprises but neither their teams nor their confirmations
    (both load eagerly by default, which is right for one enterprise and wasteful for a page of them); `via` is
    the relationship reaching CampaignSubject, e.g. InspectionRecord.campaign_subject."""
    return tuple(defaultload(*via).lazyload(collection) if via else lazyload(collection)
                 for collection in (CampaignSubject.members, CampaignSubject.confirmations))
