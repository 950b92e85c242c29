"""Creating a campaign and collecting each department's items; who its items reach, and the scope they draw from."""
from __future__ import annotations

import uuid
from collections import Counter
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import undefer

from ...auth.models import Department, User
from ...directories.models import Subject
from ...extensions import db
from ...items.models import Item
from ...states import CampaignStatus, DrawnStatus, SubjectStatus
from ...textutil import split_list
from ...timeutil import now
from .. import rules
from ..models import Campaign, CampaignDepartment, CampaignItem, CampaignSubject
from .common import CampaignError, require_status


def campaigns_query(user: User):
    """Campaigns newest first, with their drawn count: every one for the office, else those the user's
    department takes part in."""
    query = (sa.select(Campaign).options(undefer(Campaign.active_count))
             .order_by(Campaign.period_start.desc(), Campaign.id.desc()))
    if not user.is_office:
        query = query.where(Campaign.departments.any(department_id=user.department_id))
    return query


def selectable_items(department_id: int) -> list[Item]:
    """The department's active items, which it may choose for a campaign."""
    return db.session.scalars(sa.select(Item).where(Item.department_id == department_id, Item.active)
                              .order_by(Item.code)).all()


def create_campaign(values: dict, lead: Department, partners: list[Department], user: User | None) -> Campaign:
    campaign = Campaign(**values, lead_department=lead, created_by_id=user.id if user else None)
    campaign.departments.append(CampaignDepartment(department=lead, is_lead=True))
    for department in partners:
        if department.id != lead.id:
            campaign.departments.append(CampaignDepartment(department=department))
    db.session.add(campaign)
    return campaign


SCHEME_TYPES = {".pdf", ".doc", ".docx", ".jpg", ".jpeg", ".png", ".xlsx", ".wps", ".ofd"}
SCHEME_MAX_BYTES = 8 * 1024 * 1024


def scheme_problem(upload) -> str | None:
    """Why an uploaded special-inspection plan cannot be kept (in Chinese), or None (no file is no problem)."""
    if upload is None or not upload.filename:
        return None
    name = Path(upload.filename).name
    if Path(name).suffix.lower() not in SCHEME_TYPES:
        return f"“{name}”不是可接受的方案文件（PDF、Word、WPS、OFD、Excel 或图片）"
    upload.stream.seek(0, 2)
    size = upload.stream.tell()
    upload.stream.seek(0)
    if size > SCHEME_MAX_BYTES:
        return f"“{name}”超过 8 MB"
    return None


def attach_scheme(campaign: Campaign, filename: str, data: bytes, folder: Path) -> None:
    """Keep the special inspection's plan file (专项检查方案) with the campaign, under a name of its own."""
    name = Path(filename).name
    stored = f"scheme-{uuid.uuid4().hex}{Path(name).suffix.lower()}"
    (folder / stored).write_bytes(data)
    campaign.scheme_filename, campaign.scheme_stored_as = name[:200], stored


def submit_items(campaign: Campaign, department_id: int, item_ids: list[int], materials: str, user: User) -> None:
    """A department's items and materials list for this campaign, frozen at their current versions."""
    require_status(campaign, CampaignStatus.COLLECTING)
    campaign_department = campaign.campaign_department(department_id)
    if campaign_department is None:
        raise CampaignError("本部门没有参加这次联合抽查")
    items = db.session.scalars(sa.select(Item).where(Item.id.in_(item_ids or [-1]), Item.active)
                              .order_by(Item.code, Item.id)).all()  # the campaign's item order, on any database
    if not items:
        raise CampaignError("请至少选择一项本部门的抽查事项")
    if any(item.department_id != department_id for item in items):
        raise CampaignError("只能选择本部门的抽查事项")
    campaign_department.items.clear()
    for item in items:
        campaign_department.items.append(CampaignItem(item=item, version=item.version, data=item.snapshot()))
    campaign_department.materials = materials.strip()
    campaign_department.submitted_at = now()
    campaign_department.submitted_by_id = user.id


