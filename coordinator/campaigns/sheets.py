"""The printable joint record (一企一表) of a drawn enterprise and the dispatch list, as data and as workbooks."""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from ..excel.writer import SheetWriter, open_workbook, write_list
from ..extensions import db
from ..items.models import Item
from ..states import DrawnStatus
from ..textutil import split_list
from . import rules
from .models import Campaign, CampaignDepartment, CampaignSubject


@dataclass
class SheetSection:
    """One visiting department's section of the sheet: its items that reach the enterprise, and its inspectors."""

    name: str
    items: list[dict]
    members: list  # TeamMember
    is_lead: bool = False


@dataclass
class RecordSheet:
    """What the joint record (一企一表) of an enterprise shows before results: the lead department's section first."""

    cs: CampaignSubject
    campaign: Campaign
    sections: list[SheetSection] = field(default_factory=list)
    materials: list[str] = field(default_factory=list)

    @property
    def leader(self):
        return self.cs.leader


def sheet_of(cs: CampaignSubject, general: dict[int, list[str]] | None = None) -> RecordSheet:
    """The joint record of one enterprise: each visiting department's items that reach it, and the materials
    those items ask for (not every material of every department: a chemicals trader is not asked for a food
    licence). `general` caches materials_beyond_items per CampaignDepartment across many sheets."""
    campaign = cs.campaign
    record_sheet = RecordSheet(cs=cs, campaign=campaign)
    campaign_departments = {cd.department_id: cd for cd in campaign.departments}
    general = {} if general is None else general
    materials: dict[str, None] = {}
    for department_id in sorted(cs.visiting(), key=lambda d: (not campaign_departments[d].is_lead, d)):
        cd = campaign_departments[department_id]
        record_sheet.sections.append(SheetSection(
            name=cd.department.name,
            items=[ci.data for ci in cd.items
                   if rules.item_reaches(split_list(ci.data.get("industries")) or ["全部"], cs.subject.industry)],
            members=[m for m in cs.active_members if m.department_id == department_id],
            is_lead=cd.is_lead,
        ))
        for item in record_sheet.sections[-1].items:
            materials.update(dict.fromkeys(split_list(item.get("materials"))))
        if cd.id not in general:
            general[cd.id] = materials_beyond_items(cd)
        materials.update(dict.fromkeys(general[cd.id]))
    record_sheet.materials = list(materials)
    return record_sheet


def materials_beyond_items(cd: CampaignDepartment) -> list[str]:
    """What a department's materials list for the campaign asks of every enterprise it visits: the lines it
    added that belong to none of its items (the list starts as the union of its items' materials)."""
    of_items = {m for text in db.session.scalars(sa.select(Item.materials).where(
        Item.department_id == cd.department_id)) for m in split_list(text)}
    of_items |= {m for ci in cd.items for m in split_list(ci.data.get("materials"))}
    return [m for m in split_list(cd.materials) if m not in of_items]


RESULT_COLUMNS = ("检查结果", "发现问题", "处理措施")


