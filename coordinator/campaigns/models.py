"""Joint campaigns, the enterprises drawn for them and their teams, and the immutable record of every draw."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, column_property, defaultload, lazyload, mapped_column, relationship

from ..auth.models import Department, User
from ..directories.models import Inspector, Subject
from ..extensions import db
from ..items.models import Item
from ..plans.models import PlanTask
from ..timeutil import now

# ---- joint campaign (部门联合抽查, seed 004) ---------------------------------------------------------

STATUS_LABELS = {
    "collecting": "征集事项",
    "locked": "名录已锁定，待抽取",
    "drawn": "已抽取，待确认",
    "teamed": "已组队",
    "dispatched": "已派发，检查中",
    "finished": "已完成",
}
STATUSES = tuple(STATUS_LABELS)  # in the order a campaign goes through them


def statuses_from(status: str) -> tuple[str, ...]:
    """`status` and every later one: the campaigns that have reached `status`."""
    return STATUSES[STATUSES.index(status):]


class Campaign(db.Model):
    __tablename__ = "campaign"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
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
    burden_months: Mapped[int] = mapped_column(default=12)
    covert: Mapped[bool] = mapped_column(default=False)
    team_size: Mapped[int] = mapped_column(default=2)
    inspector_capacity: Mapped[int] = mapped_column(default=20)
    daily_capacity: Mapped[int] = mapped_column(default=2)
    max_pair_probability: Mapped[float | None] = mapped_column(default=0.5)
    status: Mapped[str] = mapped_column(sa.String(16), default="collecting", index=True)
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
        return STATUS_LABELS.get(self.status, self.status)

    def reached(self, status: str) -> bool:
        return self.status in statuses_from(status)

    def campaign_department(self, department_id: int | None) -> CampaignDepartment | None:
        return next((cd for cd in self.departments if cd.department_id == department_id), None)


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


class CampaignItem(db.Model):
    """An item a department chose for the campaign, frozen at the version it had then."""

    __tablename__ = "campaign_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_department_id: Mapped[int] = mapped_column("participation_id", sa.ForeignKey("campaign_department.id"),
                                                        index=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("item.id"))
    version: Mapped[int]
    data: Mapped[dict] = mapped_column(sa.JSON)  # Item.snapshot() at selection

    campaign_department: Mapped[CampaignDepartment] = relationship(back_populates="items")
    item: Mapped[Item] = relationship()


class Draw(db.Model):
    """One draw, stored whole so anyone can replay it: input (locked and hashed first), seed, result, people.

    kind: "subjects" (stage 1), "replacement" (stage 1 for one closed enterprise), "teams" (stage 2),
    "reseat" (stage 2 for one recused seat), "restaff" (stage 2 again for the enterprises the team draw left
    unstaffed, after the office acted). Never updated once `result` is set.
    """

    __tablename__ = "draw_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
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

    TEAM_KINDS = ("teams", "reseat", "restaff")

    def may_download(self, user) -> bool:
        """A draw of enterprises is there for any department taking part to replay; a draw of teams names
        every department's people and who may not meet whom, so only the office, which audits it, gets it."""
        return self.kind not in self.TEAM_KINDS or user.is_office

    @property
    def reports_pair_probabilities(self) -> bool:
        """A team draw whose result lists every pair's planned probability (draws since the solver offers it)."""
        return self.kind == "teams" and self.result is not None and '"pair_probabilities":' in self.result


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
    department_ids: Mapped[list] = mapped_column(sa.JSON)  # who visits: their campaign items reach it
    # active; replaced (by a recorded replacement draw); dropped (closed or not found, nothing left to draw in
    # its stratum: the office accepted the shortfall with a reason)
    state: Mapped[str] = mapped_column(sa.String(16), default="active")
    replaced_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("campaign_subject.id"))
    dropped_reason: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    visit_date: Mapped[date | None]
    unstaffed_reason: Mapped[str] = mapped_column(sa.String(500), default="")

    campaign: Mapped[Campaign] = relationship(back_populates="subjects")
    # Eager where every page needs them: lists of enterprises show their name, confirmations and team.
    subject: Mapped[Subject] = relationship(lazy="joined")
    draw: Mapped[Draw] = relationship()
    confirmations: Mapped[list[Confirmation]] = relationship(back_populates="campaign_subject",
                                                             cascade="all, delete-orphan", lazy="selectin")
    members: Mapped[list[TeamMember]] = relationship(
        back_populates="campaign_subject", order_by="TeamMember.id", cascade="all, delete-orphan", lazy="selectin")

    @property
    def active_members(self) -> list[TeamMember]:
        return [m for m in self.members if m.recused_at is None]

    @property
    def leader(self) -> TeamMember | None:
        return next((m for m in self.active_members if m.is_leader), None)

    def visiting(self) -> list[int]:
        """The departments that visit: those the items reach, less any that said "not ours"."""
        declined = {c.department_id for c in self.confirmations if c.decision == "非本部门监管"}
        return [d for d in self.department_ids if d not in declined]


CONFIRM_DECISIONS = ("确认", "非本部门监管", "已关闭停业", "查无此户")


class Confirmation(db.Model):
    __tablename__ = "confirmation"
    __table_args__ = (sa.UniqueConstraint("campaign_subject_id", "department_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_subject_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign_subject.id"), index=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("department.id"))
    decision: Mapped[str] = mapped_column(sa.String(16))
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

    def can_be_recused_by(self, user: User) -> bool:
        """The office, or the member's own department's administrator, while the teams stand (teamed or
        dispatched) and the member has not withdrawn yet."""
        return (self.recused_at is None and self.campaign_subject.campaign.status in ("teamed", "dispatched")
                and (user.is_office or (user.role == "admin" and user.department_id == self.department_id)))

    def reason_shown_to(self, user) -> bool:
        """A recusal's reason is personal: the office and the inspector's own department read it, others do not."""
        return user.is_office or user.department_id == self.department_id


# How many enterprises a campaign has drawn (replacements counted once): one correlated count, no rows loaded.
Campaign.active_count = column_property(
    sa.select(sa.func.count()).where(CampaignSubject.campaign_id == Campaign.id, CampaignSubject.state == "active")
    .correlate_except(CampaignSubject).scalar_subquery(),
    deferred=True)


def without_team(*via) -> tuple:
    """Loader options for a list that shows drawn enterprises but neither their teams nor their confirmations
    (both load eagerly by default, which is right for one enterprise and wasteful for a page of them); `via` is
    the relationship reaching CampaignSubject, e.g. InspectionRecord.campaign_subject."""
    return tuple(defaultload(*via).lazyload(collection) if via else lazyload(collection)
                 for collection in (CampaignSubject.members, CampaignSubject.confirmations))
