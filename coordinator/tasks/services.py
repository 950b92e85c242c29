"""The task list of an inspector's own account: every team it sits on, with what it owes and by when."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from ..auth.models import User
from ..campaigns.models import Campaign, CampaignSubject, TeamMember
from ..extensions import db
from ..results.models import InspectionRecord
from ..states import CampaignStatus, DrawnStatus

# Teams exist from the team draw on; before that an inspector has nothing to see.
VISIBLE_STATUSES = CampaignStatus.TEAMED.and_later()


@dataclass(frozen=True)
class Duty:
    """One thing this inspector (or its team, when it leads) must do for a visit, and by when."""

    text: str
    due: date | None
    url: str | None = None

    def overdue(self, on: date) -> bool:
        return self.due is not None and self.due < on

    def tone(self, on: date) -> str:
        return "bad" if self.overdue(on) else "warn" if self.due == on else ""


@dataclass
class Assignment:
    """One visit of the inspector: the enterprise, its team, the record, and the duties left."""

    member: TeamMember
    duties: list[Duty]

    @property
    def cs(self) -> CampaignSubject:
        return self.member.campaign_subject

    @property
    def record(self) -> InspectionRecord | None:
        return self.cs.record

    @property
    def leads(self) -> bool:
        return self.member.is_leader

    @property
    def done(self) -> bool:
        return self.record is not None and self.record.published_at is not None

    def first_due(self) -> date | None:
        return min((d.due for d in self.duties if d.due), default=None)

    def urgent(self, on: date) -> bool:
        """Something is due today or overdue: these come first."""
        first = self.first_due()
        return first is not None and first <= on

    def address(self) -> str:
        """The best known address: found on this record's visit, else the directory's best."""
        record = self.record
        return (record.found_address if record and record.found_address else "") or self.cs.subject.best_address

    def contact(self) -> tuple[str, str]:
        record = self.record
        if record and (record.found_contact or record.found_phone):
            return record.found_contact, record.found_phone
        return self.cs.subject.best_contact


def duties(member: TeamMember, url_for) -> list[Duty]:
    """What the inspector owes on this visit: its department's result (for the report); as 组长 also the report
    and the result notice. Each deadline is the record's (seed 003)."""
    record = member.campaign_subject.record
    if record is None:
        return []
    found: list[Duty] = []
    mine = record.department_result(member.department_id)
    if record.awaits(mine):
        found.append(Duty(f"录入{mine.department.name}的检查结果", record.report_due_on,
                          url_for("results.entry", record_id=record.id)))
    if member.is_leader:
        if record.open and record.owing() and not record.awaits(mine):
            names = "、".join(p.department.name for p in record.owing())
            found.append(Duty(f"催办：{names}尚未提交本部门结果", record.report_due_on,
                              url_for("results.detail", record_id=record.id)))
        if record.reported_on is None and not record.open:
            found.append(Duty("形成检查报告", record.report_due_on, url_for("results.detail", record_id=record.id)))
        if record.reported_on is not None and record.notified_on is None:
            found.append(Duty("打印并送达检查结果告知书", record.feedback_due_on,
                              url_for("results.notice", record_id=record.id)))
    return found


def assignments(user: User, on: date, url_for, *, finished: bool = False) -> list[Assignment]:
    """The inspector's visits, due today and overdue first, then by visit date; with `finished`, the published
    ones with nothing left to do instead (most recent first)."""
    if not user.is_inspector:
        return []
    # Unpublished; or, to its 组长, published without its report (from before publication required one).
    owed = sa.or_(InspectionRecord.published_at.is_(None),
                  sa.and_(TeamMember.is_leader, InspectionRecord.reported_on.is_(None)))
    members = db.session.scalars(
        sa.select(TeamMember).join(CampaignSubject, TeamMember.campaign_subject_id == CampaignSubject.id)
        .join(Campaign, CampaignSubject.campaign_id == Campaign.id)
        .outerjoin(InspectionRecord, InspectionRecord.campaign_subject_id == CampaignSubject.id)
        .where(TeamMember.inspector_id == user.inspector_id, TeamMember.recused_at.is_(None),
               CampaignSubject.status == DrawnStatus.ACTIVE, Campaign.status.in_(VISIBLE_STATUSES),
               sa.not_(owed) if finished else owed)
        .options(joinedload(TeamMember.campaign_subject).joinedload(CampaignSubject.campaign))
    ).unique().all()
    found = [Assignment(m, duties(m, url_for)) for m in members]
    if finished:
        # a campaign's records may share their publication time: the enterprise's row breaks the tie
        return sorted(found, key=lambda a: (a.record.published_at, a.cs.id), reverse=True)
    far = date.max
    return sorted(found, key=lambda a: (not a.urgent(on), a.first_due() or far, a.cs.visit_date or far, a.cs.id))


def on_team(user: User, cs: CampaignSubject) -> TeamMember | None:
    """The user's seat on this enterprise's team, if it is an inspector sitting there (recused seats do not count)."""
    if not user.is_inspector:
        return None
    return next((m for m in cs.active_members if m.inspector_id == user.inspector_id), None)
