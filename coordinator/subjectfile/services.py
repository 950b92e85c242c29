"""The enterprise's file, newest first, as one viewer may read it.

Three readings: the public's (published records of campaigns the public may see — never inspectors, contacts,
problem descriptions or photos, never a covert campaign before it ends); a department's that took no part in an
inspection (the same, plus the draw's facts and the directory's own history); and the office's or a taking-part
department's (everything: team names, confirmations, problems, follow-ups, photos, unpublished records).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..campaigns.models import Campaign, CampaignSubject, Draw, DrawProbability
from ..campaigns.rules import MUST_FLAG_LABELS, coverage_rule_ids, subject_flags
from ..directories.models import Subject
from ..exchange.models import ReplacementFlag
from ..extensions import db
from ..followups import models as _followups  # noqa: F401  (DepartmentResult.follow_up_rows)
from ..public.services import is_visible
from ..results.models import DepartmentResult, InspectionRecord, ItemResult
from ..states import DrawKind, RecordStatus


@dataclass
class Entry:
    """One event of the file: an inspection (drawn), a draw that considered it, or a change to the directory."""

    on: date
    kind: str  # 抽查检查 / 参与抽取 / 经营状态 / 信用风险分类 / 登记变更
    title: str
    lines: list[str] = field(default_factory=list)
    campaign_subject: CampaignSubject | None = None
    record: InspectionRecord | None = None
    full: bool = False  # the viewer reads everything of this inspection
    team: list[str] | None = None  # inspector names, only for viewers allowed to see them
    results: list[dict] = field(default_factory=list)


def _public_record(record: InspectionRecord | None) -> bool:
    return record is not None and record.status == RecordStatus.PUBLISHED


def _takes_part(user, campaign: Campaign, record: InspectionRecord | None) -> bool:
    if user is None:
        return False
    if user.is_office:
        return True
    if record is not None and record.can_be_read_by(user):
        return True
    return not user.is_inspector and campaign.campaign_department(user.department_id) is not None


def _must_reason(cs: CampaignSubject) -> str:
    if not cs.must:
        return ""
    campaign, subject = cs.campaign, cs.subject
    reasons = [MUST_FLAG_LABELS[f] for f in subject_flags(campaign.must_flags) if getattr(subject, f, False)]
    if coverage_rule_ids(campaign.must_flags):
        reasons.append("覆盖规则要求本期检查")
    return "、".join(reasons) or "必查"


def _results(record: InspectionRecord, full: bool) -> list[dict]:
    out = []
    for part in record.department_results:
        follow_ups = [f"{f.kind.label}：{f.status.label}" + (f"（{f.closed_on:%Y-%m-%d}办结）" if f.closed_on else "")
                      for f in part.follow_up_rows] or list(part.follow_ups or [])
        out.append({
            "department": part.department.name,
            "items": [{"name": i.campaign_item.data.get("name", ""), "result": i.result, "problems": i.problems,
                       "description": i.description if full else ""} for i in part.items],
            "follow_ups": follow_ups,
            "note": part.note if full else "",
            "photos": list(part.attachments) if full else [],
        })
    return out


def _inspection(cs: CampaignSubject, user, public: bool, flags: dict) -> Entry | None:
    campaign, record = cs.campaign, cs.record
    full = not public and _takes_part(user, campaign, record)
    if not full:
        if not is_visible(campaign):
            return None  # a covert campaign before it ends: not even the fact of the draw
        if public and not _public_record(record):
            return None
    day = (record.inspected_on if record else None) or cs.visit_date or campaign.visit_start
    entry = Entry(day, "抽查检查", campaign.name, campaign_subject=cs, record=record, full=full)
    if not public:
        entry.lines.append(f"分层：{cs.stratum}；入样概率 {percent(cs.probability)}" + (
            f"；必查（{_must_reason(cs)}）" if cs.must else ""))
        entry.lines.append(f"抽取状态：{cs.status.label}" + (f"（{cs.dropped_reason}）" if cs.dropped_reason else ""))
    if full:
        for c in cs.confirmations:
            entry.lines.append(f"{c.department.name}确认：{c.decision.label}" + (f"（{c.reason}）" if c.reason else "")
                               + f"，{c.at:%Y-%m-%d %H:%M}")
        for flag in flags.get(cs.id, []):
            entry.lines.append(f"登记系统提示：{flag.change.kind} {flag.change.new_value}")
        entry.team = [f"{m.inspector.name}（{m.department.name}{'，组长' if m.is_leader else ''}"
                      f"{'，已回避：' + m.recusal_reason if m.recused_at else ''}）" for m in cs.members]
    if cs.visit_date:
        entry.lines.append(f"检查日期：{cs.visit_date:%Y-%m-%d}" if not record or not record.inspected_on
                           else f"检查日期：{record.inspected_on:%Y-%m-%d}")
    if record is not None and (full or _public_record(record)):
        entry.lines.append(f"检查记录：{record.status.label}"
                           + (f"，{record.published_at:%Y-%m-%d}公示" if record.published_at else ""))
        entry.results = _results(record, full)
    return entry


def percent(probability: float) -> str:
    """An inclusion probability for reading: 12.3%, 0.0417%, 100%."""
    return f"{probability * 100:.3g}%"


def _considered(subject: Subject, drawn_campaigns: set[int], user, public: bool) -> list[Entry]:
    """Draws that considered the enterprise but did not draw it: its stratum, weight and its own inclusion
    probability in that draw (recorded when the draw ran: the very number the draw used)."""
    if public:
        return []
    rows = db.session.execute(
        sa.select(DrawProbability, Draw, Campaign).join(Draw, Draw.id == DrawProbability.draw_id)
        .join(Campaign, Campaign.id == Draw.campaign_id)
        .where(DrawProbability.subject_id == subject.id, Draw.kind.in_((DrawKind.SUBJECTS, DrawKind.REPLACEMENT)),
               Draw.campaign_id.not_in(drawn_campaigns or [-1]))
        .order_by(Draw.id.desc())).all()  # newest first, also within a day (stable sort below)
    out = []
    for mine, draw, campaign in rows:
        if not is_visible(campaign) and not _takes_part(user, campaign, None):
            continue
        rate = f"，本层 {mine.population} 户抽取 {mine.drawn} 户" if mine.population else ""
        label = "参与替换抽取" if draw.kind == DrawKind.REPLACEMENT else "参与抽取"
        out.append(Entry((draw.drawn_at or draw.locked_at).date(), label, campaign.name,
                         [f"分层：{mine.stratum}；权重 {mine.weight:g}；入样概率 {percent(mine.probability)}{rate}；未被抽中"]))
    return out


def history(subject: Subject, user=None, *, public: bool = False) -> list[Entry]:
    """The enterprise's file, newest first, as `user` (None with `public`: anyone) may read it."""
    drawn = db.session.scalars(
        sa.select(CampaignSubject).where(CampaignSubject.subject_id == subject.id)
        .options(selectinload(CampaignSubject.campaign), selectinload(CampaignSubject.confirmations),
                 selectinload(CampaignSubject.members),
                 selectinload(CampaignSubject.record).selectinload(InspectionRecord.department_results)
                 .options(selectinload(DepartmentResult.items).selectinload(ItemResult.campaign_item),
                          selectinload(DepartmentResult.attachments),
                          selectinload(DepartmentResult.follow_up_rows)))
        .order_by(CampaignSubject.id.desc())).all()  # newest first, also within a day (stable sort below)
    flags: dict[int, list[ReplacementFlag]] = {}
    if not public:
        for flag in db.session.scalars(sa.select(ReplacementFlag).options(selectinload(ReplacementFlag.change))
                                       .where(ReplacementFlag.campaign_subject_id.in_([cs.id for cs in drawn]))
                                       .order_by(ReplacementFlag.id)):
            flags.setdefault(flag.campaign_subject_id, []).append(flag)
    entries = [e for cs in drawn if (e := _inspection(cs, user, public, flags)) is not None]
    entries += _considered(subject, {cs.campaign_id for cs in drawn}, user, public)
    if not public:
        for change in subject.status_changes:
            entries.append(Entry(change.changed_on, "经营状态", f"{change.old_status.label} → {change.new_status.label}",
                                 [f"来源：{change.reason}" + (f"（{change.user.display_name}）" if change.user else "")]))
        for rating in getattr(subject, "risk_ratings", []):
            entries.append(Entry(rating.rated_on, "信用风险分类", f"{rating.old_class or '未分类'} → {rating.new_class}",
                                 [f"来源：{rating.source}"]))
        for change in getattr(subject, "registration_changes", []):
            entries.append(Entry(change.changed_on, "登记变更", f"{change.kind}：{change.old_value} → {change.new_value}",
                                 [f"来源：{change.source}"]))
    return sorted(entries, key=lambda e: (e.on, e.kind == "抽查检查"), reverse=True)


