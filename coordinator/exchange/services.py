"""Exchange services: each source's freshness, the publicity export and its history, flags for replacement,
API clients and their tokens. Routes, the command line and the API call these."""
from __future__ import annotations

import csv
import hashlib
import io
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app, has_request_context
from flask_login import current_user
from sqlalchemy.orm import selectinload

from ..auth.models import Department, User
from ..campaigns.models import Campaign, CampaignSubject, without_team
from ..directories.models import Subject
from ..excel.importing import on_applied
from ..excel.writer import SheetWriter, open_workbook, safe_text
from ..extensions import db
from ..public.services import visible
from ..results.models import RESULTS, DepartmentResult, InspectionRecord, ItemResult
from ..states import CampaignKind, CampaignStatus, DrawnStatus, RecordStatus, SubjectStatus
from ..timeutil import now, today
from .models import (
    SOURCES,
    ApiClient,
    MissingSubject,
    PublicityExport,
    PublicityExportRow,
    ReplacementFlag,
    RiskRating,
    SourceRefresh,
)


class ExchangeError(ValueError):
    """An exchange that cannot be done; the message is one Chinese sentence."""


def actor() -> tuple[int | None, str]:
    """Who is doing this: the signed-in user, else the command line."""
    if has_request_context() and current_user.is_authenticated:
        return current_user.id, current_user.display_name
    return None, "命令行" if click.get_current_context(silent=True) is not None else "系统"


# ---- freshness of each source ------------------------------------------------------------------------

# Oldest a source may get before the workbench reminds the office (days). Seed 003: the directory at least yearly.
DEFAULT_MAX_AGE_DAYS = {"directory": 365, "risk": 365, "registration": 30, "personnel": 365}


def max_age_days() -> dict[str, int]:
    return {**DEFAULT_MAX_AGE_DAYS, **current_app.config.get("EXCHANGE_MAX_AGE_DAYS", {})}


@on_applied
def record_refresh(importer, report) -> None:
    """Every applied import of a watched source (see Importer.source) renews it, even when nothing changed:
    the office then knows the data was checked against the source on that day."""
    if importer.source not in SOURCES:
        return
    user_id, user_name = actor()
    # By a Core insert: the import's own summary entry in the audit log already says all this.
    db.session.execute(sa.insert(SourceRefresh).values(
        source=importer.source, at=now(), user_id=user_id, user_name=user_name[:64], filename=report.filename[:200],
        total=report.total, changed=report.created + report.updated, refused=len(report.refused)))


@dataclass
class Freshness:
    source: str
    label: str
    max_age: int
    last: SourceRefresh | None

    @property
    def age(self) -> int | None:
        return None if self.last is None else (today() - self.last.at.date()).days

    @property
    def stale(self) -> bool:
        return self.last is None or self.age > self.max_age


def freshness() -> list[Freshness]:
    latest = sa.select(SourceRefresh.source, sa.func.max(SourceRefresh.id).label("id")).group_by(SourceRefresh.source)
    last = {r.source: r for r in db.session.scalars(
        sa.select(SourceRefresh).where(SourceRefresh.id.in_(sa.select(latest.subquery().c.id))))}
    ages = max_age_days()
    return [Freshness(source, label, ages[source], last.get(source)) for source, label in SOURCES.items()]


def reminders() -> list[str]:
    """The workbench's lines for the office: sources older than their age, enterprises to replace."""
    lines = []
    for f in freshness():
        if f.last is None:
            lines.append(f"{f.label}尚未导入过（应至少每{f.max_age}天更新一次）")
        elif f.stale:
            lines.append(f"{f.label}已 {f.age} 天未更新（上次 {f.last.at:%Y-%m-%d}，应至少每{f.max_age}天更新一次）")
    flags = open_flags()
    if flags:
        lines.append(f"{len(flags)} 户已抽中的检查对象登记状态已变更，待替换抽取")
    return lines


