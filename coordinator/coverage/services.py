"""Coverage duties counted set-wise in SQL: population, required, done and still due per rule and period.

An enterprise counts as done for a department when that department took part in an inspection of it (a joint
campaign or one of its own) whose inspection date falls in the period. One aggregate query per rule and period;
no Python loop over enterprises.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from ..auth.models import Department
from ..directories.models import Subject
from ..excel.writer import SheetWriter, open_workbook
from ..extensions import db
from ..timeutil import today
from ..vocab import RISK_LABELS
from .models import DEFAULT_RULES, CoverageRule


class CoverageError(ValueError):
    """A rule that cannot be saved; the message says what to fix, in Chinese."""


@dataclass
class Row:
    """One rule in one period: the figures of the coverage page and workbook."""

    rule: CoverageRule
    label: str
    start: date
    end: date
    population: int
    done: int
    on: date

    @property
    def key(self) -> str:
        """Names this rule in this period in a link: "<rule id>-<first day>"."""
        return f"{self.rule.id}-{self.start.isoformat()}"

    @property
    def required(self) -> int:
        return self.rule.required(self.population)

    @property
    def remaining(self) -> int:
        return max(self.required - self.done, 0)

    @property
    def days_left(self) -> int:
        if self.on > self.end:
            return 0
        return (self.end - max(self.on, self.start)).days + 1

    @property
    def ending(self) -> bool:
        """Duties still open with at most 30 days of the period left."""
        return self.remaining > 0 and self.start <= self.on <= self.end and self.days_left <= 30


def inspected_query(department_id: int, start: date, end: date):
    """Ids of the enterprises the department inspected (joint or on its own) with an inspection date in range."""
    from ..campaigns.models import CampaignSubject
    from ..results.models import DepartmentResult, InspectionRecord

    return (
        sa.select(CampaignSubject.subject_id)
        .join(InspectionRecord, InspectionRecord.campaign_subject_id == CampaignSubject.id)
        .join(DepartmentResult, DepartmentResult.record_id == InspectionRecord.id)
        .where(DepartmentResult.department_id == department_id,
               InspectionRecord.inspected_on >= start, InspectionRecord.inspected_on <= end)
    )


def years_inspected(department_id: int | None = None) -> list[int]:
    """The years in which the department (every department: None) has an inspection date, oldest first."""
    from ..results.models import DepartmentResult, InspectionRecord

    year = sa.extract("year", InspectionRecord.inspected_on)
    query = sa.select(year).where(InspectionRecord.inspected_on.is_not(None)).distinct()
    if department_id is not None:
        query = query.join(DepartmentResult, DepartmentResult.record_id == InspectionRecord.id).where(
            DepartmentResult.department_id == department_id)
    return sorted(int(value) for value in db.session.scalars(query))


def rules(department_id: int | None = None, *, active_only: bool = True) -> list[CoverageRule]:
    query = sa.select(CoverageRule).join(Department, Department.id == CoverageRule.department_id)
    if active_only:
        query = query.where(CoverageRule.active)
    if department_id is not None:
        query = query.where(CoverageRule.department_id == department_id)
    return list(db.session.scalars(query.order_by(Department.id, CoverageRule.id)))


# The attributes a rule's population depends on: counts are grouped by them, then summed per rule.
KEYS = ("category", "crowded", "risk_class", "has_complaint", "has_accident", "has_penalty", "blacklisted",
        "major_hazard")
LISTED = ("id", "credit_code", "name", "address", "operating_address", "category", "region", "risk_class")


def _keys(group) -> list[str]:
    """The attributes the rules of `group` actually test (fewer keys, fewer groups to sort)."""
    used = set()
    for rule in group:
        used |= ({"category"} if rule.category else set()) | ({"crowded"} if rule.crowded is not None else set())
        used |= set(rule.flags or ()) | ({"risk_class"} if rule.risk_class else set())
    return [key for key in KEYS if key in used]


class _Attributes:
    """A grouped row seen through `CoverageRule.matches`: the attributes not grouped on are not tested."""

    __slots__ = ("_row",)

    def __init__(self, row):
        self._row = row

    def __getattr__(self, key):
        return getattr(self._row, key, None)


def _inspected(department_id: int, periods: list[tuple[date, date]]):
    """A CTE: each enterprise the department inspected (joint or on its own) in any of `periods`, with a 0/1 flag
    `done<n>` per period. One pass over the department's results, whatever the number of periods."""
    from ..campaigns.models import CampaignSubject
    from ..results.models import DepartmentResult, InspectionRecord

    day = InspectionRecord.inspected_on
    return (
        sa.select(CampaignSubject.subject_id,
                  *(sa.func.max(sa.case((day.between(start, end), 1), else_=0)).label(f"done{n}")
                    for n, (start, end) in enumerate(periods)))
        .join(InspectionRecord, InspectionRecord.campaign_subject_id == CampaignSubject.id)
        .join(DepartmentResult, DepartmentResult.record_id == InspectionRecord.id)
        .where(DepartmentResult.department_id == department_id,
               day >= min(start for start, _ in periods), day <= max(end for _, end in periods))
        .group_by(CampaignSubject.subject_id)
    ).cte("inspected")


