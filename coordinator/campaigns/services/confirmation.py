"""Each department confirms the drawn enterprises it visits, within one working day."""
from __future__ import annotations

import sqlalchemy as sa

from ...auth.models import User
from ...extensions import db
from ...states import CampaignStatus, Decision, DrawnStatus
from ...timeutil import now
from ..models import Campaign, CampaignSubject, CampaignSubjectDepartment, Confirmation, without_team
from .common import CampaignError, require_status
from .draws import require_teams_not_locked


def confirm(campaign: Campaign, department_id: int, decisions: dict[int, tuple[Decision | str, str]], user: User) -> int:
    """Record a department's decision on drawn enterprises; returns how many were recorded."""
    require_status(campaign, CampaignStatus.DRAWN)
    require_teams_not_locked(campaign)
    campaign_department = campaign.campaign_department(department_id)
    if campaign_department is None:
        raise CampaignError("本部门没有参加这次联合抽查")
    rows = {cs.id: cs for cs in campaign.subjects if cs.status == DrawnStatus.ACTIVE and department_id in cs.department_ids}
    existing = {(c.campaign_subject_id, c.department_id): c for cs in rows.values() for c in cs.confirmations}
    recorded = 0
    for cs_id, (decision, reason) in decisions.items():
        cs = rows.get(cs_id)
        if cs is None:
            raise CampaignError("只能确认分配给本部门的检查对象")
        if decision not in Decision.labels():
            raise CampaignError(f"确认结果“{decision}”无效")
        decision = Decision(decision)
        if decision != Decision.CONFIRMED and not reason.strip():
            raise CampaignError(f"“{cs.subject.name}”标记为“{decision.label}”时必须填写原因")
        confirmation = existing.get((cs_id, department_id))
        if confirmation is None:
            confirmation = Confirmation(department_id=department_id)
            cs.confirmations.append(confirmation)
        confirmation.decision, confirmation.reason = decision, reason.strip()[:500]
        confirmation.user_id, confirmation.at = user.id, now()
        recorded += 1
    db.session.flush()
    if all(any(c.department_id == department_id for c in cs.confirmations) for cs in rows.values()):
        campaign_department.confirmed_at = campaign_department.confirmed_at or now()
    return recorded


def pending_confirmations(campaign: Campaign, department_id: int) -> list[CampaignSubject]:
    return [cs for cs in campaign.subjects if cs.status == DrawnStatus.ACTIVE and department_id in cs.department_ids
            and not any(c.department_id == department_id for c in cs.confirmations)]


def pending_counts(campaign: Campaign) -> dict[int, int]:
    """Per taking-part department: how many of its drawn enterprises it has not confirmed yet.
    The same figure as len(pending_confirmations(...)), counted by one query instead of walking the campaign."""
    reached = CampaignSubjectDepartment
    unanswered = (
        sa.select(reached.department_id, sa.func.count())
        .join(CampaignSubject, CampaignSubject.id == reached.campaign_subject_id)
        .outerjoin(Confirmation, sa.and_(Confirmation.campaign_subject_id == reached.campaign_subject_id,
                                         Confirmation.department_id == reached.department_id))
        .where(CampaignSubject.campaign_id == campaign.id, CampaignSubject.status == DrawnStatus.ACTIVE,
               Confirmation.id.is_(None))
        .group_by(reached.department_id))
    counts = {cd.department_id: 0 for cd in campaign.departments}
    for department_id, count in db.session.execute(unanswered):
        if department_id in counts:
            counts[department_id] = count
    return counts


def flagged(campaign: Campaign) -> list[tuple[CampaignSubject, Confirmation]]:
    """Enterprises a department flagged as closed or not found: they await a replacement draw."""
    return db.session.execute(
        sa.select(CampaignSubject, Confirmation).join(Confirmation)
        .where(CampaignSubject.campaign_id == campaign.id, CampaignSubject.status == DrawnStatus.ACTIVE,
               Confirmation.decision.in_([d for d in Decision if d.needs_replacement]))
        .order_by(CampaignSubject.id, Confirmation.id).options(*without_team())).all()

