"""Inspections written straight into the database, for counting tests and benchmarks whose answers are known."""
from __future__ import annotations

from datetime import date

from coordinator.campaigns.models import Campaign, CampaignSubject, Draw
from coordinator.extensions import db
from coordinator.results.models import DepartmentResult, InspectionRecord
from coordinator.states import DrawKind, RecordStatus


def inspection_campaign(lead, name: str = "检查", day: date = date(2025, 1, 1)) -> tuple[Campaign, Draw]:
    campaign = Campaign(name=name, lead_department_id=lead.id, period_start=day, period_end=day, visit_start=day,
                        visit_end=day, items_deadline=day)
    db.session.add(campaign)
    db.session.flush()
    draw = Draw(campaign_id=campaign.id, kind=DrawKind.SUBJECTS, problem="{}", locked_sha256="0" * 64)
    db.session.add(draw)
    db.session.flush()
    return campaign, draw


def inspect(subject, departments, day: date, name: str = "") -> InspectionRecord:
    """One inspection of `subject` on `day` by `departments` (several: a joint one), in a campaign of its own."""
    campaign, draw = inspection_campaign(departments[0], name or f"{day}检查", day)
    cs = CampaignSubject(campaign_id=campaign.id, subject_id=subject.id, draw_id=draw.id, stratum="全部",
                         probability=1.0, visit_date=day)
    db.session.add(cs)
    db.session.flush()
    record = InspectionRecord(campaign_subject_id=cs.id, inspected_on=day, due_on=day, status=RecordStatus.PUBLISHED)
    record.department_results.extend(DepartmentResult(department_id=d.id) for d in departments)
    db.session.add(record)
    db.session.flush()
    return record