def reach(campaign: Campaign) -> dict[int, list[str]]:
    """For each department, the industries its chosen items reach ("全部" = every enterprise)."""
    return {
        cd.department_id: sorted({i for ci in cd.items for i in split_list(ci.data.get("industries")) or ["全部"]})
        for cd in campaign.departments
        if cd.items
    }


def visiting_departments(reached: dict[int, list[str]], industry: str) -> list[int]:
    return sorted(d for d, industries in reached.items() if rules.item_reaches(industries, industry))


def _months_before(day: date, months: int) -> date:
    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return date(year, month, min(day.day, 28))


def in_scope_query(campaign: Campaign):
    """Active enterprises within the campaign's scope, minus those inspected in the last N months unless a coverage
    rule of one of its departments makes them due."""
    query = sa.select(Subject).where(Subject.status == SubjectStatus.ACTIVE)
    scope = campaign.scope or {}
    if scope.get("subjects"):  # a campaign made from a monthly plan: its listed enterprises
        query = query.where(Subject.id.in_(scope["subjects"]))
    for key, column in (("regions", Subject.region), ("industries", Subject.industry),
                        ("categories", Subject.category), ("risk_classes", Subject.risk_class)):
        if scope.get(key):
            query = query.where(column.in_(scope[key]))
    if campaign.burden_months:
        since = _months_before(campaign.visit_start, campaign.burden_months)
        recent = (
            sa.select(CampaignSubject.subject_id)
            .join(Campaign, Campaign.id == CampaignSubject.campaign_id)
            .where(CampaignSubject.status == DrawnStatus.ACTIVE, Campaign.id != campaign.id,
                   sa.func.coalesce(CampaignSubject.visit_date, Campaign.visit_start) >= since,
                   sa.func.coalesce(CampaignSubject.visit_date, Campaign.visit_start) <= campaign.visit_start)
        )
        # The cap spares enterprises, never a duty: one a coverage rule still makes due stays drawable.
        from ...coverage.services import due_subject_ids

        due = due_subject_ids([cd.department_id for cd in campaign.departments], campaign.visit_start)
        query = query.where(sa.or_(Subject.id.not_in(recent), Subject.id.in_(due)))
    return query


def foreign_coverage_rules(must_flags: list[str] | None, department_ids: list[int]) -> str | None:
    """Why a campaign of `department_ids` cannot take these "still due under rule X" lists as must-inspect, or None:
    a rule of a department that takes no part in it (its visits do not discharge that department's duty)."""
    from ...coverage.models import CoverageRule  # coverage counts campaigns' visits: it sits beside, not below

    ids = rules.coverage_rule_ids(must_flags)
    if not ids:
        return None
    foreign = db.session.scalars(sa.select(CoverageRule).where(
        CoverageRule.id.in_(ids), CoverageRule.department_id.not_in(department_ids)).order_by(CoverageRule.id)).all()
    if not foreign:
        return None
    names = "、".join(f"“{rule.name}”（{rule.department.name}）" for rule in foreign)
    return f"覆盖规则{names}所属部门不是本次抽查的参加部门，不能作为必查名单"


def coverage(campaign: Campaign) -> list[tuple[list[str], int]]:
    """How many in-scope enterprises each combination of departments would visit together (before the draw)."""
    reached = reach(campaign)
    names = {cd.department_id: cd.department.name for cd in campaign.departments}
    scoped = in_scope_query(campaign).subquery()
    by_industry = db.session.execute(sa.select(scoped.c.industry, sa.func.count()).group_by(scoped.c.industry))
    combos: Counter = Counter()
    for industry, count in by_industry:
        combos[tuple(visiting_departments(reached, industry))] += count
    return sorted(([names[d] for d in combo], count) for combo, count in combos.items())