HEADERS = ("日期", "类别", "事项", "详情", "检查组（执法人员）")
RESULT_HEADERS = ("检查日期", "抽查", "部门", "检查事项", "检查结果", "问题数", "问题描述", "后续处置", "备注", "现场照片")


def _facts(subject: Subject) -> list[tuple[str, str]]:
    """The enterprise's own facts, as the page's 基本信息 shows them, without its people's names and phones."""
    from ..vocab import HISTORY_FLAGS, RISK_LABELS

    return [(subject.code_kind, subject.credit_code), ("单位名称", subject.name), ("地址", subject.address),
            ("经营状态", subject.status.label), ("单位类型", subject.unit_type),
            ("行业主管部门", subject.supervising_department), ("乡镇", subject.region), ("行业", subject.industry),
            ("单位类别", subject.category + ("（人员密集场所）" if subject.crowded else "")),
            ("信用风险分类", RISK_LABELS.get(subject.risk_class, "未分类")),
            ("历史情况", "、".join(label for flag, label in HISTORY_FLAGS.items() if getattr(subject, flag)) or "无")]


def write_file(target, subject: Subject, user=None, *, public: bool = False) -> None:
    """The file as one .xlsx: the history, every item result (with the department's note and its photos' names, as
    far as the reader may see them), and the enterprise's basic facts."""
    from ..excel.writer import SheetWriter, open_workbook

    entries = history(subject, user, public=public)
    workbook, formats = open_workbook(target)
    sheet = SheetWriter(workbook, "一企一档", formats)
    sheet.title(f"{subject.name}（{subject.credit_code}）检查档案", len(HEADERS))
    sheet.header(HEADERS, (12, 12, 36, 60, 40))
    for e in entries:
        sheet.write((e.on, e.kind, e.title, "\n".join(e.lines),
                     "；".join(e.team) if e.team is not None else ("" if e.kind != "抽查检查" else "不公开")))
    results = SheetWriter(workbook, "检查结果", formats)
    results.header(RESULT_HEADERS, (12, 30, 16, 30, 12, 8, 40, 30, 30, 40))
    for e in entries:
        for part in e.results:
            photos = "、".join(f"{a.filename}（{a.uploaded_at:%Y-%m-%d %H:%M}）" for a in part["photos"])
            for item in part["items"] or [{"name": "", "result": "", "problems": "", "description": ""}]:
                results.write((e.on, e.title, part["department"], item["name"], item["result"], item["problems"],
                               item["description"], "、".join(part["follow_ups"]), part["note"], photos))
    facts = SheetWriter(workbook, "基本信息", formats)
    facts.header(("项目", "内容"), (16, 60))
    for label, value in _facts(subject):
        facts.write((label, value))
    workbook.close()