def _write_sheet(sheet: SheetWriter, record_sheet: RecordSheet) -> None:
    subject, cs = record_sheet.cs.subject, record_sheet.cs
    fmt = sheet.formats
    width = 8
    sheet.sheet.set_column(0, 0, 14)
    sheet.sheet.set_column(1, 1, 26)
    sheet.sheet.set_column(2, 4, 22)
    sheet.sheet.set_column(5, 7, 16)
    sheet.title(f"{record_sheet.campaign.name}{record_sheet.campaign.joint_prefix}检查记录表（一企一表）", width)
    rows = [
        ("被检查单位", subject.name, subject.code_kind, subject.credit_code),
        ("地址", subject.address, "行业 / 单位类别", f"{subject.industry} / {subject.category}"),
        ("法定代表人", f"{subject.legal_rep} {subject.legal_rep_phone}", "安全管理人",
         f"{subject.safety_manager} {subject.safety_manager_phone}"),
        ("检查日期", cs.visit_date.isoformat() if cs.visit_date else "待定", "检查组长",
         record_sheet.leader.inspector.name if record_sheet.leader else "待定"),
    ]
    for label, value, label2, value2 in rows:
        sheet.cell(sheet.row, 0, label, fmt["header"])
        sheet.merge(1, 3, value)
        sheet.cell(sheet.row, 4, label2, fmt["header"])
        sheet.merge(5, 7, value2)
        sheet.row += 1
    sheet.row += 1
    sheet.header(["部门", "抽查事项", "检查依据", "检查内容", "检查方式", *RESULT_COLUMNS])
    for section in record_sheet.sections:
        for item in section.items:
            sheet.write([section.name, item.get("name"), item.get("basis"), item.get("content"), item.get("method"),
                         "", "", ""])
    sheet.row += 1
    sheet.header(["部门", "姓名", "执法证号", "职责", "签名", "", "", ""])
    for section in record_sheet.sections:
        for member in section.members:
            sheet.write([section.name, member.inspector.name, member.inspector.cert_no,
                         "组长" if member.is_leader else "组员", "", "", "", ""])
    for assignment in record_sheet.cs.expert_assignments:  # drawn from the expert pool (coordinator.experts)
        expert = assignment.expert
        sheet.write([expert.where, expert.name, f"专家 {expert.code}", "随同检查专家（随机抽取）", "", "", "", ""])
    sheet.row += 1
    sheet.cell(sheet.row, 0, "需提供的材料", fmt["header"])
    sheet.merge(1, width - 1, "、".join(record_sheet.materials), fmt["wrap"])
    sheet.row += 2
    for line in ("被检查单位意见：                                        签字（盖章）：            日期：",
                 "被检查单位拒绝签字的，由检查人员注明情况：",
                 "检查组长签字：                    检查人员签字：                    日期："):
        sheet.merge(0, width - 1, line, fmt["plain"])
        sheet.sheet.set_row(sheet.row, 30)
        sheet.row += 1
    sheet.sheet.set_landscape()
    sheet.sheet.fit_to_pages(1, 0)
    sheet.sheet.set_paper(9)  # A4


def write_sheets(target, subjects: list[CampaignSubject]) -> None:
    """One sheet per enterprise: the printable joint record, with empty result columns."""
    workbook, formats = open_workbook(target)
    if not subjects:
        SheetWriter(workbook, "说明", formats).write(["尚无已组队的检查对象"])
    general: dict[int, list[str]] = {}
    for index, cs in enumerate(subjects, start=1):
        name = f"{index:03d}{cs.subject.name}"[:31]
        for bad in "[]:*?/\\":
            name = name.replace(bad, "_")
        _write_sheet(SheetWriter(workbook, name, formats), sheet_of(cs, general))
    workbook.close()


def staffed_subjects(campaign: Campaign) -> list[CampaignSubject]:
    return [cs for cs in campaign.subjects if cs.status == DrawnStatus.ACTIVE and cs.active_members]


DISPATCH_HEADERS = ["序号", "检查日期", "被检查单位", "统一社会信用代码", "地址", "单位联系人及电话", "检查组长",
                    "组长手机", "检查组成员（部门、执法证号、手机）"]


def write_dispatch(target, campaign: Campaign) -> None:
    """The grouping for the lead department: per enterprise, the date, the leader and every member with mobile."""
    rows = []
    subjects = sorted(staffed_subjects(campaign), key=lambda cs: (cs.visit_date or campaign.visit_end,
                                                                   cs.subject.credit_code))
    for index, cs in enumerate(subjects, start=1):
        leader = cs.leader
        members = "\n".join([*(f"{m.inspector.name}（{m.department.name}，{m.inspector.cert_no}，{m.inspector.mobile}）"
                                for m in cs.active_members),
                              *(f"{a.expert.name}（随同检查专家，{a.expert.where}，{a.expert.phone}）"
                                for a in cs.expert_assignments)])
        contact = f"{cs.subject.safety_manager or cs.subject.legal_rep} " \
                  f"{cs.subject.safety_manager_phone or cs.subject.legal_rep_phone}"
        rows.append([index, cs.visit_date, cs.subject.name, cs.subject.credit_code, cs.subject.address,
                     contact.strip(), leader.inspector.name if leader else "", leader.inspector.mobile if leader else "",
                     members])
    write_list(target, "派发清单", f"{campaign.name}检查分组派发清单", DISPATCH_HEADERS, rows)
