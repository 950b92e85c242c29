"""The county statistics form and the dashboard figures: every figure is defined here once, counted in SQL.

Which results count
    A department's result on a joint record (DepartmentResult) counts once the department has handed it in
    (`submitted_at` is set), whatever the record's state: 待审核 and 已公示 records, and the handed-in results of a
    record still waiting for another department. A result the lead department sends back (退回) has its
    `submitted_at` cleared, so it drops out until it is handed in again. Drafts never count.

Which records are in scope
    - a campaign: the records of that campaign's enterprises;
    - a year: the records whose inspection date falls in that year. The inspection date is the one the lead
      department entered (InspectionRecord.inspected_on), else the team's planned visit date
      (CampaignSubject.visit_date). A record with neither is in no year.

Which work the form counts (seeds 004 and 002)
    The form of seed 004's annex is the *joint* form (全县“双随机、一公开”部门联合抽查统计表): its table counts joint
    work only — the records of campaigns with two or more departments (Campaign.is_joint), whatever their kind (a
    special inspection may be joint). A department's own work is counted apart, in the same columns, in a clearly
    labelled part below the form: 内部随机抽查 and single-department 专项检查, each with its 小计, and the
    全部随机抽查合计 of all work. Seed 002's 联合抽查次数占比 and 户数占比 (goal 100 %) count joint work against all
    work, in the same scope: 次数 = campaigns with a counted result (joint ones / all), 户数 = distinct enterprises
    with a counted result (the form's 合计 / the 全部随机抽查合计). A campaign's form counts that campaign, in the
    form when it is joint, in the part below when it is not; it has no shares.

The county statistics form (seed 004 annex), per reporting department
    随机抽查企业(户)        distinct enterprises whose result the department handed in.
    随机抽取执法人员(人)    distinct inspectors of the department seated, and not recused (回避), on the team of
                            at least one of those results' enterprises.
    发现问题事项(项)        item results with a problem result (发现问题已责令改正 / 发现问题待后续处理): one per
                            inspection item (抽查事项) per enterprise. The number of defects typed on an item
                            (ItemResult.problems) is not summed: the form counts 事项, the unit of the item list.
    发现问题企业(个)        distinct enterprises with at least one such item.
    行政指导(户)            distinct enterprises whose result lists the follow-up 行政指导.
    应列异常名录(户)        … the follow-up 列入经营异常名录.
    涉嫌违法应立案调查(户)  … the follow-up 立案调查.
    现场解答疑难问题(户)    distinct enterprises whose result records questions answered on site.
    A reporting department is every department taking part in a campaign in scope, even with nothing yet.
    The county total (合计) counts distinct enterprises across departments, so an enterprise visited jointly
    counts once, and its enterprise columns are not the sum of the rows above them; 发现问题事项 is the sum of
    the departments' items; inspectors are distinct people, which is the sum of the rows, as every inspector
    belongs to one department.

The dashboard (seed 001 and 002 figures), for a year
    抽查企业、发现问题企业、立案调查     the county total of the year's form.
    责令改正通知书(份)                   handed-in parts whose follow-ups list 责令改正 (one notice per
                                         department per enterprise).
    入企检查(次)                         records with at least one handed-in result (one joint visit = one).
    联合检查户次 / 户次占比              of those, records with parts of two or more departments.
    联合抽查次数 / 次数占比, 户数占比    seed 002's two shares (goal 100 %), as the form counts them (Shares): campaigns
                                         with a counted result in the year that are joint, against all of them;
                                         distinct enterprises inspected jointly against all inspected.
    单部门抽查次数 / 户次                 the other campaigns with a counted result: a department's own internal
                                         random inspections and its special inspections alone (seed 001: 682
                                         inspections, 15 of them joint); 专项检查 counts those special ones.
    抽查任务完成率                       finished campaigns of the year / (campaigns of the year + tasks of the
                                         year's plans for which no campaign was created).
    检查完成率                           records of the year with every result handed in (待审核 or 已公示) /
                                         records of the year opened.
    公示率                               已公示 records / records with every result handed in.
    信用风险分类运用率                   enterprises drawn (every drawn row, replacements included) by campaigns
                                         of the year that carry a credit-risk class, are not must-inspect, and
                                         whose draw's classes actually shaped their stratum (a class drawn at a
                                         ratio of its own, or the locked input gave the stratum more than one
                                         weight and the stratum did not take all its enterprises:
                                         drawn_with_risk) / all enterprises drawn by campaigns of the year
                                         (seed 002: ≥ 90 %).
    企业负担                             入企检查 / 抽查企业: visits per inspected enterprise in the year; beside
                                         it, handed-in parts / 抽查企业: what it would be had each department come
                                         on its own.
    后续处置 (chart)                     handed-in parts listing each follow-up.
    按月入企检查 (chart)                 入企检查 by month of the inspection date.
    A rate whose denominator is 0 is None (shown as —), never 0 %.

Every figure is an SQL aggregate (COUNT, COUNT(DISTINCT), SUM) over the database's rows; Python only
arranges the few result rows. bench/bench_stats.py times the form on a year of 100,000 records.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from ..auth.models import Department
from ..campaigns import rules
from ..campaigns.models import Campaign, CampaignDepartment, CampaignSubject, Draw, TeamMember
from ..directories.models import Inspector, Subject
from ..extensions import db
from ..followups import services as followups
from ..plans.models import Plan, PlanTask
from ..results.models import (
    FOLLOW_UPS,
    PROBLEM_RESULTS,
    DepartmentResult,
    InspectionRecord,
    ItemResult,
    json_spellings,
    lists_follow_up,
)
from ..states import CampaignKind, CampaignStatus, RecordStatus

FORM_TITLE = "全县“双随机、一公开”部门联合抽查统计表"
DEPARTMENT_HEADER = "报表单位"
TOTAL_LABEL = "合计"
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100  # a year outside is a typing error, not a statistics request


def reporting_office(county: str) -> str:
    """Who fills in the form (填报单位): the county's leading-group office."""
    return f"{county}“双随机、一公开”工作领导小组办公室"


