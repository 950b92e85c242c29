"""Seed 003's deadlines after a visit, as lists and counts: the inspection report and the result notice (owed by
the lead department: its people or the team's 组长) and publication (owed by its administrator)."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from ..campaigns.models import Campaign, CampaignSubject
from ..extensions import db
from .models import InspectionRecord

# todo → (label of the list, label of its overdue part)
TODOS = {
    "report": "待形成检查报告",
    "feedback": "待送达检查结果告知书",
    "publication": "超过公示期限未公示",
}


def _visited(on: date):
    """The visit has happened (by the inspection date entered, else the planned date)."""
    return sa.func.coalesce(InspectionRecord.inspected_on, CampaignSubject.visit_date) <= on


def owed_clause(todo: str, on: date):
    """The records that owe `todo` now (their lists join CampaignSubject)."""
    if todo == "report":
        # Published or not: a record published without its report (before publication required one) still owes it.
        return sa.and_(InspectionRecord.reported_on.is_(None), _visited(on))
    if todo == "feedback":
        return sa.and_(InspectionRecord.reported_on.is_not(None), InspectionRecord.notified_on.is_(None))
    return InspectionRecord.publication_overdue_clause(on)


def overdue_clause(todo: str, on: date):
    return {"report": InspectionRecord.report_overdue_clause, "feedback": InspectionRecord.feedback_overdue_clause,
            "publication": InspectionRecord.publication_overdue_clause}[todo](on)


def led_by(department_id: int | None):
    """Records of the campaigns `department_id` leads (every campaign for None)."""
    if department_id is None:
        return sa.true()
    return InspectionRecord.campaign_subject.has(CampaignSubject.campaign.has(
        Campaign.lead_department_id == department_id))


def counts(on: date, department_id: int | None = None) -> dict[int, dict[str, int]]:
    """Per lead department: reports and notices owed (and overdue), records past their publication limit."""
    found: dict[int, dict[str, int]] = {}
    for todo in TODOS:
        for late in (False, True):
            if todo == "publication" and not late:
                continue
            clause = sa.and_(owed_clause(todo, on), overdue_clause(todo, on)) if late else owed_clause(todo, on)
            rows = db.session.execute(
                sa.select(Campaign.lead_department_id, sa.func.count())
                .select_from(InspectionRecord)
                .join(CampaignSubject, InspectionRecord.campaign_subject_id == CampaignSubject.id)
                .join(Campaign, CampaignSubject.campaign_id == Campaign.id)
                .where(clause, sa.true() if department_id is None else Campaign.lead_department_id == department_id)
                .group_by(Campaign.lead_department_id)).all()
            for lead, count in rows:
                found.setdefault(lead, {})[f"{todo}_overdue" if late else todo] = count
    return found