def _with_flags(department_id: int, periods: list[tuple[date, date]], *columns):
    """SELECT `columns` and the `done<n>` flags (0 when not inspected) of every enterprise: the query the counts
    and the still-due lists both start from."""
    inspected = _inspected(department_id, periods)
    flags = [sa.func.coalesce(inspected.c[f"done{n}"], 0).label(f"done{n}") for n in range(len(periods))]
    return (sa.select(*columns, *flags).select_from(Subject)
            .outerjoin(inspected, inspected.c.subject_id == Subject.id)), flags


def _tallies(department_id: int, periods: list[tuple[date, date]], group: list[CoverageRule]) -> list[dict]:
    """For each period, (population, done) of each rule of `group`, by ONE grouped aggregate over the enterprises of
    the rules' populations: a done flag per period, grouped by the attributes the rules test — a few dozen groups,
    never one per enterprise — then summed per rule."""
    keys = [getattr(Subject, key) for key in _keys(group)]
    query, flags = _with_flags(department_id, periods, *keys)
    grouped = [_Attributes(row) for row in db.session.execute(
        query.add_columns(sa.func.count().label("n"))
        .where(CoverageRule.populations_clause(group)).group_by(*keys, *flags))]
    out = []
    for n in range(len(periods)):
        figures = {}
        for rule in group:
            matching = [row for row in grouped if rule.matches(row)]
            figures[rule.id] = (sum(row.n for row in matching),
                                sum(row.n for row in matching if getattr(row, f"done{n}")))
        out.append(figures)
    return out


def tally(department_id: int, start: date, end: date, group: list[CoverageRule]) -> dict[int, tuple[int, int]]:
    """(population, done) of each rule of one department in one period."""
    return _tallies(department_id, [(start, end)], group)[0]


def count(rule: CoverageRule, start: date, end: date) -> tuple[int, int]:
    """(population, done) of one rule in one period."""
    return tally(rule.department_id, start, end, [rule])[rule.id]


def _periods(group: list[CoverageRule], year: int, period: str) -> dict[int, dict[tuple, list[CoverageRule]]]:
    """department → (first day, last day, label) → its rules, for every period the rules have in `year`."""
    periods: dict[int, dict[tuple, list[CoverageRule]]] = {}
    for rule in group:
        for label, start, end in rule.period.periods(year):
            if period == "h1" and start.month > 6 or period == "h2" and end.month < 7:
                continue
            periods.setdefault(rule.department_id, {}).setdefault((start, end, label), []).append(rule)
    return periods


def report(year: int, department_id: int | None = None, *, on: date | None = None,
           period: str = "") -> list[Row]:
    """Every active rule in every period of `year` (or only the periods within `period`: "h1"/"h2"), in the
    rules' order; one aggregate query per department, whatever its periods."""
    on = on or today()
    ordered = rules(department_id)
    rows = []
    for department, periods in _periods(ordered, year, period).items():
        keys = list(periods)
        department_rules = list({rule.id: rule for group in periods.values() for rule in group}.values())
        figures = _tallies(department, [(start, end) for start, end, _ in keys], department_rules)
        for (start, end, label), counted in zip(keys, figures):
            rows.extend(Row(rule, label, start, end, *counted[rule.id], on) for rule in periods[(start, end, label)])
    order = {rule.id: n for n, rule in enumerate(ordered)}
    return sorted(rows, key=lambda row: (order[row.rule.id], row.start))


def due_lists(rows: list[Row], limit: int | None = None) -> list[tuple[Row, list]]:
    """For each row with duties open, the enterprises of its population not yet inspected in its period (rows of
    LISTED columns, by credit code; at most `limit` each): one query per department, whatever its periods."""
    open_rows = [row for row in rows if row.remaining]
    by_department: dict[int, dict[tuple, list[Row]]] = {}
    for row in open_rows:
        by_department.setdefault(row.rule.department_id, {}).setdefault((row.start, row.end), []).append(row)
    found: dict[int, list] = {id(row): [] for row in open_rows}
    for department_id, periods in by_department.items():
        keys = list(periods)
        query, flags = _with_flags(department_id, keys, *(getattr(Subject, key) for key in dict.fromkeys(LISTED + KEYS)))
        listed = [(row.rule, flags[n] == 0) for n, key in enumerate(keys) for row in periods[key]]
        query = query.where(CoverageRule.populations_clause(*zip(*listed)))
        query = query.order_by(Subject.credit_code)
        checks = [(n, row, found[id(row)]) for n, key in enumerate(keys) for row in periods[key]]
        for subject in db.session.execute(query):
            for n, row, due in checks:
                if not getattr(subject, f"done{n}") and (limit is None or len(due) < limit) and row.rule.matches(subject):
                    due.append(subject)
    return [(row, found[id(row)]) for row in open_rows]


