"""What the public may see, and nothing more: active item lists, campaign plans, published results.

Never shown: inspectors (names, certificates, phones), user accounts, enterprise contacts and phones, problem
descriptions and notes (free text that may name people), a witness's name or a recusal's reason. A covert campaign
(暗查暗访) is not announced beforehand, so it and everything under it stay hidden until its period has ended.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import lazyload, selectinload

from ..auth.models import Department
from ..campaigns.models import Campaign, CampaignDepartment, CampaignSubject, without_team
from ..directories.models import Subject
from ..draws.models import WITNESS_SLOT, Phase, SeedRule
from ..draws.services import rounds_of
from ..extensions import db
from ..items.models import Item
from ..results.models import DepartmentResult, InspectionRecord, ItemResult
from ..states import DrawnStatus, RecordStatus
from ..timeutil import today


def visible(on: date | None = None):
    """The campaigns the public may see on `on`: every open campaign, a covert one only once it has ended."""
    return sa.or_(Campaign.covert.is_(False), Campaign.period_end < (on or today()))


def is_visible(campaign: Campaign, on: date | None = None) -> bool:
    return not campaign.covert or campaign.period_end < (on or today())


def departments_with_items() -> list[tuple[Department, int]]:
    count = sa.func.count(Item.id)
    return list(db.session.execute(
        sa.select(Department, count).join(Item, Item.department_id == Department.id)
        .where(Department.active, Item.active).group_by(Department.id).order_by(Department.id)).all())


def items(department_id: int | None):
    query = (sa.select(Item).join(Department, Item.department_id == Department.id)
             .where(Item.active, Department.active).order_by(Item.department_id, Item.code))
    return query.where(Item.department_id == department_id) if department_id else query


def campaigns():
    return (sa.select(Campaign).where(visible())
            .options(selectinload(Campaign.departments).selectinload(CampaignDepartment.department))
            .order_by(Campaign.period_start.desc(), Campaign.id.desc()))


def drawn(campaign: Campaign):
    """The enterprises drawn for a campaign (those still in it), once the draw has been made."""
    return (sa.select(CampaignSubject).join(Subject, CampaignSubject.subject_id == Subject.id)
            .where(CampaignSubject.campaign_id == campaign.id, CampaignSubject.status == DrawnStatus.ACTIVE)
            .options(selectinload(CampaignSubject.subject), lazyload(CampaignSubject.members))
            .order_by(Subject.name, Subject.id))


def published(q: str = ""):
    """Published records of visible campaigns, newest first; `q` is part of a name or a whole credit code."""
    query = (sa.select(InspectionRecord)
             .join(CampaignSubject, InspectionRecord.campaign_subject_id == CampaignSubject.id)
             .join(Subject, CampaignSubject.subject_id == Subject.id)
             .join(Campaign, CampaignSubject.campaign_id == Campaign.id)
             .where(InspectionRecord.status == RecordStatus.PUBLISHED, visible())
             .options(selectinload(InspectionRecord.campaign_subject).selectinload(CampaignSubject.subject),
                      selectinload(InspectionRecord.campaign_subject).selectinload(CampaignSubject.campaign),
                      selectinload(InspectionRecord.department_results).selectinload(DepartmentResult.department),
                      selectinload(InspectionRecord.department_results).selectinload(DepartmentResult.items)
                      .selectinload(ItemResult.campaign_item),
                      *without_team(InspectionRecord.campaign_subject))
             .order_by(InspectionRecord.published_at.desc(), InspectionRecord.id.desc()))
    q = q.strip()
    if q:
        query = query.where(sa.or_(Subject.name.contains(q, autoescape=True), Subject.credit_code == q.upper()))
    return query


@dataclass(frozen=True)
class PublicContribution:
    party: str  # a department's name, 领导小组办公室, or 见证人 (the witness's name is not published)
    slot: str
    commitment: str | None
    value: str | None  # only once the draw has run
    status: str


@dataclass(frozen=True)
class PublicRound:
    kind: str
    rule: str
    fallback_reason: str
    phase: str
    commit_deadline: datetime | None
    reveal_deadline: datetime | None
    locked_sha256: str | None
    seed: str | None
    contributions: list[PublicContribution]


def seed_rounds(campaign: Campaign) -> list[PublicRound]:
    """How each draw's seed was made: commitments from the start, reveals and the seed once the draw has run.
    A replacement's or recusal's reason is left out (it may name an inspector)."""
    shown = []
    for round_ in rounds_of(campaign.id):
        drawn = round_.phase is Phase.DRAWN
        shown.append(PublicRound(
            kind=round_.kind_label, rule=round_.rule.label, fallback_reason=round_.fallback_reason,
            phase=round_.phase.label, commit_deadline=round_.commit_deadline if round_.rule is SeedRule.COMMIT_REVEAL
            else None, reveal_deadline=round_.reveal_deadline if round_.rule is SeedRule.COMMIT_REVEAL else None,
            locked_sha256=round_.draw.locked_sha256 if round_.draw else None,
            seed=round_.draw.seed if drawn else None,
            contributions=[PublicContribution(
                party="见证人" if c.department_id is None and c.slot == WITNESS_SLOT else c.label, slot=c.slot,
                commitment=c.commitment, value=c.value if drawn else None,
                status="已揭示" if c.value and drawn else ("已承诺" if c.commitment else c.status))
                for c in round_.contributions]))
    return shown


def subject_file(credit_code: str):
    """(enterprise, its file as the public reads it) for a credit code, or None."""
    from ..subjectfile.services import history

    code = credit_code.strip().upper()[:18]  # as typed off a licence: lower case, a stray space
    subject = db.session.scalar(sa.select(Subject).where(Subject.credit_code == code))
    return None if subject is None else (subject, history(subject, public=True))
