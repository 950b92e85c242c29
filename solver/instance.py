"""The stage-2 instance: validated, immutable, with every list sorted by id so input order cannot matter."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from functools import cached_property
from itertools import chain
from typing import NamedTuple

import numpy as np

from .common import (
    COLUMNAR_MIN,
    UNBOUNDED,
    SolverInputError,
    input_sha256,
    record_columns,
    require_bool,
    require_id,
    require_int,
    require_list,
    require_mapping,
    require_number,
    require_seed,
    where,
)


@dataclass(frozen=True)
class Department:
    id: str
    name: str


class Inspector(NamedTuple):  # named tuples: immutable, and built fast by the hundred thousand
    id: str
    department: int
    tags: frozenset[str]
    capacity: int | None  # None: unlimited
    can_lead: bool
    unavailable: frozenset[str]


class Need(NamedTuple):
    subject: int
    department: int
    size: int
    tags: tuple[str, ...]


class Subject(NamedTuple):
    id: str
    needs: tuple[Need, ...]


@dataclass(frozen=True)
class TeamsInstance:
    seed: str
    input_sha256: str
    departments: tuple[Department, ...]
    lead: int | None
    inspectors: tuple[Inspector, ...]  # sorted by id
    subjects: tuple[Subject, ...]  # sorted by id
    conflicts: frozenset[tuple[int, int]]  # (inspector, subject)
    days: tuple[str, ...]  # sorted; empty when the problem has no dates
    daily_capacity: int
    max_pair_probability: float | None
    report_pair_probabilities: bool  # the result lists every pair's planned probability

    @cached_property
    def conflict_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """The recusals as two aligned arrays: inspector numbers and subject numbers."""
        pairs = np.fromiter(chain.from_iterable(self.conflicts), dtype=np.int64,
                            count=2 * len(self.conflicts)).reshape(-1, 2)
        in_order = lexicographic_order(pairs[:, 0], pairs[:, 1])  # by inspector, then subject
        return pairs[in_order, 0], pairs[in_order, 1]

    @cached_property
    def inspector_departments(self) -> np.ndarray:
        return np.array([insp.department for insp in self.inspectors], dtype=np.int64)

    def members(self, department: int) -> list[int]:
        return [i for i, insp in enumerate(self.inspectors) if insp.department == department]


def lexicographic_order(*columns: np.ndarray) -> np.ndarray:
    """The stable order that sorts by the first column, then the next, and so on: `np.lexsort` of the
    columns reversed. For non-negative integers, one sort of a combined key (several times faster)."""
    spans = [int(column.max()) + 1 if column.size else 1 for column in columns]
    if math.prod(spans) >= 1 << 62 or any(column.size and column.min() < 0 for column in columns):
        return np.lexsort(columns[::-1])
    key = np.zeros(columns[0].size, dtype=np.int64)
    for column, span in zip(columns, spans):
        key = key * span + column
    return np.argsort(key, kind="stable")


def _date(value: object, path: str) -> str:
    if isinstance(value, str) and len(value) == 10:
        try:
            dt.date.fromisoformat(value)
            return value
        except ValueError:
            pass
    raise SolverInputError(f"{path}: 日期应为 YYYY-MM-DD 格式，实际为 {json.dumps(value, ensure_ascii=False)}")


def _or_empty(value: object) -> object:
    """An optional list: absent or null is empty; anything else is checked as given (`{}` or `0` is no list)."""
    return [] if value is None else value


def _tags(record: dict, path: str) -> tuple[str, ...]:
    tags = record.get("tags")
    if tags is None:
        return ()
    if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
        raise SolverInputError(f"{where(path, record)}: \"tags\" 应为非空字符串的列表")
    return tuple(dict.fromkeys(tags))


def _unique_ids(records: list[dict], path: str) -> dict[str, int]:
    seen: dict[str, int] = {}
    for k, record in enumerate(records):
        rid = record["id"]
        if rid in seen:
            raise SolverInputError(f"{path}[{k}]（id={rid}）: id 与 {path}[{seen[rid]}] 重复")
        seen[rid] = k
    return seen


def _department_ref(record: dict, path: str, departments: dict[str, int]) -> int:
    ref = require_id(record, path, "department")
    if ref not in departments:
        raise SolverInputError(f"{where(path, record)}: department \"{ref}\" 未在 departments 中定义")
    return departments[ref]


def _subject(record: object, k: int, dept_index: dict[str, int],
             departments: list[Department]) -> tuple[str, list[tuple[int, int, tuple[str, ...]]]]:
    """subjects[k] as (id, [(department, size, tags)]), validated; raises naming the offending record."""
    path = f"subjects[{k}]"
    record = require_mapping(record, path)
    sid = require_id(record, path)
    raw_needs = require_list(record.get("needs"), f"{where(path, record)}.needs")
    if not raw_needs:
        raise SolverInputError(f"{where(path, record)}: \"needs\" 不能为空")
    needs = []
    seen_dept: dict[int, int] = {}
    for m, need in enumerate(raw_needs):
        need_path = f"{where(path, record)}.needs[{m}]"
        need = require_mapping(need, need_path)
        dept = _department_ref(need, need_path, dept_index)
        if dept in seen_dept:
            raise SolverInputError(
                f"{need_path}: 与 needs[{seen_dept[dept]}] 同属部门 \"{departments[dept].id}\"，每个部门至多一项需求")
        seen_dept[dept] = m
        size = require_int(need, need_path, "size", minimum=1)
        needs.append((dept, size, _tags(need, need_path)))
    return sid, needs


def _plain_subject(record: object, dept_index: dict[str, int]) -> tuple[str, list] | None:
    """What `_subject` returns, for the common well-formed record, checked without building error
    messages; None for anything else (then `_subject` validates it and names what is wrong)."""
    if type(record) is not dict:
        return None
    sid, raw_needs = record.get("id"), record.get("needs")
    if type(sid) is not str or type(raw_needs) is not list or not raw_needs or not sid.strip():
        return None
    needs = []
    seen = set()
    for need in raw_needs:
        if type(need) is not dict:
            return None
        ref, size, tags = need.get("department"), need.get("size"), need.get("tags")
        if type(ref) is not str or ref not in dept_index or type(size) is not int or size < 1 or ref in seen:
            return None
        seen.add(ref)
        if tags is None:
            tags = ()
        elif type(tags) is not list:
            return None
        elif len(tags) == 1:  # the common case: one tag, nothing to deduplicate
            if type(tags[0]) is not str or not tags[0]:
                return None
            tags = (tags[0],)
        elif all(type(t) is str and t for t in tags):
            tags = tuple(dict.fromkeys(tags))
        else:
            return None
        needs.append((dept_index[ref], size, tags))
    return sid, needs


def _plain_conflicts(columns: dict[str, list], insp_index: dict[str, int],
                     subj_index: dict[str, int]) -> frozenset[tuple[int, int]] | None:
    """The recusals as (inspector, subject) numbers, for the common case — every record with the same keys,
    well formed — checked column by column; None for anything else (then each record is checked and
    what is wrong is named)."""
    if set(columns) - {"reason"} != {"inspector", "subject"} \
            or set(map(type, columns["inspector"])) != {str} or set(map(type, columns["subject"])) != {str} \
            or not set(map(type, columns.get("reason", ()))) <= {str, type(None)}:
        return None
    try:
        return frozenset(zip(map(insp_index.__getitem__, columns["inspector"]),
                             map(subj_index.__getitem__, columns["subject"])))
    except KeyError:  # an unknown id
        return None


def _conflict(record: object, k: int, insp_index: dict[str, int], subj_index: dict[str, int]) -> tuple[int, int]:
    """conflicts[k] as (inspector, subject) numbers, validated; raises naming the offending record."""
    if type(record) is dict and type(iid := record.get("inspector")) is str and iid in insp_index \
            and type(sid := record.get("subject")) is str and sid in subj_index \
            and type(record.get("reason")) in (str, type(None)):  # the common case, checked quickly
        return insp_index[iid], subj_index[sid]
    path = f"conflicts[{k}]"
    record = require_mapping(record, path)
    iid = require_id(record, path, "inspector")
    sid = require_id(record, path, "subject")
    if iid not in insp_index:
        raise SolverInputError(f"{path}: inspector \"{iid}\" 未在 inspectors 中定义")
    if sid not in subj_index:
        raise SolverInputError(f"{path}: subject \"{sid}\" 未在 subjects 中定义")
    if record.get("reason") is not None and not isinstance(record["reason"], str):
        raise SolverInputError(f"{path}: \"reason\" 应为字符串")
    return insp_index[iid], subj_index[sid]


def parse_teams(problem: object) -> TeamsInstance:
    problem = require_mapping(problem, "输入")
    seed = require_seed(problem)

    # departments keep their given order: it is only the order members are listed in a team.
    raw_departments = require_list(problem.get("departments"), "departments")
    if not raw_departments:
        raise SolverInputError("departments: 至少需要一个部门")
    departments = []
    for k, record in enumerate(raw_departments):
        path = f"departments[{k}]"
        record = require_mapping(record, path)
        did = require_id(record, path)
        name = did if record.get("name") is None else record["name"]  # absent or null: the id
        if not isinstance(name, str) or not name:
            raise SolverInputError(f"{where(path, record)}: \"name\" 应为非空字符串")
        departments.append(Department(did, name))
    dept_index = _unique_ids(raw_departments, "departments")

    lead = None
    if problem.get("lead_department") is not None:
        ref = problem["lead_department"]
        if not isinstance(ref, str) or ref not in dept_index:
            raise SolverInputError(f"lead_department: {json.dumps(ref, ensure_ascii=False)} 未在 departments 中定义")
        lead = dept_index[ref]

    days: tuple[str, ...] = ()
    if problem.get("days") is not None:
        raw_days = require_list(problem["days"], "days")
        if not raw_days:
            raise SolverInputError("days: 给出 days 时不能为空列表")
        parsed = [_date(d, f"days[{k}]") for k, d in enumerate(raw_days)]
        if len(set(parsed)) != len(parsed):
            raise SolverInputError("days: 日期重复")
        days = tuple(sorted(parsed))
    # Counts beyond UNBOUNDED behave as it (nobody makes 2^40 visits): the arrays of the solve hold 64-bit integers.
    daily_capacity = min(require_int(problem, "daily_capacity", "daily_capacity", minimum=1, default=1), UNBOUNDED)

    q = problem.get("max_pair_probability")
    if q is not None:
        q = require_number(problem, "max_pair_probability", "max_pair_probability")
        if not 0.0 < q <= 1.0:
            raise SolverInputError(f"max_pair_probability: 应在 (0, 1] 之内，实际为 {q}")

    raw_inspectors = require_list(problem.get("inspectors"), "inspectors")
    inspectors = []
    for k, record in enumerate(raw_inspectors):
        path = f"inspectors[{k}]"
        record = require_mapping(record, path)
        iid = require_id(record, path)
        unavailable = require_list(_or_empty(record.get("unavailable")), f"{where(path, record)}.unavailable")
        capacity = require_int(record, path, "capacity", minimum=0, default=None)
        inspectors.append(Inspector(
            id=iid,
            department=_department_ref(record, path, dept_index),
            tags=frozenset(_tags(record, path)),
            capacity=min(capacity, UNBOUNDED) if capacity is not None else None,
            can_lead=require_bool(record, path, "can_lead", True),
            unavailable=frozenset(_date(d, f"{where(path, record)}.unavailable[{m}]") for m, d in enumerate(unavailable)),
        ))
    _unique_ids(raw_inspectors, "inspectors")
    inspectors.sort(key=lambda insp: insp.id)
    insp_index = {insp.id: k for k, insp in enumerate(inspectors)}

    raw_subjects = require_list(problem.get("subjects"), "subjects")
    parsed_subjects = [_plain_subject(record, dept_index) or _subject(record, k, dept_index, departments)
                       for k, record in enumerate(raw_subjects)]
    parsed_subjects.sort(key=lambda item: item[0])
    new = tuple.__new__  # the named tuples' own constructor, without their keyword-argument wrapper
    subjects = tuple(new(Subject, (sid, tuple([new(Need, (s, dept, size, tags)) for dept, size, tags in needs])))
                     for s, (sid, needs) in enumerate(parsed_subjects))
    subj_index = {subject.id: s for s, subject in enumerate(subjects)}
    if len(subj_index) < len(subjects):
        _unique_ids(raw_subjects, "subjects")  # names the repeated id

    raw_conflicts = require_list(_or_empty(problem.get("conflicts")), "conflicts")
    columns = record_columns(raw_conflicts) if len(raw_conflicts) >= COLUMNAR_MIN else None
    conflicts = _plain_conflicts(columns, insp_index, subj_index) if columns else None
    if conflicts is None:
        conflicts = frozenset(_conflict(record, k, insp_index, subj_index) for k, record in enumerate(raw_conflicts))

    return TeamsInstance(
        seed=seed,
        input_sha256=input_sha256(problem, {"conflicts": columns} if columns else None),
        departments=tuple(departments),
        lead=lead,
        inspectors=tuple(inspectors),
        subjects=subjects,
        conflicts=conflicts,
        days=days,
        daily_capacity=daily_capacity,
        max_pair_probability=q,
        report_pair_probabilities=require_bool(problem, "report_pair_probabilities", "report_pair_probabilities", False),
    )
