"""A seed round (the commitments, reveals and deadlines that make one draw's seed) and its contributions."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import Department, User
from ..extensions import db
from ..states import DrawKind, Phase, SeedRule, db_enum
from ..timeutil import now

OFFICE_SLOT, WITNESS_SLOT = "office", "witness"


class SeedRound(db.Model):
    """The making of one draw's seed. The draw's input is locked when the commitments close (`draw_id` set then);
    the draw runs once, when every committed value is revealed or the reveal deadline has passed."""

    __tablename__ = "seed_round"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaign.id"), index=True)
    kind: Mapped[DrawKind] = mapped_column(db_enum(DrawKind, "ck_seed_round_kind"))  # the kind of draw it seeds
    # What a replacement replaces (a CampaignSubject) or a reseat fills (the recused TeamMember).
    target_id: Mapped[int | None]
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    allow_overdue: Mapped[bool] = mapped_column(default=False)  # teams: late confirmations count as given
    rule: Mapped[SeedRule] = mapped_column(db_enum(SeedRule, "seed_rule"))
    fallback_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    witness: Mapped[str] = mapped_column(sa.String(200), default="")
    opened_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    opened_at: Mapped[datetime] = mapped_column(default=now)
    commit_deadline: Mapped[datetime]
    reveal_hours: Mapped[int] = mapped_column(default=24)
    commit_closed_at: Mapped[datetime | None]
    reveal_deadline: Mapped[datetime | None]  # set when the commitments close
    draw_id: Mapped[int | None] = mapped_column(sa.ForeignKey("draw_record.id"), unique=True)

    draw = relationship("Draw")
    campaign = relationship("Campaign", lazy="joined")
    opened_by: Mapped[User | None] = relationship()
    contributions: Mapped[list[SeedContribution]] = relationship(
        back_populates="round", order_by="SeedContribution.slot", cascade="all, delete-orphan", lazy="selectin")

    @property
    def kind_label(self) -> str:
        return DrawKind(self.kind).label

    @property
    def phase(self) -> Phase:
        if self.commit_closed_at is None:
            return Phase.COMMITTING
        return Phase.DRAWN if self.draw is not None and self.draw.result is not None else Phase.REVEALING

    def slot(self, name: str) -> SeedContribution | None:
        return next((c for c in self.contributions if c.slot == name), None)

    def committed(self) -> list[SeedContribution]:
        return [c for c in self.contributions if c.commitment]

    def commit_open(self, at: datetime | None = None) -> bool:
        return self.phase is Phase.COMMITTING and (at or now()) <= self.commit_deadline

    def reveal_open(self, at: datetime | None = None) -> bool:
        return (self.phase is Phase.REVEALING and self.rule is SeedRule.COMMIT_REVEAL
                and (at or now()) <= self.reveal_deadline)

    def reveal_closed(self, at: datetime | None = None) -> bool:
        return self.reveal_deadline is not None and (at or now()) > self.reveal_deadline

    def ready_to_run(self, at: datetime | None = None) -> bool:
        """Every committed value revealed, or the reveal deadline passed (a witness round: once locked)."""
        if self.phase is not Phase.REVEALING:
            return False
        if self.rule is SeedRule.WITNESS:
            return True
        return all(c.value for c in self.committed()) or self.reveal_closed(at)

    @property
    def own_department(self) -> bool:
        """A department's own draw (内部随机抽查, or its special inspection alone): the campaign has one department.
        Its seed is that department's and an independent party's — a witness, or the office when it takes part;
        a joint campaign's needs the office (seed 000's annex: the brigade draws its own inspections)."""
        return not self.campaign.is_joint

    @property
    def required_slots(self) -> list[str]:
        """The parties whose value the seed cannot do without (beside them, at least one more value is needed)."""
        if self.own_department:
            return [c.slot for c in self.contributions if c.department_id is not None]
        return [OFFICE_SLOT]

    def required(self, contribution: SeedContribution) -> bool:
        return contribution.slot in self.required_slots

    def need_label(self, contribution: SeedContribution) -> str:
        """必需 for a required party, and for the only other one (the seed needs two values); else 至少一方."""
        others = [c for c in self.contributions if not self.required(c)]
        return "必需" if self.required(contribution) or len(others) == 1 else "至少一方"

    @property
    def required_labels(self) -> str:
        return "、".join(c.label for c in self.contributions if self.required(c))

    @property
    def others_label(self) -> str:
        """Who else may give the second value: the other parties, by name."""
        return "或".join(c.label for c in self.contributions if not self.required(c)) or "无"

    def may_act(self, contribution: SeedContribution, user) -> bool:
        """The office acts for itself; a department's admin for its department; the witness gives its value at the
        screen of whoever runs the draw (the office; for a department's own draw, also that department's admin)."""
        if contribution.slot == OFFICE_SLOT:
            return user.is_office
        if contribution.department_id is None:
            return self.campaign.may_run(user)
        return user.role == "admin" and user.department_id == contribution.department_id


class SeedContribution(db.Model):
    """One party's part of a seed: its commitment (SHA-256 of a secret value), then the value once revealed.
    The value is never stored before its reveal; the browser that made it keeps it until then."""

    __tablename__ = "seed_contribution"
    __table_args__ = (sa.UniqueConstraint("round_id", "slot"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("seed_round.id"), index=True)
    slot: Mapped[str] = mapped_column(sa.String(40))  # "office", "dept:<code>", "witness": the seed's order
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("department.id"))
    label: Mapped[str] = mapped_column(sa.String(200))
    commitment: Mapped[str | None] = mapped_column(sa.String(64))
    committed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    committed_at: Mapped[datetime | None]
    value: Mapped[str | None] = mapped_column(sa.String(64))
    revealed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    revealed_at: Mapped[datetime | None]
    left_out: Mapped[str] = mapped_column(sa.String(200), default="")  # why it is not in the seed, once known

    round: Mapped[SeedRound] = relationship(back_populates="contributions")
    department: Mapped[Department | None] = relationship()
    committed_by: Mapped[User | None] = relationship(foreign_keys=[committed_by_id])
    revealed_by: Mapped[User | None] = relationship(foreign_keys=[revealed_by_id])

    @property
    def status(self) -> str:
        if self.value:
            return "已揭示"
        if self.left_out:
            return self.left_out
        return "已承诺，待揭示" if self.commitment else "待承诺"