@dataclass(frozen=True)
class Figure:
    key: str
    header: str  # as on the seed 004 annex
    group: str | None  # the upper header it sits under, None when it spans both header rows


FIGURES = (
    Figure("enterprises", "随机抽查企业(户)", None),
    Figure("inspectors", "随机抽取执法人员(人)", None),
    Figure("problem_items", "发现问题事项(项)", "发现问题"),
    Figure("problem_enterprises", "发现问题企业(个)", "发现问题"),
    Figure("guidance", "行政指导(户)", "抽查结果处理"),
    Figure("abnormal_list", "应列异常名录(户)", "抽查结果处理"),
    Figure("case_filed", "涉嫌违法应立案调查(户)", "抽查结果处理"),
    Figure("questions_answered", "现场解答疑难问题(户)", None),
)


def header_groups() -> list[tuple[str | None, list[Figure]]]:
    """The figures under each upper header, in order: the two-level header of the form, on paper and on screen."""
    groups: list[tuple[str | None, list[Figure]]] = []
    for figure in FIGURES:
        if figure.group is not None and groups and groups[-1][0] == figure.group:
            groups[-1][1].append(figure)
        else:
            groups.append((figure.group, [figure]))
    return groups


# follow-up vocabulary behind the three 抽查结果处理 columns
FOLLOW_UP_FIGURES = {"guidance": "行政指导", "abnormal_list": "列入经营异常名录", "case_filed": "立案调查"}


JOINT, INTERNAL, SPECIAL = "joint", "internal", "special"
WORK_LABELS = {JOINT: "部门联合抽查", INTERNAL: "内部随机抽查", SPECIAL: "专项检查"}
APART = (INTERNAL, SPECIAL)  # the single-department parts shown below the joint form, in this order
APART_TITLE = "单部门随机抽查（内部随机抽查、专项检查），不计入上表"
SUBTOTAL_LABEL = "小计"
ALL_LABEL = "全部随机抽查合计"
SHARES_TITLE = "联合抽查占比（联合抽查对全部随机抽查，目标100%）"


def share_lines(shares) -> list[tuple]:
    """The shares part as lines of 项目, 联合抽查, 全部随机抽查, 占比 (text), 目标: the page and the workbook alike."""
    def shown(rate):
        return "—" if rate is None else f"{rate:g}%"
    return [("联合抽查次数占比（次）", shares.joint_campaigns, shares.campaigns, shown(shares.campaign_rate), "100%"),
            ("联合抽查户数占比（户）", shares.joint_enterprises, shares.enterprises, shown(shares.enterprise_rate),
             "100%")]


def joint_campaign_ids() -> sa.Select:
    """Ids of the campaigns two or more departments take part in: joint work (Campaign.is_joint, in SQL)."""
    return (sa.select(CampaignDepartment.campaign_id).group_by(CampaignDepartment.campaign_id)
            .having(sa.func.count() >= 2))


