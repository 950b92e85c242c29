"""Directory services: searching, counting, status changes, recusals."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from ..excel.importing import RowInvalid
from ..extensions import db
from ..items.models import Item
from ..states import SubjectStatus
from ..timeutil import today
from . import creditcode
from .models import Conflict, Inspector, Subject, SubjectStatusChange, drawable_clause

CODE_PREFIX = re.compile(r"(?=.*\d)[0-9A-Z]{6,18}")  # looks like (the start of) a credit code
SUBJECT_FILTERS = ("region", "industry", "category", "risk_class", "status")


def directory_counts(department_id: int | None) -> dict[str, int]:
    """Head-line counts for the workbench; inspectors, items and recusals of one department unless the office."""

    def count(query):
        return db.session.scalar(query) or 0

    def scoped(query, column):
        return query if department_id is None else query.where(column == department_id)

    return {
        **_cached("subject_counts", COUNTS_SECONDS, _subject_counts),
        "inspectors": count(scoped(sa.select(sa.func.count(Inspector.id)), Inspector.department_id)),
        "inspectors_drawable": count(
            scoped(sa.select(sa.func.count(Inspector.id)).where(drawable_clause()), Inspector.department_id)
        ),
        "items": count(scoped(sa.select(sa.func.count(Item.id)).where(Item.active), Item.department_id)),
        "conflicts": count(
            scoped(sa.select(sa.func.count(Conflict.id)).join(Conflict.inspector), Inspector.department_id)
        ),
    }


def subject_query(q: str = "", **filters: str):
    """Enterprises matching a free-text search (name, code, address) and exact filters, newest first."""
    query = sa.select(Subject)
    q = q.strip()
    if q:
        code = creditcode.normalise(q)
        if CODE_PREFIX.fullmatch(code):
            # A range, not LIKE: the unique index on the code answers it on SQLite and PostgreSQL alike.
            query = query.where(Subject.credit_code >= code, Subject.credit_code < code + "\uffff")
        else:
            query = query.where(sa.or_(Subject.name.contains(q, autoescape=True),
                                       Subject.address.contains(q, autoescape=True)))
    for name in SUBJECT_FILTERS:
        value = filters.get(name)
        if name == "status" and value:
            status = SubjectStatus.from_label(value)  # a value, or a label from an older link
            query = query.where(Subject.status == status if status else sa.false())
        elif value:
            query = query.where(getattr(Subject, name) == ("" if value == "未分类" else value))
    return query.order_by(Subject.id.desc())


# Figures over the whole enterprise directory (100,000 rows in a county) that pages show on every visit, kept for
# a while per server process. Whoever changes the directory calls forget_directory_cache(), so this process shows
# the change at once; another server process may lag by at most the time below.
_cache: dict[tuple[str, str], tuple[float, object]] = {}
OPTIONS_SECONDS = 300
COUNTS_SECONDS = 60


def _cached(name: str, seconds: float, compute):
    key = (str(db.engine.url), name)
    hit = _cache.get(key)
    if hit and time.monotonic() - hit[0] < seconds:
        return hit[1]
    value = compute()
    _cache[key] = (time.monotonic(), value)
    return value


def forget_directory_cache() -> None:
    """Called when enterprises are added or change, so new regions, industries and counts show at once."""
    _cache.clear()


def _subject_counts() -> dict[str, int]:
    total, active = db.session.execute(
        sa.select(sa.func.count(), sa.func.count().filter(Subject.status == SubjectStatus.ACTIVE)).select_from(Subject)).one()
    return {"subjects": total, "subjects_active": active}


def _filter_options() -> dict[str, list[str]]:
    options = {}
    for name in ("region", "industry"):
        column = getattr(Subject, name)
        options[name] = [v for v in db.session.scalars(sa.select(column).distinct().order_by(column)) if v]
    return options


def filter_options() -> dict[str, list[str]]:
    """Values offered in the list filters: the distinct regions and industries."""
    return _cached("filter_options", OPTIONS_SECONDS, _filter_options)


# ---- saving one enterprise or inspector from its form ---------------------------------------------------------
# The form is a row of the import (directories.forms), checked by the importer's row rules, then for a clash.


def _holder(model, column, value, row_id: int | None):
    """Another row than `row_id` already holding `value` in its unique `column`."""
    return db.session.scalar(sa.select(model).where(column == value, model.id != (row_id or -1)))


def _saved(row, model, values: dict):
    """`row` (a new `model` when None) with `values` set, added to the session."""
    row = row or model()
    for key, value in values.items():
        setattr(row, key, value)
    db.session.add(row)
    return row


def save_subject(subject: Subject | None, row: dict[str, str]) -> Subject:
    """Create or update an enterprise from a form row; RowInvalid (Chinese reasons) when the row is wrong or its
    credit code belongs to another enterprise. The status is not the form's: it changes through change_status."""
    from .importers import subject_values  # the importers use this module's cache, so not at import time

    values = subject_values({**row, "status": subject.status if subject else SubjectStatus.ACTIVE})
    if clash := _holder(Subject, Subject.credit_code, values["credit_code"], subject and subject.id):
        raise RowInvalid([f"统一社会信用代码已属于“{clash.name}”"])
    subject = _saved(subject, Subject, values)
    forget_directory_cache()
    return subject


