"""Every status and decision the app stores: English values the database checks, Chinese labels for display.

Each is a StrEnum, so a member equals its stored text ("drawn") and sorts in the order declared here; each
member carries its Chinese `label` (what every page, export and message shows) and a `tone` for its tag
(ok / warn / bad / ""). The database column is `db_enum(...)`: a VARCHAR with a CHECK constraint listing the
values, the same on SQLite and PostgreSQL. Excel keeps speaking Chinese: imports read a label with
`from_label`, exports write `.label`.
"""
from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

import sqlalchemy as sa

from .workdays import add_working_days


class Labelled(StrEnum):
    """A StrEnum whose members are declared as `NAME = "value", "中文", "tone"`."""

    label: str
    tone: str

    def __new__(cls, value: str, label: str, tone: str = ""):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        member.tone = tone
        return member

    @classmethod
    def from_label(cls, label: str):
        """The member whose label (or value) is `label`; None when there is none."""
        return next((m for m in cls if label in (m.label, m.value)), None)

    @classmethod
    def labels(cls) -> dict[str, str]:
        return {m.value: m.label for m in cls}


def db_enum(enum: type[Labelled], name: str, length: int = 16) -> sa.Enum:
    """The column type of a status: its values stored as text, checked by a named CHECK constraint."""
    return sa.Enum(enum, name=name, native_enum=False, create_constraint=True, length=length,
                   values_callable=lambda members: [m.value for m in members], validate_strings=True)


class SubjectStatus(Labelled):
    """An enterprise's registered status (经营状态); only active ones are drawn (seed 001: stale entries)."""

    ACTIVE = "active", "存续", "ok"
    SUSPENDED = "suspended", "停业", "warn"
    DEREGISTERED = "deregistered", "注销", "bad"
    MOVED_OUT = "moved_out", "迁出", "warn"
    NOT_FOUND = "not_found", "查无此户", "bad"


class CampaignStatus(Labelled):
    """A joint campaign's stage, in the order it goes through them."""

    COLLECTING = "collecting", "征集事项"
    LOCKED = "locked", "名录已锁定，待抽取", "warn"
    DRAWN = "drawn", "已抽取，待确认", "warn"
    TEAMED = "teamed", "已组队"
    DISPATCHED = "dispatched", "已派发，检查中", "ok"
    FINISHED = "finished", "已完成", "ok"

    def and_later(self) -> tuple[CampaignStatus, ...]:
        """This stage and every later one: the campaigns that have reached it."""
        members = list(CampaignStatus)
        return tuple(members[members.index(self):])


class CampaignKind(Labelled):
    """What a campaign is (seed 000's annex and seed 004): a joint one the office organises with partner
    departments, a department's own random inspection (内部随机抽查), or a special inspection (专项检查) for a
    fire season, festival or major event, filed with its plan (专项检查方案). Coverage and the statistics count
    every kind by inspection date; joint work is what has two or more departments (Campaign.is_joint)."""

    JOINT = "joint", "部门联合抽查"
    INTERNAL = "internal", "内部随机抽查"
    SPECIAL = "special", "专项检查", "warn"


class PlanChange(Labelled):
    """What a version of an annual-plan task records (seed 002: 调整后的抽查计划及时向社会公开)."""

    ADDED = "added", "新增任务", "ok"
    EDITED = "edited", "调整任务", "warn"
    DELETED = "deleted", "删除任务", "bad"


class MonthlyPlanStatus(Labelled):
    """A department's plan for next month (月抽查计划, seed 000): proposed by the system, then confirmed by it."""

    PROPOSED = "proposed", "待确认", "warn"
    CONFIRMED = "confirmed", "已确认", "ok"


class DrawKind(Labelled):
    """What a recorded draw chose: stage 1 (enterprises) or stage 2 (teams), whole or for one replacement."""

    SUBJECTS = "subjects", "抽取检查对象"
    REPLACEMENT = "replacement", "替换抽取"
    TEAMS = "teams", "随机组队"
    RESEAT = "reseat", "回避补位"
    RESTAFF = "restaff", "补充组队"  # stage 2 again for the enterprises the team draw left unstaffed
    EXPERTS = "experts", "抽取专家"  # experts to go along where the campaign requires one (seed 003)


class SeedRule(Labelled):
    """How a draw's seed is made."""

    COMMIT_REVEAL = "commit_reveal", "多方承诺—揭示"  # several parties commit, then reveal (the normal way)
    WITNESS = "witness", "见证人报出种子（备用方式）"  # a recorded fallback, with its reason