def work_of(campaign_id) -> sa.Case:
    """SQL: the work (JOINT, INTERNAL, SPECIAL) of the campaign whose id is the column `campaign_id`."""
    special = sa.select(Campaign.id).where(Campaign.kind == CampaignKind.SPECIAL)
    return sa.case((campaign_id.in_(joint_campaign_ids()), JOINT), (campaign_id.in_(special), SPECIAL),
                   else_=INTERNAL)


class StatsError(ValueError):
    """A statistics request that cannot be answered; the message is for the user, in Chinese."""


# ---- scope ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The records a form counts: one campaign's, or one year's by inspection date."""

    campaign_id: int | None = None
    year: int | None = None
    label: str = ""

    def where(self) -> list:
        if self.campaign_id is not None:
            return [CampaignSubject.campaign_id == self.campaign_id]
        return [inspection_date().between(date(self.year, 1, 1), date(self.year, 12, 31))]

    @property
    def filename(self) -> str:
        return f"联合抽查统计表_{self.year}年" if self.year else f"联合抽查统计表_联合抽查{self.campaign_id}"


def inspection_date():
    """The day a record was inspected: entered by the lead department, else the team's planned visit."""
    return sa.func.coalesce(InspectionRecord.inspected_on, CampaignSubject.visit_date)


def campaign_scope(campaign_id: int) -> Scope:
    campaign = db.session.get(Campaign, campaign_id)
    if campaign is None:
        raise StatsError(f"联合抽查 {campaign_id} 不存在")
    return Scope(campaign_id=campaign.id, label=campaign.name)


def year_scope(year: int) -> Scope:
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise StatsError(f"年度应在 {EARLIEST_YEAR}～{LATEST_YEAR} 之间")
    return Scope(year=year, label=f"{year}年度（按检查日期）")


def parse_scope(campaign: str | None, year: str | None) -> Scope:
    """Exactly one of a campaign id or a year, as typed on the command line or in a URL."""
    campaign, year = (campaign or "").strip(), (year or "").strip()
    if bool(campaign) == bool(year):
        raise StatsError("请指定一次联合抽查（--campaign）或一个年度（--year），二者只能选一个")
    if campaign:
        if not campaign.isdigit():
            raise StatsError(f"联合抽查编号应为数字：{campaign}")
        return campaign_scope(int(campaign))
    if not (year.isdigit() and len(year) == 4):
        raise StatsError(f"年度应为四位数字，如 2024：{year}")
    return year_scope(int(year))


def years_with_records() -> list[int]:
    """From the latest year with a dated record back to the earliest, for the year pickers."""
    dates = db.session.execute(
        sa.select(sa.func.min(inspection_date()), sa.func.max(inspection_date()))
        .select_from(InspectionRecord).join(CampaignSubject, InspectionRecord.campaign_subject_id == CampaignSubject.id)
    ).one()
    if dates[0] is None:
        return []
    first, last = (d if isinstance(d, date) else date.fromisoformat(str(d)[:10]) for d in dates)
    return list(range(last.year, first.year - 1, -1))


def latest_year_with_results() -> int | None:
    """The latest year a handed-in result was inspected in: where the form and the dashboard open. A year of
    records still waiting for entry (a campaign dispatched for next year) counts nothing yet."""
    latest = db.session.scalar(
        sa.select(sa.func.max(inspection_date())).select_from(DepartmentResult)
        .join(InspectionRecord, DepartmentResult.record_id == InspectionRecord.id)
        .join(CampaignSubject, InspectionRecord.campaign_subject_id == CampaignSubject.id)
        .where(DepartmentResult.submitted_at.is_not(None)))
    if latest is None:
        return None
    return (latest if isinstance(latest, date) else date.fromisoformat(str(latest)[:10])).year


# ---- the county statistics form ------------------------------------------------------------------


@dataclass
class FormRow:
    department: str
    figures: dict[str, int]
    department_id: int | None = None

    def values(self) -> list[int]:
        return [self.figures[f.key] for f in FIGURES]


def _empty_row(label: str) -> FormRow:
    return FormRow(label, dict.fromkeys((f.key for f in FIGURES), 0))


@dataclass
class FormPart:
    """One kind of work: a row per reporting department and its total (合计 for the joint form, else 小计)."""

    work: str
    rows: list[FormRow] = field(default_factory=list)
    total: FormRow = field(default_factory=lambda: _empty_row(TOTAL_LABEL))

    @property
    def label(self) -> str:
        return WORK_LABELS[self.work]