def risk_currency() -> dict:
    """How current the credit-risk classes are: last import, and the share of active enterprises rated within a year."""
    last = next(f for f in freshness() if f.source == "risk")
    latest = sa.select(RiskRating.subject_id, sa.func.max(RiskRating.rated_on).label("rated_on")) \
        .group_by(RiskRating.subject_id).subquery()
    active, rated, recent = db.session.execute(
        sa.select(sa.func.count(Subject.id), sa.func.count(latest.c.rated_on),
                  sa.func.count(latest.c.rated_on).filter(latest.c.rated_on >= today() - timedelta(days=365)))
        .select_from(Subject).outerjoin(latest, latest.c.subject_id == Subject.id)
        .where(Subject.status == SubjectStatus.ACTIVE)).one()
    return {"last": last.last, "age": last.age, "stale": last.stale, "max_age": last.max_age, "active": active,
            "rated": rated, "recent": recent, "recent_rate": recent * 100 / active if active else None}


def missing_subjects():
    """Codes outside lists named that the directory still lacks, newest first."""
    return (sa.select(MissingSubject)
            .where(~sa.exists().where(Subject.credit_code == MissingSubject.credit_code))
            .order_by(MissingSubject.last_seen.desc(), MissingSubject.id.desc()))


def open_flags() -> list[ReplacementFlag]:
    """Flags whose enterprise is still drawn (not replaced) in a campaign that is not finished."""
    return db.session.scalars(
        sa.select(ReplacementFlag).join(CampaignSubject, ReplacementFlag.campaign_subject_id == CampaignSubject.id)
        .join(Campaign, CampaignSubject.campaign_id == Campaign.id)
        .where(CampaignSubject.status == DrawnStatus.ACTIVE, Campaign.status != CampaignStatus.FINISHED)
        .options(selectinload(ReplacementFlag.change),
                 selectinload(ReplacementFlag.campaign_subject).selectinload(CampaignSubject.campaign),
                 *without_team(ReplacementFlag.campaign_subject))
        .order_by(ReplacementFlag.id)).all()


# ---- results out: the credit publicity system's 抽查检查结果 ----------------------------------------------

# The columns of 抽查检查结果信息 as the national enterprise credit publicity system shows them (检查实施机关, 类型,
# 日期, 结果, 备注) with the enterprise's code and name in front, the publication date and whether it is new.
PUBLICITY_HEADERS = ("统一社会信用代码/注册号", "企业名称", "检查实施机关", "类型", "日期", "结果", "备注", "公示日期",
                     "本次新增")
JOINT, SINGLE, SPECIAL = "部门联合双随机抽查", "双随机抽查", "专项"
# Which item result speaks for a department's department_result: the enterprise's own state first, then problems.
RESULT_RANK = {result: rank for rank, result in enumerate(reversed((
    "通过登记的住所（经营场所）无法联系", "已关闭停业或正在组织清算", "迁移、注销等其他情况", "不配合检查情节严重",
    "未发现开展本次抽查涉及的经营活动", "发现问题待后续处理", "发现问题已责令改正", "未发现问题")))}
assert set(RESULT_RANK) == set(RESULTS)


@dataclass(frozen=True)
class Scope:
    key: str  # "year:2024" / "campaign:7"
    label: str
    year: int | None = None
    campaign_id: int | None = None

    @property
    def filename(self) -> str:
        return f"抽查检查结果_{self.label}"


def parse_scope(year: str | int | None, campaign_id: str | int | None) -> Scope:
    year, campaign_id = (str(v).strip() if v is not None else "" for v in (year, campaign_id))
    if bool(year) == bool(campaign_id):
        raise ExchangeError("请指定年度或联合抽查之一（--year 与 --campaign 二选一）")
    if year:
        if not year.isdigit() or not 2000 <= int(year) <= 2100:
            raise ExchangeError(f"年度“{year[:20]}”无效，应为 2000～2100 之间的四位数字")
        return Scope(f"year:{int(year)}", f"{int(year)}年", year=int(year))
    if not campaign_id.isdigit() or not 1 <= int(campaign_id) <= 2**31 - 1:
        raise ExchangeError(f"联合抽查编号“{campaign_id[:20]}”无效")
    campaign = db.session.get(Campaign, int(campaign_id))
    if campaign is None:
        raise ExchangeError(f"联合抽查 {campaign_id} 不存在")
    return Scope(f"campaign:{campaign.id}", campaign.name, campaign_id=campaign.id)


