"""The audit log in the office's words: each entry a sentence that names the people, enterprises and campaigns it
touched, with values as a clerk reads them (names for ids, lists as lists, Chinese for stored English words)."""
from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import unquote

import sqlalchemy as sa

from ..auth.models import Department, User
from ..campaigns.models import CampaignItem, CampaignSubject, Confirmation, Draw, TeamMember
from ..campaigns.rules import MUST_FLAG_LABELS
from ..directories.models import Inspector, Subject, Zone
from ..extensions import db
from ..items.models import Item
from ..plans.models import Plan, PlanTask
from ..results.models import DepartmentResult, InspectionRecord
from ..states import DrawKind, DrawnStatus
from ..vocab import ROLES
from .models import AuditEntry

VERBS = {"insert": "新增了", "update": "修改了", "delete": "删除了", "import": "导入了", "draw": "完成了",
         "login": "登录了系统", "logout": "退出了登录", "unlock": "解除了登录限制：", "download": "下载了",
         "denied": "被拒绝访问", "seed": "算出了", "make_accounts": "建立了检查人员个人账号：",
         "reset_password": "重置了初始密码：", "api": "经数据接口读取了", "move_visit": "调整了检查日期：",
         "agree_visit": "确认了检查日期：", "export": "导出了", "propose": "生成了"}
# Stored English words, per field, as the office says them. A status column (states.py) says its own label; these
# are the words of other fields, and of what columns renamed since logged (campaign_subject.state).
VALUE_WORDS = {
    "kind": DrawKind.labels(),
    "state": DrawnStatus.labels(),
    "role": ROLES,
    "mode": {"ratio": "按比例", "count": "按数量", "all": "全部抽取"},
    "rule": {"commit_reveal": "各方共同产生", "witness": "见证人报出"},
    "must_flags": MUST_FLAG_LABELS,
    "flags": MUST_FLAG_LABELS,
}
# Columns holding the id of a row of another table, and that table.
REFERENCES = {
    "department_id": "department", "lead_department_id": "department", "initiating_department_id": "department",
    "department_ids": "department", "joint_departments": "department",
    "user_id": "user_account", "operator_id": "user_account", "created_by_id": "user_account",
    "submitted_by_id": "user_account", "reviewed_by_id": "user_account", "entered_by_id": "user_account",
    "uploaded_by_id": "user_account", "opened_by_id": "user_account",
    "subject_id": "subject", "inspector_id": "inspector", "item_id": "item", "plan_id": "plan",
    "plan_task_id": "plan_task", "campaign_id": "campaign", "campaign_subject_id": "campaign_subject",
    "replaced_by_id": "campaign_subject", "draw_id": "draw_record", "record_id": "inspection_record",
    "part_id": "department_result", "department_result_id": "department_result", "campaign_item_id": "campaign_item",
    "draw": "draw_record", "committed_by_id": "user_account", "revealed_by_id": "user_account",
    "reported_by_id": "user_account", "confirmed_by_id": "user_account", "tasks": "plan_task",
    "changed_by_id": "user_account", "task_id": "plan_task",
}
REFERENCE_OVERRIDES = {("item_version", "replaced_by_id"): "user_account"}
FINGERPRINTS = {"locked_sha256", "input_sha256", "hash", "prev_hash", "sha256", "commitment", "token_sha256"}
# "slot" is a seed party's place in the seed's order; the entry names the party by its "label".
HIDDEN_FIELDS = {"id", "created_at", "updated_at", "singleton", "problem", "result", "stored_as", "endpoint", "slot"}
# Fields holding seed parties by slot ("office", "dept:<code>", "witness"), said by the party's name.
SLOT_FIELDS = {("seed_round", "left_out")}
# Visit dates read as one sentence with the old and the new date (older entries also kept the operator's user name
# in "by": the entry's author says who).
VISIT_ACTIONS = {"move_visit", "agree_visit"}
WITHOUT_OBJECT = {"login", "logout"}  # "张三登录了系统": the account is the person


def _simple():
    from ..campaigns.models import Campaign  # the campaign's name, by id
    return {"department": Department.name, "user_account": User.display_name, "subject": Subject.name,
            "inspector": Inspector.name, "item": Item.name, "plan": Plan.name, "plan_task": PlanTask.name,
            "zone": Zone.name, "campaign": Campaign.name}


def _drawn(ids):
    rows = db.session.execute(sa.select(CampaignSubject.id, Subject.name).join(Subject)
                              .where(CampaignSubject.id.in_(ids))).all()
    return {i: f"抽取的检查对象“{name}”" for i, name in rows}