@dataclass
class Shares:
    """Seed 002's 联合抽查次数占比 and 户数占比: joint work against all work, in the form's scope."""

    joint_campaigns: int
    campaigns: int
    joint_enterprises: int
    enterprises: int
    special_campaigns: int = 0  # of the others, a department's special inspections alone (the rest: internal)

    @property
    def campaign_rate(self) -> float | None:
        return _rate(self.joint_campaigns, self.campaigns)

    @property
    def enterprise_rate(self) -> float | None:
        return _rate(self.joint_enterprises, self.enterprises)


@dataclass
class CountyForm:
    """The joint form (`rows`, `total`), the single-department parts below it (`apart`), all work (`all_rows`,
    `all_total`: every department's row and the county over every kind of work) and, for a year, the shares."""

    scope: Scope
    rows: list[FormRow] = field(default_factory=list)
    total: FormRow = field(default_factory=lambda: _empty_row(TOTAL_LABEL))
    apart: list[FormPart] = field(default_factory=list)
    all_rows: list[FormRow] = field(default_factory=list)
    all_total: FormRow = field(default_factory=lambda: _empty_row(ALL_LABEL))
    shares: Shares | None = None


def _flag(condition):
    """0/1 for a condition, so it can be summed on SQLite and PostgreSQL alike (no SUM(boolean) there)."""
    return sa.case((condition, 1), else_=0)


has_follow_up = lists_follow_up
_spellings = json_spellings


def _submitted_in(scope: Scope) -> list:
    return [DepartmentResult.submitted_at.is_not(None), *scope.where()]


def _joined(query: sa.Select) -> sa.Select:
    """Parts to their record and enterprise: where the scope's date and the subject live; with the work."""
    return (query.add_columns(work_of(CampaignSubject.campaign_id).label("work"))
            .join(InspectionRecord, DepartmentResult.record_id == InspectionRecord.id)
            .join(CampaignSubject, InspectionRecord.campaign_subject_id == CampaignSubject.id))


def _by_department_and_total(rows: sa.CTE, figures: list) -> sa.CompoundSelect:
    """`figures` over `rows` per work and department, per work (department_id NULL: 合计 or 小计), per department
    over all work (work NULL), and over everything (both NULL: 全部随机抽查合计).

    One statement: the CTE is referenced four times, so SQLite and PostgreSQL both compute it once.
    """
    no_work = sa.cast(sa.null(), sa.String).label("work")
    no_department = sa.cast(sa.null(), sa.Integer).label("department_id")
    return sa.union_all(
        sa.select(rows.c.work, rows.c.department_id, *figures).group_by(rows.c.work, rows.c.department_id),
        sa.select(rows.c.work, no_department, *figures).group_by(rows.c.work),
        sa.select(no_work, rows.c.department_id, *figures).group_by(rows.c.department_id),
        sa.select(no_work, no_department, *figures),
    )


def _distinct_subjects(rows: sa.CTE, flag=None):
    subject = rows.c.subject_id if flag is None else sa.case((flag, rows.c.subject_id))
    return sa.func.count(sa.distinct(subject))


def _enterprise_figures(scope: Scope) -> sa.CompoundSelect:
    """Enterprises and questions answered: distinct enterprises among all handed-in parts.

    One pass with COUNT(DISTINCT …), not GROUP BY department, enterprise: a small tree per figure instead
    of sorting every result, which is what keeps a year of 100,000 records under 2 s.
    """
    counted = _joined(sa.select(
        DepartmentResult.department_id.label("department_id"),
        CampaignSubject.subject_id.label("subject_id"),
        CampaignSubject.campaign_id.label("campaign_id"),
        DepartmentResult.questions_answered.label("questions_answered"),
    ).select_from(DepartmentResult)).where(*_submitted_in(scope)).cte("counted")
    return _by_department_and_total(counted, [
        _distinct_subjects(counted).label("enterprises"),
        _distinct_subjects(counted, counted.c.questions_answered).label("questions_answered"),
        sa.func.count(sa.distinct(counted.c.campaign_id)).label("campaigns"),
    ])


