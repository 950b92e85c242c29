"""The demo county: departments, one account per role and department, and the directories from seeds/."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from .auth.models import Department, User
from .campaigns.demo import build_demo_campaigns
from .campaigns.models import Campaign, CampaignSubject, TeamMember
from .coverage.services import load_defaults
from .directories.importers import ConflictImporter, InspectorImporter, SubjectImporter
from .directories.models import Inspector, Zone
from .excel.importing import run_import
from .excel.reader import Column, read_table
from .extensions import db
from .items.services import ItemImporter
from .textutil import split_list

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
DEMO_PASSWORD = "Demo2024"
ZONE_COLUMNS = (Column("name", "片区", (), True), Column("regions", "包含乡镇", ("乡镇",), True))
DEPARTMENT_COLUMNS = (
    Column("code", "部门代码", (), True),
    Column("name", "部门名称", (), True),
)


def load_demo(seeds: Path = SEEDS) -> list[str]:
    """Load the demo county into an empty database; returns the lines to show the operator."""
    lines = []
    departments = []
    for _, row in read_table(seeds / "departments.xlsx", DEPARTMENT_COLUMNS).rows:
        department = Department(code=row["code"], name=row["name"])
        db.session.add(department)
        departments.append(department)
    office = User(username="office", display_name="田婷婷", role="office")
    db.session.add(office)
    accounts = [office]
    for department in departments:
        accounts.append(User(username=f"{department.code}_admin", display_name=f"{department.name}管理员",
                             role="admin", department=department))
        accounts.append(User(username=f"{department.code}_officer", display_name=f"{department.name}执法员",
                             role="officer", department=department))
    for user in accounts:
        user.set_password(DEMO_PASSWORD)
        db.session.add(user)
    for _, row in read_table(seeds / "zones.xlsx", ZONE_COLUMNS).rows:
        db.session.add(Zone(name=row["name"], regions=split_list(row["regions"])))
    db.session.commit()
    lines.append(f"部门 {len(departments)} 个，账号 {len(accounts)} 个")

    imports = [
        (SubjectImporter(), seeds / "subjects.xlsx"),
        (InspectorImporter(), seeds / "inspectors.xlsx"),
        *((ItemImporter(d), seeds / f"items_{d.code}.xlsx") for d in departments),
        (ConflictImporter(), seeds / "conflicts.xlsx"),
    ]
    for importer, path in imports:
        if path.exists():
            report = run_import(importer, path, dry_run=False)
            lines.append(report.summary())
            lines.extend(f"  第{r.row}行：{r.reason}" for r in report.refused)
    lines.extend(build_demo_campaigns())
    lines.append(_inspector_accounts())
    # after the demo draws, which stay as they were: the seeds' coverage duties for the year's coverage page
    lines.append(f"抽查覆盖规则 {len(load_defaults())} 条（种子文件默认）")
    db.session.commit()
    return lines


def _inspector_accounts() -> str:
    """Two inspectors' own accounts, so the demo shows 我的检查任务: the lead department's inspector who led most
    teams of the first campaign, and the partner's inspector who sat on most of those teams with them. The
    demo password stays (no change asked at the first log-in), like every demo account."""
    campaign = db.session.scalars(sa.select(Campaign).order_by(Campaign.id)).first()
    partner = aliased(TeamMember)
    seats = (sa.select(TeamMember.inspector_id, partner.inspector_id)
             .join(partner, partner.campaign_subject_id == TeamMember.campaign_subject_id)
             .join(TeamMember.campaign_subject)
             .where(CampaignSubject.campaign_id == campaign.id, TeamMember.is_leader,
                    TeamMember.recused_at.is_(None), partner.recused_at.is_(None),
                    TeamMember.department_id == campaign.lead_department_id,
                    partner.department_id != campaign.lead_department_id)
             .group_by(TeamMember.inspector_id, partner.inspector_id)
             .order_by(sa.func.count().desc(), TeamMember.inspector_id, partner.inspector_id).limit(1))
    leader_id, member_id = db.session.execute(seats).one()
    made = []
    for inspector_id in (leader_id, member_id):
        inspector = db.session.get(Inspector, inspector_id)
        user = User(username=f"{inspector.department.code}_inspector", display_name=inspector.name,
                    role="inspector", department_id=inspector.department_id, inspector_id=inspector.id)
        user.set_password(DEMO_PASSWORD)
        db.session.add(user)
        made.append(user.username)
    db.session.commit()
    return f"检查人员个人账号 {len(made)} 个：{'、'.join(made)}"