class Phase(Labelled):
    """Where a seed round stands (computed from its times, not stored)."""

    COMMITTING = "committing", "征集承诺"
    REVEALING = "revealing", "输入已锁定，征集揭示"
    DRAWN = "drawn", "已抽取", "ok"


class DrawnStatus(Labelled):
    """A drawn enterprise of a campaign: still in it, replaced by a recorded replacement draw, or dropped (the
    office accepted the shortfall with a reason)."""

    ACTIVE = "active", "有效", "ok"
    REPLACED = "replaced", "已替换", "bad"
    DROPPED = "dropped", "已核减", "bad"  # closed or missing, nothing left to draw in its stratum: not replaced


class Decision(Labelled):
    """A department's answer on a drawn enterprise it visits (confirmation within one working day)."""

    CONFIRMED = "confirmed", "确认", "ok"
    NOT_OURS = "not_ours", "非本部门监管", "warn"
    CLOSED = "closed", "已关闭停业", "bad"
    NOT_FOUND = "not_found", "查无此户", "bad"

    @property
    def needs_replacement(self) -> bool:
        """The enterprise cannot be visited: the office replaces it by a recorded draw."""
        return self in (Decision.CLOSED, Decision.NOT_FOUND)

    @property
    def subject_status(self) -> SubjectStatus | None:
        """What the answer tells the enterprise directory (seed 001: mark stale entries)."""
        return {Decision.CLOSED: SubjectStatus.SUSPENDED, Decision.NOT_FOUND: SubjectStatus.NOT_FOUND}.get(self)


class RecordStatus(Labelled):
    """A joint inspection record's (一企一表) way from entry to publication."""

    ENTERING = "entering", "待录入"
    REVIEWING = "reviewing", "待审核", "warn"
    RETURNED = "returned", "退回", "bad"
    PUBLISHED = "published", "已公示", "ok"

    @property
    def open(self) -> bool:
        """Departments may still enter results, and the deadline runs."""
        return self in OPEN_RECORD_STATUSES


OPEN_RECORD_STATUSES = (RecordStatus.ENTERING, RecordStatus.RETURNED)


class DayMode(Labelled):
    """How a campaign counts a deadline's days: every calendar day (seed 003: 10 days) or working days only
    (seed 004: 20 working days, the national holidays and make-up days as chinese-calendar knows them)."""

    NATURAL = "natural", "自然日"
    WORKING = "working", "工作日"

    def after(self, start: date, count: int) -> date:
        """The `count`-th day of this kind after `start` (start itself not counted)."""
        return start + timedelta(days=count) if self is DayMode.NATURAL else add_working_days(start, count)


class FollowUpKind(Labelled):
    """A follow-up that runs until it is closed (seed 002: 后续处置无例外); the label is the result form's word."""

    RECTIFICATION = "rectification", "责令改正"
    CASE = "case", "立案调查"
    TRANSFER = "transfer", "移送其他部门"
    ABNORMAL_LIST = "abnormal_list", "列入经营异常名录"
    JUDICIAL = "judicial", "移送司法机关"


class FollowUpStatus(Labelled):
    """Where a follow-up stands; each kind goes through its own steps (followups.models.STEPS) to its end."""

    ORDERED = "ordered", "整改中，待整改报告", "warn"
    REPORTED = "reported", "已收到整改报告，待现场复查", "warn"
    TO_FILE = "to_file", "待立案", "warn"
    INVESTIGATING = "investigating", "已立案，调查中", "warn"
    SENT = "sent", "已移送，待接收", "warn"
    ACCEPTED = "accepted", "已接收，办理中", "warn"
    TO_LIST = "to_list", "待列入", "warn"
    LISTED = "listed", "已列入，待移出"
    TO_TRANSFER = "to_transfer", "待移送", "warn"
    TRANSFERRED = "transferred", "已移送，待回执", "warn"
    RETURNED = "returned", "被退回，待移送部门处理", "bad"  # the receiving department sent it back with a reason
    CLOSED = "closed", "已办结", "ok"

    @property
    def open(self) -> bool:
        return self is not FollowUpStatus.CLOSED


class CaseOutcome(Labelled):
    """How an investigation (立案调查) ends."""

    PENALTY = "penalty", "行政处罚", "bad"
    NO_PENALTY = "no_penalty", "不予处罚"
    WITHDRAWN = "withdrawn", "撤销案件"