def _follow_up_figures(scope: Scope) -> sa.CompoundSelect:
    """行政指导, 应列异常名录, 立案调查: distinct enterprises among the parts listing each.

    Most parts need no follow-up: those whose list is exactly [无需后续处置] are left out before the text
    search, which then runs on the few others (faster than one pass with the enterprises, measured). Leaving
    them out only saves work: the search alone decides what counts.
    """
    followed = _joined(sa.select(
        DepartmentResult.department_id.label("department_id"),
        CampaignSubject.subject_id.label("subject_id"),
        *(has_follow_up(value).label(key) for key, value in FOLLOW_UP_FIGURES.items()),
    ).select_from(DepartmentResult)).where(
        sa.cast(DepartmentResult.follow_ups, sa.Text).not_in(_spellings([FOLLOW_UPS[0]])), *_submitted_in(scope),
    ).cte("followed")
    return _by_department_and_total(followed, [
        _distinct_subjects(followed, followed.c[key]).label(key) for key in FOLLOW_UP_FIGURES])


def _problem_figures(scope: Scope) -> sa.CompoundSelect:
    """Problem items (one per item result with a problem) and the distinct enterprises they were found in."""
    problems = _joined(
        sa.select(DepartmentResult.department_id.label("department_id"),
                  CampaignSubject.subject_id.label("subject_id"))
        .select_from(ItemResult).join(DepartmentResult, ItemResult.department_result_id == DepartmentResult.id)
    ).where(ItemResult.result.in_(PROBLEM_RESULTS), *_submitted_in(scope)).cte("problems")
    return _by_department_and_total(problems, [
        sa.func.count().label("problem_items"),
        _distinct_subjects(problems).label("problem_enterprises"),
    ])


def _inspector_figures(scope: Scope, work: str | None = None) -> sa.Select:
    """Per department, its inspectors with at least one seat (not recused) on a counted result's team.

    Driven from the inspector directory. A seat is always drawn from the inspector's own department
    (campaigns.services), so the inspector's department is the seat's. The planners differ, so the test
    differs in form, not in meaning: PostgreSQL turns EXISTS into one hash semi-join over all seats; SQLite
    runs a look-up per inspector, so there the inspector's seats are read newest first and the first that
    counts ends it (SQLite ignores ORDER BY inside EXISTS, hence the scalar subquery), and a recent year's
    form does not read every seat of the years before.
    """
    seat = (
        sa.select(TeamMember.id)
        .join(InspectionRecord, InspectionRecord.campaign_subject_id == TeamMember.campaign_subject_id)
        .join(CampaignSubject, CampaignSubject.id == TeamMember.campaign_subject_id)
        .join(DepartmentResult, sa.and_(DepartmentResult.record_id == InspectionRecord.id,
                                        DepartmentResult.department_id == TeamMember.department_id))
        .where(TeamMember.inspector_id == Inspector.id, TeamMember.department_id == Inspector.department_id,
               TeamMember.recused_at.is_(None), *_submitted_in(scope))
    )
    if work is not None:
        seat = seat.where(work_of(CampaignSubject.campaign_id) == work)
    if db.session.get_bind().dialect.name == "sqlite":
        counts = seat.order_by(TeamMember.id.desc()).limit(1).scalar_subquery().is_not(None)
    else:
        counts = seat.exists()
    return sa.select(Inspector.department_id, sa.func.count()).where(counts).group_by(Inspector.department_id)


def _reporting_departments(scope: Scope) -> list[tuple[str, int, str]]:
    """(work, department id, name) of every department taking part in a campaign in scope (with a record in the
    year, for a year), by the campaign's work."""
    if scope.campaign_id is not None:
        campaigns = sa.select(sa.literal(scope.campaign_id))
    else:  # per campaign, the first record in the year will do: no need to date every record
        dated = (sa.select(InspectionRecord.id)
                 .join(CampaignSubject, InspectionRecord.campaign_subject_id == CampaignSubject.id)
                 .where(CampaignSubject.campaign_id == Campaign.id, *scope.where()))
        campaigns = sa.select(Campaign.id).where(dated.exists())
    work = work_of(CampaignDepartment.campaign_id)
    return list(db.session.execute(
        sa.select(work, Department.id, Department.name).distinct()
        .join(CampaignDepartment, CampaignDepartment.department_id == Department.id)
        .where(CampaignDepartment.campaign_id.in_(campaigns)).order_by(Department.id)).all())


def _part_rows(departments, counted: dict, inspectors: dict, work: str | None) -> list[FormRow]:
    rows = []
    for department_id, name in departments:
        figures = counted.get((work, department_id), {})
        row = {f.key: figures.get(f.key, 0) for f in FIGURES}
        row["inspectors"] = int(inspectors.get(department_id, 0))
        rows.append(FormRow(name, row, department_id))
    return rows