def due_query(rule: CoverageRule, start: date, end: date):
    """The enterprises of the rule's population not yet inspected in the period (a SELECT of Subject)."""
    return (sa.select(Subject).where(rule.population_clause(),
                                     Subject.id.not_in(inspected_query(rule.department_id, start, end)))
            .order_by(Subject.credit_code))


def due_subject_ids(department_ids: list[int] | None, on: date, rule_ids: list[int] | None = None):
    """SQL: ids of the enterprises a coverage rule makes due on `on` — in a rule's population, not inspected by its
    department in the current period, while that rule's share is not yet reached. For the draw (must-inspect list,
    burden cap) and for the monthly plan."""
    query = sa.select(CoverageRule).where(CoverageRule.active)
    if department_ids is not None:
        query = query.where(CoverageRule.department_id.in_(department_ids or [-1]))
    if rule_ids is not None:
        query = query.where(CoverageRule.id.in_(rule_ids or [-1]))
    selects = []
    for rule in db.session.scalars(query):
        _, start, end = rule.period.period_of(on)
        population, done = count(rule, start, end)
        if done < rule.required(population):
            selects.append(sa.select(Subject.id).where(rule.population_clause(), Subject.id.not_in(
                inspected_query(rule.department_id, start, end))))
    if not selects:
        return sa.select(Subject.id).where(sa.false())
    return sa.union(*selects) if len(selects) > 1 else selects[0]


def still_due(department_id: int, on: date | None = None) -> list[tuple[CoverageRule, list[Subject]]]:
    """For the monthly plan: each of the department's rules still open on `on`, with its enterprises still due."""
    on = on or today()
    out = []
    for rule in rules(department_id):
        _, start, end = rule.period.period_of(on)
        population, done = count(rule, start, end)
        if done < rule.required(population):
            out.append((rule, list(db.session.scalars(due_query(rule, start, end)))))
    return out


def ending_warnings(department_id: int | None, on: date | None = None) -> list[Row]:
    """Rules whose current period ends within 30 days with duties still open: for the workbench."""
    on = on or today()
    return [row for row in report(on.year, department_id, on=on) if row.ending]


def load_defaults() -> list[CoverageRule]:
    """The seeds' rules (000: fire brigade; 003: emergency management) for the departments that have none yet."""
    added = []
    for code, specs in DEFAULT_RULES.items():
        department = db.session.scalar(sa.select(Department).where(Department.code == code))
        if department is None or db.session.scalar(
                sa.select(sa.func.count()).where(CoverageRule.department_id == department.id)):
            continue
        for spec in specs:
            rule = CoverageRule(department=department, **spec)
            db.session.add(rule)
            added.append(rule)
    db.session.flush()
    return added


def save_rule(rule: CoverageRule, values: dict) -> CoverageRule:
    if not 0 < values["ratio"] <= 1:
        raise CoverageError("抽查比例须大于0且不超过100%")
    for key, value in values.items():
        setattr(rule, key, value)
    db.session.add(rule)
    db.session.flush()
    return rule


SUMMARY_HEADERS = ("部门", "覆盖规则", "对象范围", "要求", "期间", "对象总数", "应查户数", "已查户数", "尚差户数", "剩余天数")
DUE_HEADERS = ("部门", "覆盖规则", "期间", "统一社会信用代码", "单位名称", "地址", "类别", "所在乡镇", "信用风险分类")
DUE_WIDTHS = (16, 36, 14, 22, 30, 36, 14, 12, 12)
LONG_LIST = 100_000  # still-due rows beyond which the workbook is written in constant memory


def write_workbook(target, year: int, department_id: int | None = None, *, on: date | None = None,
                   period: str = "") -> None:
    """The coverage workbook: one row per rule and period; a sheet of every enterprise still due."""
    rows = report(year, department_id, on=on, period=period)
    lists = due_lists(rows)
    # XlsxWriter's constant-memory mode writes every string inline, a third slower than its shared-string table
    # (measured on 9,898 rows); it is worth it only when the list is long enough for memory to matter.
    long = sum(len(subjects) for _, subjects in lists) > LONG_LIST
    workbook, formats = open_workbook(target, constant_memory=long)
    summary = SheetWriter(workbook, "覆盖情况", formats)
    summary.title(f"{year}年度抽查覆盖情况", len(SUMMARY_HEADERS))
    summary.header(SUMMARY_HEADERS)
    for row in rows:
        summary.write((row.rule.department.name, row.rule.name, row.rule.population_label, row.rule.duty_label,
                       row.label, row.population, row.required, row.done, row.remaining, row.days_left))
    due = SheetWriter(workbook, "尚未完成覆盖的对象", formats)
    due.header(DUE_HEADERS, DUE_WIDTHS)
    for row, subjects in lists:
        named = (row.rule.department.name, row.rule.name, row.label)
        due.write_texts((*named, subject.credit_code, subject.name, subject.operating_address or subject.address,
                         subject.category, subject.region, RISK_LABELS.get(subject.risk_class, "未分类"))
                         for subject in subjects)
    workbook.close()
