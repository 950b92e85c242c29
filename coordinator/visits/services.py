"""Agreeing and moving visit dates (seed 004: the lead department forms the joint team and agrees the date).

A new date must lie in the campaign's visit window, be a day every team member is available, and keep each
member within the campaign's daily capacity counting every other visit it has that day (in any campaign).
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from ..audit import services as audit
from ..auth.models import User
from ..campaigns.models import Campaign, CampaignSubject, TeamMember
from ..directories.models import Subject
from ..extensions import db
from ..results.models import InspectionRecord
from ..states import OPEN_RECORD_STATUSES, CampaignStatus, DrawnStatus
from ..timeutil import now, today

SCHEDULING_STATUSES = (CampaignStatus.TEAMED, CampaignStatus.DISPATCHED)


class VisitError(ValueError):
    """A visit date that cannot be set; the message names every reason, in Chinese."""


def schedulable(cs: CampaignSubject) -> bool:
    """The date can still be agreed or moved: the team stands and nobody has recorded the visit yet."""
    record = cs.record
    return (cs.campaign.status in SCHEDULING_STATUSES and bool(cs.active_members)
            and (record is None or (record.open and record.inspected_on is None)))


def to_agree(campaign: Campaign) -> list[CampaignSubject]:
    """The staffed enterprises whose date the lead department has not agreed yet, earliest visit first."""
    return db.session.scalars(visit_query(campaign, waiting_only=True)).all()


def waiting_count(campaign: Campaign) -> int:
    """How many of to_agree(campaign) there are, counted in SQL (the workbench asks on every visit)."""
    query = visit_query(campaign, waiting_only=True).order_by(None)
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))


def visit_query(campaign: Campaign, *, waiting_only: bool = False, search: str = "") -> sa.Select:
    """The staffed enterprises of a campaign (an active team member), earliest visit first; `waiting_only`: those
    whose date still awaits the lead department (the team stands, nobody recorded the visit, not yet agreed);
    `search`: a part of the enterprise's name or its credit code."""
    staffed_ = sa.exists().where(TeamMember.campaign_subject_id == CampaignSubject.id, TeamMember.recused_at.is_(None))
    query = (sa.select(CampaignSubject).join(Subject, CampaignSubject.subject_id == Subject.id)
             .where(CampaignSubject.campaign_id == campaign.id, CampaignSubject.status == DrawnStatus.ACTIVE, staffed_))
    if waiting_only:
        visited = sa.exists().where(InspectionRecord.campaign_subject_id == CampaignSubject.id,
                                    sa.or_(InspectionRecord.inspected_on.is_not(None),
                                           InspectionRecord.status.not_in(OPEN_RECORD_STATUSES)))
        query = query.where(CampaignSubject.visit_agreed_at.is_(None), ~visited)
        if campaign.status not in SCHEDULING_STATUSES:
            query = query.where(sa.false())
    if search:
        query = query.where(sa.or_(Subject.name.contains(search, autoescape=True), Subject.credit_code == search.upper()))
    return query.order_by(CampaignSubject.visit_date.is_(None), CampaignSubject.visit_date, Subject.name,
                          CampaignSubject.id)


def clashes(cs: CampaignSubject, day: date) -> list[str]:
    """Why `day` does not suit the team: a member unavailable, without a valid certificate then, or already at
    the campaign's daily capacity that day."""
    campaign = cs.campaign
    problems = []
    for member in cs.active_members:
        inspector = member.inspector
        who = f"{inspector.name}（{member.department.name}）"
        if day.isoformat() in (inspector.unavailable or []):
            problems.append(f"{who}{day:%Y-%m-%d}不可用")
        if inspector.cert_expiry is None or inspector.cert_expiry < day:
            problems.append(f"{who}的执法证在{day:%Y-%m-%d}已失效")
        load = db.session.scalar(
            sa.select(sa.func.count()).select_from(TeamMember)
            .join(CampaignSubject, TeamMember.campaign_subject_id == CampaignSubject.id)
            .where(TeamMember.inspector_id == inspector.id, TeamMember.recused_at.is_(None),
                   CampaignSubject.status == DrawnStatus.ACTIVE, CampaignSubject.visit_date == day,
                   CampaignSubject.id != cs.id))
        if load >= campaign.daily_capacity:
            problems.append(f"{who}{day:%Y-%m-%d}已安排{load}户检查，达到每人每天最多{campaign.daily_capacity}户")
    return problems


def set_visit(cs: CampaignSubject, day: date | None, user: User) -> bool:
    """Agree the planned date (`day` equal to it) or move it to `day`; the record's deadlines follow. True
    when the date moved. Every team member sees the new date, and that it moved, on its task list."""
    campaign = cs.campaign
    if not schedulable(cs):
        raise VisitError("该检查对象的检查日期已不能调整（检查组未组建、已检查或记录已提交）")
    if day is None:
        raise VisitError("请填写检查日期")
    if not campaign.visit_open(day):
        raise VisitError(f"检查日期应在检查时段{campaign.visit_start:%Y-%m-%d}至{campaign.visit_end:%Y-%m-%d}之内")
    moved = day != cs.visit_date
    if moved and day < today():
        raise VisitError("不能把检查日期改到已经过去的日子")
    if problems := clashes(cs, day):
        raise VisitError("该日期不能安排：" + "；".join(problems))
    before = {"visit_date": cs.visit_date, "visit_agreed_at": cs.visit_agreed_at}
    if moved:
        cs.visit_moved_from = cs.visit_date
        cs.visit_date = day
    cs.visit_agreed_at = now()
    if cs.record is not None:
        cs.record.reschedule()
    audit.log("move_visit" if moved else "agree_visit", "campaign_subject", cs.id, before, {"visit_date": day},
              user=user)
    return moved