def _total_row(label: str, counted: dict, inspectors: dict, work: str | None) -> FormRow:
    figures = counted.get((work, None), {})
    row = FormRow(label, {f.key: figures.get(f.key, 0) for f in FIGURES})
    # an inspector belongs to one department, so the distinct count is the sum of the departments'
    row.figures["inspectors"] = sum(int(n) for n in inspectors.values())
    return row


def county_form(scope: Scope) -> CountyForm:
    """The form of seed 004's annex for `scope`: a row per department taking part in joint work and the county
    total; below it each single-department kind of work in the same columns, and all work (module docstring)."""
    counted: dict[tuple[str | None, int | None], dict[str, int]] = {}
    for statement in (_enterprise_figures(scope), _follow_up_figures(scope), _problem_figures(scope)):
        for row in db.session.execute(statement):
            values = row._mapping
            counted.setdefault((values["work"], values["department_id"]), {}).update(
                {key: int(value or 0) for key, value in values.items() if key not in ("work", "department_id")})
    reporting = _reporting_departments(scope)
    departments = {work: [(d, name) for w, d, name in reporting if w == work] for work in (JOINT, *APART)}
    everyone = list(dict.fromkeys((d, name) for _, d, name in sorted(reporting, key=lambda r: r[1])))
    inspectors = {work: dict(db.session.execute(_inspector_figures(scope, work)).all())
                  for work in (JOINT, *APART) if departments[work]}
    joint = inspectors.get(JOINT, {})
    form = CountyForm(scope=scope, rows=_part_rows(departments[JOINT], counted, joint, JOINT),
                      total=_total_row(TOTAL_LABEL, counted, joint, JOINT))
    for work in APART:
        if departments[work]:
            form.apart.append(FormPart(work, _part_rows(departments[work], counted, inspectors[work], work),
                                       _total_row(SUBTOTAL_LABEL, counted, inspectors[work], work)))
    works = [work for work in inspectors if departments[work]]
    every = inspectors[works[0]] if len(works) == 1 else dict(db.session.execute(_inspector_figures(scope)).all())
    form.all_rows = _part_rows(everyone, counted, every, None)
    form.all_total = _total_row(ALL_LABEL, counted, every, None)
    if scope.year is not None:
        form.shares = Shares(counted.get((JOINT, None), {}).get("campaigns", 0),
                             counted.get((None, None), {}).get("campaigns", 0),
                             form.total.figures["enterprises"], form.all_total.figures["enterprises"],
                             counted.get((SPECIAL, None), {}).get("campaigns", 0))
    return form


# ---- the dashboard -------------------------------------------------------------------------------


def _rate(part: int, whole: int) -> float | None:
    return None if not whole else round(100 * part / whole, 1)


def follow_up_counts(scope: Scope) -> dict[str, int]:
    """Handed-in results listing each follow-up (a result may list several)."""
    # most parts need no follow-up: their whole list is compared first, the text search runs on the rest
    nothing = sa.cast(DepartmentResult.follow_ups, sa.Text).in_(_spellings([FOLLOW_UPS[0]]))
    row = db.session.execute(
        sa.select(*(sa.func.coalesce(sa.func.sum(sa.case((nothing, int(value == FOLLOW_UPS[0])),
                                                         else_=_flag(has_follow_up(value)))), 0)
                    for value in FOLLOW_UPS))
        .select_from(DepartmentResult)
        .join(InspectionRecord, DepartmentResult.record_id == InspectionRecord.id)
        .join(CampaignSubject, InspectionRecord.campaign_subject_id == CampaignSubject.id)
        .where(*_submitted_in(scope))
    ).one()
    return {value: int(count) for value, count in zip(FOLLOW_UPS, row)}


def _record_figures(scope: Scope) -> dict[str, int]:
    per_record = (
        sa.select(InspectionRecord.id, InspectionRecord.status,
                  sa.func.count(DepartmentResult.id).label("department_count"),
                  sa.func.count(DepartmentResult.submitted_at).label("submitted"))
        .select_from(InspectionRecord)
        .join(CampaignSubject, InspectionRecord.campaign_subject_id == CampaignSubject.id)
        .outerjoin(DepartmentResult, DepartmentResult.record_id == InspectionRecord.id)
        .where(*scope.where())
        .group_by(InspectionRecord.id, InspectionRecord.status)
        .subquery()
    )
    inspected = per_record.c.submitted > 0
    complete = per_record.c.status.in_((RecordStatus.REVIEWING, RecordStatus.PUBLISHED))
    row = db.session.execute(sa.select(
        sa.func.count(),
        sa.func.sum(_flag(inspected)),
        sa.func.sum(_flag(sa.and_(inspected, per_record.c.department_count >= 2))),
        sa.func.sum(_flag(complete)),
        sa.func.sum(_flag(per_record.c.status == RecordStatus.PUBLISHED)),
        sa.func.sum(per_record.c.submitted),
    )).one()
    keys = ("opened", "visits", "joint_visits", "completed", "published", "department_visits")
    return {key: int(value or 0) for key, value in zip(keys, row)}