def save_inspector(inspector: Inspector | None, row: dict[str, str], department) -> Inspector:
    """Create or update an inspector of `department` from a form row; RowInvalid when the row is wrong or the
    certificate number is another inspector's."""
    from .importers import InspectorImporter

    importer = InspectorImporter()
    importer.prepare()
    _, values = importer.parse_row({**row, "department": department.code})
    clash = values["cert_no"] and _holder(Inspector, Inspector.cert_no, values["cert_no"], inspector and inspector.id)
    if clash:
        raise RowInvalid([f"执法证号{values['cert_no']}已登记给{clash.name}（{clash.department.name}）"])
    return _saved(inspector, Inspector, values)


def change_status(subject: Subject, new_status: SubjectStatus | str, reason: str,
                  user_id: int | None, on: date | None = None) -> SubjectStatusChange:
    """Move an enterprise to `new_status`, keeping the change with its reason and the day it took effect (`on`,
    today unless the fact was found earlier, as on an inspection); the caller commits."""
    if new_status not in SubjectStatus.labels():
        raise ValueError(f"经营状态“{new_status}”无效")
    new_status = SubjectStatus(new_status)
    if not reason.strip():
        raise ValueError("请填写状态变更的原因")
    change = SubjectStatusChange(
        subject=subject, old_status=subject.status, new_status=new_status, reason=reason.strip(), user_id=user_id,
        **({"changed_on": on} if on else {})
    )
    subject.status = new_status
    db.session.add(change)
    forget_directory_cache()
    return change


def inspector_query(department_id: int | None, q: str = "", state: str = ""):
    query = sa.select(Inspector).join(Inspector.department)
    if department_id is not None:
        query = query.where(Inspector.department_id == department_id)
    if q.strip():
        text = q.strip()
        query = query.where(sa.or_(Inspector.name.contains(text, autoescape=True),
                                   Inspector.cert_no.contains(text.upper(), autoescape=True),
                                   Inspector.zone.contains(text, autoescape=True)))
    if state == "drawable":
        query = query.where(drawable_clause())
    elif state == "not_drawable":
        query = query.where(sa.or_(~Inspector.active, Inspector.cert_no.is_(None), Inspector.cert_expiry.is_(None),
                                   Inspector.cert_expiry < today()))
    return query.order_by(Inspector.department_id, Inspector.name, Inspector.id)


def conflict_query(department_id: int | None):
    query = sa.select(Conflict).join(Conflict.inspector).join(Conflict.subject)
    if department_id is not None:
        query = query.where(Inspector.department_id == department_id)
    return query.order_by(Conflict.id.desc())


@dataclass
class ConflictRequest:
    inspector: Inspector
    credit_code: str
    reason: str


def declare_conflict(request: ConflictRequest) -> Conflict:
    """Record a recusal; raises ValueError with a Chinese reason for an unknown enterprise or a duplicate."""
    code = creditcode.normalise(request.credit_code)
    subject = db.session.scalar(sa.select(Subject).where(Subject.credit_code == code))
    if subject is None:
        raise ValueError(creditcode.problem(code) or f"统一社会信用代码{code}在检查对象名录库中不存在")
    if not request.reason.strip():
        raise ValueError("请填写回避原因")
    exists = db.session.scalar(
        sa.select(Conflict).where(Conflict.inspector_id == request.inspector.id, Conflict.subject_id == subject.id)
    )
    if exists:
        raise ValueError(f"{request.inspector.name}与“{subject.name}”的回避关系已登记")
    conflict = Conflict(inspector=request.inspector, subject=subject, reason=request.reason.strip()[:200])
    db.session.add(conflict)
    return conflict


INSPECTION_REASON = "检查结果"  # how results.services.apply_status words the reasons it writes


def stale_query(from_inspections: bool = False):
    """Enterprises that left the active directory (closed, deregistered, moved, not found), newest first.

    Seed 001: stale entries are the directory's main practical pain; this is the list to clean it with.
    """
    query = (sa.select(SubjectStatusChange).join(SubjectStatusChange.subject)
             .where(SubjectStatusChange.new_status != SubjectStatus.ACTIVE, Subject.status != SubjectStatus.ACTIVE)
             .order_by(SubjectStatusChange.id.desc()))
    if from_inspections:
        query = query.where(SubjectStatusChange.reason.contains(INSPECTION_REASON))
    return query