def _published_department_results(scope: Scope):
    """Handed-in department results of published records in scope that the public may see (a covert campaign once
    ended).

    A year is the year of publication: the export tells the publicity system what was published."""
    query = (sa.select(DepartmentResult)
             .join(InspectionRecord, DepartmentResult.record_id == InspectionRecord.id)
             .join(CampaignSubject, InspectionRecord.campaign_subject_id == CampaignSubject.id)
             .join(Campaign, CampaignSubject.campaign_id == Campaign.id)
             .join(Subject, CampaignSubject.subject_id == Subject.id)
             .where(InspectionRecord.status == RecordStatus.PUBLISHED, DepartmentResult.submitted_at.is_not(None), visible())
             .options(selectinload(DepartmentResult.record).selectinload(InspectionRecord.department_results),
                      selectinload(DepartmentResult.record).selectinload(InspectionRecord.campaign_subject)
                      .selectinload(CampaignSubject.campaign),
                      *without_team(DepartmentResult.record, InspectionRecord.campaign_subject),
                      selectinload(DepartmentResult.items).selectinload(ItemResult.campaign_item))
             .order_by(InspectionRecord.published_at, Subject.credit_code, DepartmentResult.department_id,
                       DepartmentResult.id))
    if scope.campaign_id is not None:
        return query.where(Campaign.id == scope.campaign_id)
    start = datetime(scope.year, 1, 1)
    return query.where(InspectionRecord.published_at >= start, InspectionRecord.published_at < start.replace(year=scope.year + 1))


def overall_result(items: list[ItemResult]) -> str:
    """A department result in the national vocabulary: the weightiest of its items' results."""
    if not items:
        return "未发现问题"
    return max((i.result for i in items), key=lambda r: RESULT_RANK.get(r, -1))


def inspection_type(department_result: DepartmentResult) -> str:
    """类型 by the campaign's kind, never its name: a special inspection is 专项, a department's own one is 双随机抽查,
    and a joint campaign's visit is 部门联合双随机抽查 when two or more departments went."""
    kind = department_result.record.campaign_subject.campaign.kind
    if kind == CampaignKind.SPECIAL:
        return SPECIAL
    if kind == CampaignKind.INTERNAL:
        return SINGLE
    return JOINT if len(department_result.record.department_results) > 1 else SINGLE


def authority(department: Department) -> str:
    county = current_app.config.get("COUNTY_NAME", "")
    return department.name if department.name.startswith(county) else county + department.name


def publicity_row(department_result: DepartmentResult) -> tuple:
    record = department_result.record
    cs = record.campaign_subject
    inspected = record.inspected_on or cs.visit_date
    detail = "；".join(f"{i.campaign_item.data.get('name', '')}：{i.result}" for i in department_result.items)
    published = record.published_at.date() if record.published_at else None
    return (cs.subject.credit_code, cs.subject.name, authority(department_result.department),
            inspection_type(department_result), inspected, overall_result(department_result.items), detail, published)


def _fingerprint(row: tuple) -> str:
    text = "\x1f".join("" if v is None else v.isoformat() if isinstance(v, date) else str(v) for v in row)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class PublicityExportResult:
    export: PublicityExport
    previous: PublicityExport | None
    rows: list[tuple] = field(default_factory=list)  # as written, the 本次新增 column last

    def summary(self) -> str:
        since = (f"自上次导出（{self.previous.created_at:%Y-%m-%d %H:%M}，{self.previous.user_name}）以来新增或变更"
                 if self.previous else "首次导出，全部为新增")
        shown = "（只导出新增行）" if self.export.new_only else ""
        return f"“{self.export.label}”的抽查检查结果共 {self.export.rows} 行，{since} {self.export.new_rows} 行{shown}"


def last_export(scope_key: str) -> PublicityExport | None:
    return db.session.scalar(sa.select(PublicityExport).where(PublicityExport.scope == scope_key)
                             .order_by(PublicityExport.id.desc()).limit(1))