def _monthly_visits(scope: Scope) -> list[int]:
    month = sa.extract("month", inspection_date())
    inspected = sa.select(DepartmentResult.record_id).where(DepartmentResult.submitted_at.is_not(None))
    rows = db.session.execute(
        sa.select(month, sa.func.count())
        .select_from(InspectionRecord)
        .join(CampaignSubject, InspectionRecord.campaign_subject_id == CampaignSubject.id)
        .where(*scope.where(), InspectionRecord.id.in_(inspected))
        .group_by(month)
    ).all()
    by_month = {int(m): int(n) for m, n in rows}
    return [by_month.get(m, 0) for m in range(1, 13)]


def _campaign_figures(year: int) -> dict[str, int]:
    """Campaign-level figures: a campaign belongs to the year its period starts in."""
    in_year = Campaign.period_start.between(date(year, 1, 1), date(year, 12, 31))
    drawn = (sa.select(sa.func.count()).where(CampaignSubject.campaign_id == Campaign.id)
             .correlate(Campaign).scalar_subquery())
    campaigns = db.session.execute(sa.select(Campaign.status, drawn).where(in_year)).all()
    # tasks of the year's plans that no campaign carries out yet count as tasks not done
    carried = sa.select(Campaign.plan_task_id).where(Campaign.plan_task_id.is_not(None))
    idle_tasks = db.session.scalar(
        sa.select(sa.func.count()).select_from(PlanTask).join(Plan, PlanTask.plan_id == Plan.id)
        .where(Plan.year == year, PlanTask.id.not_in(carried))) or 0
    dispatched = [c for c in campaigns if c.status in CampaignStatus.DISPATCHED.and_later()]
    return {
        "campaigns": len(campaigns),
        "tasks": len(campaigns) + idle_tasks,
        "finished": sum(c.status == CampaignStatus.FINISHED for c in campaigns),
        "dispatched": len(dispatched),
        "drawn": sum(c[1] for c in campaigns),
        "drawn_with_risk": drawn_with_risk(in_year),
    }


def drawn_with_risk(in_year) -> int:
    """Seed 002's ≥ 90 %: enterprises drawn (every drawn row) that carry a credit-risk class, by a draw whose classes
    actually shaped their stratum — the draw's locked input gave that stratum's enterprises more than one weight,
    and the stratum did not take every one of them (an "all" stratum, or a ratio or count reaching its size).
    A campaign whose default weights differ by class but whose stratum held one class only (or none), or took
    everyone, was not shaped by them; nor is a must-inspect enterprise, drawn whatever its class. The inputs are
    read once per draw (a handful a year); the rows are counted in SQL."""
    rows = db.session.execute(
        sa.select(CampaignSubject.draw_id, CampaignSubject.stratum, sa.func.count())
        .join(Campaign, Campaign.id == CampaignSubject.campaign_id)
        .join(Subject, Subject.id == CampaignSubject.subject_id)
        .where(in_year, Subject.risk_class != "", CampaignSubject.must.is_(False))
        .group_by(CampaignSubject.draw_id, CampaignSubject.stratum)).all()
    shaped = {draw_id: _strata_shaped_by_class(db.session.get(Draw, draw_id)) for draw_id in {row[0] for row in rows}}
    return sum(count for draw_id, stratum, count in rows if stratum in shaped[draw_id])


def _strata_shaped_by_class(draw: Draw) -> set[str]:
    """The strata of a draw in which the classes decided something: a class drawn at a ratio of its own (seed 000's
    上浮抽查比例: its part of a stratum is a stratum of its own, rules.risk_part), or more than one weight among the
    enterprises the stratum could leave out and fewer of them drawn than there were."""
    problem, result = json.loads(draw.problem), json.loads(draw.result or "{}")
    raised = {rules.risk_part(stratum["id"], risk_class) for stratum in (draw.campaign.strata or [])
              for risk_class in (stratum.get("risk_ratios") or {})}
    taking_all = {stratum["id"] for stratum in problem.get("strata", []) if stratum.get("all")}
    weights: dict[str, set[float]] = {}
    candidates: dict[str, int] = {}
    for subject in problem.get("subjects", []):
        if not subject.get("must"):
            weights.setdefault(subject["stratum"], set()).add(round(float(subject.get("weight", 1.0)), 6))
            candidates[subject["stratum"]] = candidates.get(subject["stratum"], 0) + 1
    drawn: dict[str, int] = {}
    for subject in result.get("drawn", []):
        if not subject.get("must"):
            drawn[subject["stratum"]] = drawn.get(subject["stratum"], 0) + 1
    return raised | {stratum for stratum, seen in weights.items()
                     if len(seen) > 1 and stratum not in taking_all and drawn.get(stratum, 0) < candidates[stratum]}