def _draws(ids):
    rows = db.session.execute(sa.select(Draw.id, Draw.kind, Draw.note).where(Draw.id.in_(ids))).all()
    return {i: DrawKind(kind).label + "记录" + (f"（{note}）" if note else "") for i, kind, note in rows}


def _campaign_items(ids):
    rows = db.session.execute(sa.select(CampaignItem.id, CampaignItem.data).where(CampaignItem.id.in_(ids))).all()
    return {i: f"抽查事项“{(data or {}).get('name', '')}”" for i, data in rows}


def _members(ids):
    rows = db.session.execute(
        sa.select(TeamMember.id, Inspector.name, Subject.name).join(Inspector, TeamMember.inspector)
        .join(CampaignSubject, TeamMember.campaign_subject).join(Subject, CampaignSubject.subject)
        .where(TeamMember.id.in_(ids))).all()
    return {i: f"“{subject}”检查组的{inspector}" for i, inspector, subject in rows}


def _confirmations(ids):
    rows = db.session.execute(
        sa.select(Confirmation.id, Department.name, Subject.name).join(Department, Confirmation.department)
        .join(CampaignSubject, Confirmation.campaign_subject).join(Subject, CampaignSubject.subject)
        .where(Confirmation.id.in_(ids))).all()
    return {i: f"{department}对“{subject}”的确认" for i, department, subject in rows}


def _records(ids):
    rows = db.session.execute(
        sa.select(InspectionRecord.id, Subject.name).join(CampaignSubject, InspectionRecord.campaign_subject)
        .join(Subject, CampaignSubject.subject).where(InspectionRecord.id.in_(ids))).all()
    return {i: f"“{subject}”的检查记录" for i, subject in rows}


def _results(ids):
    rows = db.session.execute(
        sa.select(DepartmentResult.id, Department.name, Subject.name).join(Department, DepartmentResult.department)
        .join(InspectionRecord, DepartmentResult.record).join(CampaignSubject, InspectionRecord.campaign_subject)
        .join(Subject, CampaignSubject.subject).where(DepartmentResult.id.in_(ids))).all()
    return {i: f"{department}对“{subject}”的检查结果" for i, department, subject in rows}


# Names that say what the row is ("商务局对“…”的检查结果"): the sentence does not repeat the table's label.
COMPOSED = {"campaign_subject": _drawn, "draw_record": _draws, "team_member": _members,
            "confirmation": _confirmations, "inspection_record": _records, "department_result": _results,
            "campaign_item": _campaign_items}


def _names_of(table: str, ids: set) -> dict[int, str]:
    """A short name for each row of `table` among `ids` (rows deleted since are simply missing)."""
    ids = {i for i in ids if isinstance(i, int)}
    if not ids:
        return {}
    if table in COMPOSED:
        return COMPOSED[table](ids)
    column = _simple().get(table)
    if column is None:
        return {}
    key = column.class_.id
    return dict(db.session.execute(sa.select(key, column).where(key.in_(ids))).all())


@dataclass
class Said:
    """One entry as read: the sentence, and a line per changed field."""

    sentence: str
    details: list[str] = field(default_factory=list)


def _status_label(entity: str, key: str, value: str) -> str | None:
    """The Chinese label of a stored status, when the column holds one (states.py) and the value is one of it."""
    table = db.metadata.tables.get(entity)
    column = table.columns.get(key) if table is not None else None
    kind = getattr(column, "type", None)
    enum = getattr(kind, "enum_class", None) if isinstance(kind, sa.Enum) else None
    return enum.labels().get(value) if enum is not None and hasattr(enum, "labels") else None