def export_publicity(scope: Scope, file_format: str, *, new_only: bool = False) -> PublicityExportResult:
    """Build the rows, mark those new since the last export of the same scope, and record this export (the caller
    commits once the file is written)."""
    if file_format not in ("xlsx", "csv"):
        raise ExchangeError(f"文件格式“{file_format}”无效，应为 xlsx 或 csv")
    previous = last_export(scope.key)
    sent = {} if previous is None else dict(db.session.execute(
        sa.select(PublicityExportRow.department_result_id, PublicityExportRow.fingerprint)
        .where(PublicityExportRow.export_id == previous.id)).all())
    user_id, user_name = actor()
    export = PublicityExport(scope=scope.key, label=scope.label[:200], file_format=file_format, user_id=user_id,
                             user_name=user_name[:64], new_only=new_only)
    rows, kept, new_count = [], [], 0
    for department_result in db.session.scalars(_published_department_results(scope)):
        row = publicity_row(department_result)
        fingerprint = _fingerprint(row)
        new = sent.get(department_result.id) != fingerprint
        new_count += new
        kept.append({"department_result_id": department_result.id, "fingerprint": fingerprint})
        if new or not new_only:
            rows.append((*row, "是" if new else "否"))
    export.rows, export.new_rows = len(kept), new_count
    db.session.add(export)
    db.session.flush()
    if kept:
        db.session.execute(sa.insert(PublicityExportRow), [{**k, "export_id": export.id} for k in kept])
    return PublicityExportResult(export, previous, rows)


def write_publicity(target, result: PublicityExportResult) -> None:
    """The rows as .xlsx, or as CSV in UTF-8 with a BOM (Chinese Excel reads it right only with one)."""
    if result.export.file_format == "csv":
        text = io.StringIO(newline="")
        writer = csv.writer(text)
        writer.writerow(PUBLICITY_HEADERS)
        for row in result.rows:
            writer.writerow(["" if v is None else v.isoformat() if isinstance(v, date) else safe_text(str(v))
                             for v in row])
        data = text.getvalue().encode("utf-8-sig")
        if isinstance(target, (str, Path)):
            Path(target).write_bytes(data)
        else:
            target.write(data)
        return
    workbook, formats = open_workbook(str(target) if isinstance(target, Path) else target, constant_memory=True)
    sheet = SheetWriter(workbook, "抽查检查结果", formats)
    sheet.header(PUBLICITY_HEADERS, [22, 30, 22, 18, 12, 26, 50, 12, 9])
    for row in result.rows:
        sheet.write(row)
    workbook.close()


def exports(limit: int = 20) -> list[PublicityExport]:
    return db.session.scalars(sa.select(PublicityExport).order_by(PublicityExport.id.desc()).limit(limit)).all()


# ---- API clients -------------------------------------------------------------------------------------


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_client(name: str, user: User | None) -> tuple[ApiClient, str]:
    """A new client and its token, shown once: only its SHA-256 is stored."""
    name = name.strip()
    if not name:
        raise ExchangeError("请填写调用单位（系统）名称")
    if len(name) > 100:
        raise ExchangeError("调用单位名称过长（最多100字）")
    token = secrets.token_urlsafe(32)
    client = ApiClient(name=name, token_sha256=token_digest(token), token_hint=token[:6],
                       created_by_id=user.id if user else None)
    db.session.add(client)
    return client, token


def revoke_client(client: ApiClient) -> None:
    if client.revoked_at is not None:
        raise ExchangeError(f"“{client.name}”的令牌已于 {client.revoked_at:%Y-%m-%d %H:%M} 吊销")
    client.revoked_at = now()


def client_for(token: str) -> ApiClient | None:
    return db.session.scalar(sa.select(ApiClient).where(ApiClient.token_sha256 == token_digest(token)))


def clients() -> list[ApiClient]:
    return db.session.scalars(sa.select(ApiClient).order_by(ApiClient.revoked_at.is_not(None), ApiClient.id.desc())).all()