def dashboard(year: int) -> dict:
    """Every figure of the dashboard for `year` (see the module docstring), ready for the page and its charts."""
    scope = year_scope(year)
    form = county_form(scope)
    records = _record_figures(scope)
    campaigns = _campaign_figures(year)
    follow_ups = follow_up_counts(scope)
    total = form.all_total.figures  # the dashboard counts every kind of work; the form's table the joint one
    return {
        "year": year,
        "form": form,
        "enterprises": total["enterprises"],
        "problem_enterprises": total["problem_enterprises"],
        "rectification_notices": follow_ups["责令改正"],
        "case_filed": total["case_filed"],
        "visits": records["visits"],
        "joint_visits": records["joint_visits"],
        "joint_visit_rate": _rate(records["joint_visits"], records["visits"]),
        "campaigns": campaigns["campaigns"],
        "dispatched_campaigns": campaigns["dispatched"],
        # seed 002's two shares, as the statistics form counts them (one definition: stats.services.Shares)
        "counted_campaigns": form.shares.campaigns,
        "joint_campaigns": form.shares.joint_campaigns,
        "joint_campaign_rate": form.shares.campaign_rate,
        "single_campaigns": form.shares.campaigns - form.shares.joint_campaigns,
        "special_campaigns": form.shares.special_campaigns,
        "joint_enterprises": form.shares.joint_enterprises,
        "joint_enterprise_rate": form.shares.enterprise_rate,
        "single_visits": records["visits"] - records["joint_visits"],
        "tasks": campaigns["tasks"],
        "finished_tasks": campaigns["finished"],
        "task_completion_rate": _rate(campaigns["finished"], campaigns["tasks"]),
        "records_opened": records["opened"],
        "records_completed": records["completed"],
        "inspection_completion_rate": _rate(records["completed"], records["opened"]),
        "records_published": records["published"],
        "publication_rate": _rate(records["published"], records["completed"]),
        "drawn": campaigns["drawn"],
        "drawn_with_risk": campaigns["drawn_with_risk"],
        "credit_risk_rate": _rate(campaigns["drawn_with_risk"], campaigns["drawn"]),
        "burden": round(records["visits"] / total["enterprises"], 2) if total["enterprises"] else None,
        "burden_separate": (round(records["department_visits"] / total["enterprises"], 2)
                            if total["enterprises"] else None),
        "department_visits": records["department_visits"],
        "follow_ups": follow_ups,
        **followups.penalties(scope.where()),  # seed 001 reports 行政处罚: decided on the same records
        "monthly_visits": _monthly_visits(scope),
    }


def chart_data(figures: dict) -> dict:
    """What dashboard.js draws: plain lists, no objects, so the page can hand it over as JSON."""
    rows = figures["form"].all_rows
    return {
        "departments": {
            "labels": [r.department for r in rows],
            "enterprises": [r.figures["enterprises"] for r in rows],
            "problem_enterprises": [r.figures["problem_enterprises"] for r in rows],
        },
        "rates": {
            "labels": ["联合检查户次占比", "联合抽查次数占比", "信用风险分类运用率", "抽查任务完成率", "检查完成率", "公示率",
                       "联合抽查户数占比"],
            "values": [figures[k] for k in ("joint_visit_rate", "joint_campaign_rate", "credit_risk_rate",
                                            "task_completion_rate", "inspection_completion_rate", "publication_rate",
                                            "joint_enterprise_rate")],
            "goals": [100, 100, 90, 100, 100, 100, 100],
        },
        "follow_ups": {"labels": [k for k in FOLLOW_UPS if k != "无需后续处置"],
                       "values": [figures["follow_ups"][k] for k in FOLLOW_UPS if k != "无需后续处置"]},
        "months": {"labels": [f"{m}月" for m in range(1, 13)], "values": figures["monthly_visits"]},
    }