class Wording:
    """Sentences for a page of entries; the names they need are looked up once per table."""

    def __init__(self, entries: list[AuditEntry], entity_labels: dict[str, str], field_label):
        self.entity_labels, self.field_label = entity_labels, field_label
        self.changes = {e.seq: json.loads(e.changes) for e in entries}
        wanted: dict[str, set[int]] = defaultdict(set)
        for e in entries:
            if e.entity_id and e.entity_id.isdigit():
                wanted[e.entity].add(int(e.entity_id))
            changes = self.changes[e.seq]
            for side in ("before", "after"):
                for key, value in (changes.get(side) or {}).items():
                    table = self._reference(e.entity, key)
                    if table:
                        wanted[table].update(value if isinstance(value, list) else [value])
        self.names = {table: _names_of(table, ids) for table, ids in wanted.items()}

    @staticmethod
    def _reference(entity: str, key: str) -> str | None:
        return REFERENCE_OVERRIDES.get((entity, key)) or REFERENCES.get(key)

    def name(self, table: str, row_id) -> str | None:
        if isinstance(row_id, str) and row_id.isdigit():
            row_id = int(row_id)
        return self.names.get(table, {}).get(row_id)

    def value(self, entity: str, key: str, value) -> str:
        """A logged value as the office reads it."""
        table = self._reference(entity, key)
        if value is None or value == "" or value == []:
            return "（空）"
        if table:
            values = value if isinstance(value, list) else [value]
            # a row kept by name (a plan task version's "data" names its departments) is said as it is
            return "、".join(self.name(table, v) or (v if isinstance(v, str) and not v.isdigit() else f"编号{v}")
                            for v in values)
        if (entity, key) in SLOT_FIELDS:
            return "、".join(map(self._party, value if isinstance(value, list) else [value]))
        if isinstance(value, bool):
            return "是" if value else "否"
        if key in FINGERPRINTS and isinstance(value, str):
            return f"指纹 {value[:8]}…"
        if isinstance(value, dict) and set(value) == {"length", "sha256"}:
            return f"（长内容，{value['length']:,}字）"
        if isinstance(value, list):
            return "、".join(self.value(entity, key, v) for v in value)
        if isinstance(value, dict):
            return "；".join(f"{self.field_label(entity, k) if k else '未分类'}：{self.value(entity, k, v)}"
                            for k, v in value.items())
        if not isinstance(value, str):
            return str(value)
        return VALUE_WORDS.get(key, {}).get(value) or _status_label(entity, key, value) or value

    def _party(self, slot) -> str:
        """A seed round's party by its slot: the office, the witness, or a department by its code."""
        if slot == "office":
            return "领导小组办公室"
        if slot == "witness":
            return "见证人"
        code = str(slot).removeprefix("dept:")
        if not hasattr(self, "_departments"):
            self._departments = dict(db.session.execute(sa.select(Department.code, Department.name)).all())
        return self._departments.get(code, str(slot))

    def say(self, entry: AuditEntry) -> Said:
        changes = self.changes[entry.seq]
        before, after = changes.get("before") or {}, changes.get("after") or {}
        if entry.action in VISIT_ACTIONS:
            return Said(self._visit(entry, before, after))
        verb = VERBS.get(entry.action, entry.action)
        sentence = f"{entry.user_name or '系统'}{verb}"
        if entry.action == "download":
            sentence += f"文件“{_file_name(after.get('file') or before.get('file') or '')}”"
        elif entry.action not in WITHOUT_OBJECT:
            sentence += self._object(entry, before, after)
        details = []
        for key in dict.fromkeys([*before, *after]):
            if key in HIDDEN_FIELDS or (entry.action == "download" and key == "file"):
                continue
            label = self.field_label(entry.entity, key)
            if entry.action == "update":
                details.append(f"{label}：由 {self.value(entry.entity, key, before.get(key))} "
                               f"改为 {self.value(entry.entity, key, after.get(key))}")
            elif entry.action == "delete":
                details.append(f"{label}：{self.value(entry.entity, key, before.get(key))}")
            else:
                details.append(f"{label}：{self.value(entry.entity, key, after.get(key))}")
        return Said(sentence, details)

    def _visit(self, entry: AuditEntry, before: dict, after: dict) -> str:
        """The lead department agreed a visit date, or moved it: one sentence with the dates and who did it."""
        who, what = entry.user_name or "系统", self._object(entry, before, after)
        new = self.value(entry.entity, "visit_date", after.get("visit_date"))
        if entry.action == "move_visit":
            old = self.value(entry.entity, "visit_date", before.get("visit_date"))
            return f"{who}把{what}的检查日期由 {old} 调整为 {new}"
        return f"{who}确认了{what}的检查日期 {new}"

    def _object(self, entry: AuditEntry, before: dict, after: dict) -> str:
        """What the entry changed: a composed name as it is, else the table's label and the row's name."""
        named = self.name(entry.entity, entry.entity_id)
        if named and entry.entity in COMPOSED:
            return named
        what = self.entity_labels.get(entry.entity, entry.entity)
        named = named or after.get("name") or before.get("name") or after.get("display_name") \
            or before.get("display_name")
        return f"{what}“{named}”" if named else what


def _file_name(disposition: str) -> str:
    """The file name a download's Content-Disposition gives, as the user saw it."""
    if "filename*=UTF-8''" in disposition:
        return unquote(disposition.split("filename*=UTF-8''", 1)[1].split(";")[0])
    if "filename=" in disposition:
        return disposition.split("filename=", 1)[1].split(";")[0].strip('"')
    return disposition or "（未记录）"
