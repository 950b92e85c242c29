"""Campaign workflow services: items, lock and draw, confirmation, replacement, teams, recusal, replay."""
from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter, defaultdict
from datetime import date, datetime

import sqlalchemy as sa

import solver

from ..audit import services as audit
from ..auth.models import Department, User
from ..directories.models import drawable_clause
from ..directories.models import Conflict, Inspector, Subject, Zone
from ..directories.services import change_status
from ..extensions import db
from ..items.models import Item
from ..results.services import open_record
from ..textutil import split_list
from ..timeutil import now
from ..vocab import ACTIVE_STATUS
from ..workdays import deadline_after, working_days_between
from . import rules
from .models import (
    Campaign,
    CampaignDepartment,
    CampaignItem,
    CampaignSubject,
    CONFIRM_DECISIONS,
    Confirmation,
    DrawRecord,
    Plan,
    PlanTask,
    TeamMember,
    without_team,
)


class CampaignError(ValueError):
    """A step that cannot be taken now; the message says why, in Chinese."""


def canonical(data) -> str:
    """The contract's canonical JSON: keys sorted, no white space, non-ASCII kept."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _require_status(campaign: Campaign, *allowed: str) -> None:
    if campaign.status not in allowed:
        raise CampaignError(f"联合抽查当前处于“{campaign.status_label}”阶段，不能进行此操作")


# ---- creating a campaign and collecting items ------------------------------------------------------


def create_campaign(values: dict, lead: Department, partners: list[Department], user: User | None) -> Campaign:
    campaign = Campaign(**values, lead_department=lead, created_by_id=user.id if user else None)
    campaign.departments.append(CampaignDepartment(department=lead, is_lead=True))
    for department in partners:
        if department.id != lead.id:
            campaign.departments.append(CampaignDepartment(department=department))
    db.session.add(campaign)
    return campaign


def submit_items(campaign: Campaign, department_id: int, item_ids: list[int], materials: str, user: User) -> None:
    """A department's items and materials list for this campaign, frozen at their current versions."""
    _require_status(campaign, "collecting")
    participation = campaign.participation(department_id)
    if participation is None:
        raise CampaignError("本部门没有参加这次联合抽查")
    items = db.session.scalars(sa.select(Item).where(Item.id.in_(item_ids or [-1]), Item.active)).all()
    if not items:
        raise CampaignError("请至少选择一项本部门的抽查事项")
    if any(item.department_id != department_id for item in items):
        raise CampaignError("只能选择本部门的抽查事项")
    participation.items.clear()
    for item in items:
        participation.items.append(CampaignItem(item=item, version=item.version, data=item.snapshot()))
    participation.materials = materials.strip()
    participation.submitted_at = now()
    participation.submitted_by_id = user.id


def reach(campaign: Campaign) -> dict[int, list[str]]:
    """For each department, the industries its chosen items reach ("全部" = every enterprise)."""
    return {
        cd.department_id: sorted({i for ci in cd.items for i in split_list(ci.data.get("industries")) or ["全部"]})
        for cd in campaign.departments
        if cd.items
    }


def visiting_departments(reached: dict[int, list[str]], industry: str) -> list[int]:
    return sorted(d for d, industries in reached.items() if rules.item_reaches(industries, industry))


def _months_before(day: date, months: int) -> date:
    month = day.month - months
    year = day.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return date(year, month, min(day.day, 28))


def in_scope_query(campaign: Campaign):
    """Active enterprises within the campaign's scope, minus those jointly inspected in the last N months."""
    query = sa.select(Subject).where(Subject.status == ACTIVE_STATUS)
    scope = campaign.scope or {}
    for key, column in (("regions", Subject.region), ("industries", Subject.industry),
                        ("categories", Subject.category), ("risk_classes", Subject.risk_class)):
        if scope.get(key):
            query = query.where(column.in_(scope[key]))
    if campaign.burden_months:
        since = _months_before(campaign.visit_start, campaign.burden_months)
        recent = (
            sa.select(CampaignSubject.subject_id)
            .join(Campaign, Campaign.id == CampaignSubject.campaign_id)
            .where(CampaignSubject.state == "active", Campaign.id != campaign.id,
                   sa.func.coalesce(CampaignSubject.visit_date, Campaign.visit_start) >= since,
                   sa.func.coalesce(CampaignSubject.visit_date, Campaign.visit_start) <= campaign.visit_start)
        )
        query = query.where(Subject.id.not_in(recent))
    return query


def coverage(campaign: Campaign) -> list[tuple[list[str], int]]:
    """How many in-scope enterprises each combination of departments would visit together (before the draw)."""
    reached = reach(campaign)
    names = {cd.department_id: cd.department.name for cd in campaign.departments}
    scoped = in_scope_query(campaign).subquery()
    by_industry = db.session.execute(sa.select(scoped.c.industry, sa.func.count()).group_by(scoped.c.industry))
    combos: Counter = Counter()
    for industry, count in by_industry:
        combos[tuple(visiting_departments(reached, industry))] += count
    return sorted(([names[d] for d in combo], count) for combo, count in combos.items())


# ---- stage 1: lock the input, then draw with a seed announced afterwards ----------------------------


def subject_problem(campaign: Campaign) -> dict:
    """The stage-1 input without its seed: every in-scope enterprise some department's items reach."""
    reached = reach(campaign)
    weights = {k: float(v) for k, v in (campaign.risk_weights or rules.DEFAULT_RISK_WEIGHTS).items()}
    subjects = []
    for subject in db.session.scalars(in_scope_query(campaign).order_by(Subject.credit_code)):
        stratum = rules.stratum_of(campaign.strata, subject.category, subject.crowded)
        if stratum is None or not visiting_departments(reached, subject.industry):
            continue
        subjects.append({
            "id": subject.credit_code,
            "stratum": stratum,
            "weight": weights.get(subject.risk_class, 1.0),
            "must": any(getattr(subject, flag) for flag in campaign.must_flags or []),
        })
    return {"strata": rules.solver_strata(campaign.strata), "subjects": subjects}


def lock_subject_draw(campaign: Campaign, user: User) -> DrawRecord:
    """Freeze the stage-1 input and publish its hash; the seed is chosen only after this."""
    _require_status(campaign, "collecting")
    missing = [cd.department.name for cd in campaign.departments if not cd.submitted_at]
    if missing:
        raise CampaignError(f"以下部门尚未提交抽查事项：{'、'.join(missing)}")
    problem = subject_problem(campaign)
    if not problem["subjects"]:
        raise CampaignError("抽查范围内没有符合条件的存续检查对象，请调整抽查范围或分层规则")
    text = canonical(problem)
    record = DrawRecord(campaign_id=campaign.id, kind="subjects", problem=text, locked_sha256=sha256(text),
                        operator_id=user.id, singleton=f"{campaign.id}:subjects")
    db.session.add(record)
    campaign.status = "locked"
    return record


def _run(record: DrawRecord, seed: str, witness: str, user: User | None, solve) -> dict:
    """Run a locked draw exactly once: the conditional update refuses a second, concurrent run."""
    seed = seed.strip()
    if not seed:
        raise CampaignError("请填写随机种子（如由见证人现场报出的数字或短语）")
    if len(seed) > 200:
        raise CampaignError("随机种子不能超过200个字符")
    problem = json.loads(record.problem)
    problem["seed"] = seed
    result = solve(problem)
    claimed = db.session.execute(
        sa.update(DrawRecord)
        .where(DrawRecord.id == record.id, DrawRecord.result.is_(None))
        .values(seed=seed, input_sha256=result["input_sha256"], result=canonical(result), witness=witness.strip(),
                operator_id=user.id if user else None, drawn_at=now())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise CampaignError("这次抽取已经完成（可能是其他人刚刚点击了抽取），结果以已保存的为准")
    audit.record("draw", "draw_record", record.id, None, {"kind": record.kind, "seed": seed,
                                                          "input_sha256": result["input_sha256"]}, user=user)
    db.session.refresh(record)
    return result


def run_subject_draw(campaign: Campaign, seed: str, witness: str, user: User) -> DrawRecord:
    _require_status(campaign, "locked")
    record = db.session.scalar(sa.select(DrawRecord).where(DrawRecord.singleton == f"{campaign.id}:subjects"))
    result = _run(record, seed, witness, user, solver.draw_subjects)
    _add_drawn(campaign, record, result["drawn"])
    campaign.status = "drawn"
    deadline = deadline_after(now(), 1)
    for participation in campaign.departments:
        participation.confirm_deadline = deadline
    return record


def _add_drawn(campaign: Campaign, record: DrawRecord, drawn: list[dict]) -> list[CampaignSubject]:
    reached = reach(campaign)
    by_code = {s.credit_code: s for s in db.session.scalars(
        sa.select(Subject).where(Subject.credit_code.in_([d["id"] for d in drawn])))}
    added = []
    for row in drawn:
        subject = by_code[row["id"]]
        added.append(CampaignSubject(
            campaign=campaign, subject=subject, draw=record, stratum=row["stratum"],
            probability=row["probability"], must=row["must"],
            department_ids=visiting_departments(reached, subject.industry),
        ))
    db.session.add_all(added)
    return added


# ---- confirmation by each department within one working day -------------------------------------------


def confirm(campaign: Campaign, department_id: int, decisions: dict[int, tuple[str, str]], user: User) -> int:
    """Record a department's decision on drawn enterprises; returns how many were recorded."""
    _require_status(campaign, "drawn")
    participation = campaign.participation(department_id)
    if participation is None:
        raise CampaignError("本部门没有参加这次联合抽查")
    rows = {cs.id: cs for cs in campaign.subjects if cs.state == "active" and department_id in cs.department_ids}
    existing = {(c.campaign_subject_id, c.department_id): c for cs in rows.values() for c in cs.confirmations}
    recorded = 0
    for cs_id, (decision, reason) in decisions.items():
        cs = rows.get(cs_id)
        if cs is None:
            raise CampaignError("只能确认分配给本部门的检查对象")
        if decision not in CONFIRM_DECISIONS:
            raise CampaignError(f"确认结果“{decision}”无效")
        if decision != "确认" and not reason.strip():
            raise CampaignError(f"“{cs.subject.name}”标记为“{decision}”时必须填写原因")
        confirmation = existing.get((cs_id, department_id))
        if confirmation is None:
            confirmation = Confirmation(department_id=department_id)
            cs.confirmations.append(confirmation)
        confirmation.decision, confirmation.reason = decision, reason.strip()[:500]
        confirmation.user_id, confirmation.at = user.id, now()
        recorded += 1
    db.session.flush()
    if all(any(c.department_id == department_id for c in cs.confirmations) for cs in rows.values()):
        participation.confirmed_at = participation.confirmed_at or now()
    return recorded


def pending_confirmations(campaign: Campaign, department_id: int) -> list[CampaignSubject]:
    return [cs for cs in campaign.subjects if cs.state == "active" and department_id in cs.department_ids
            and not any(c.department_id == department_id for c in cs.confirmations)]


def pending_counts(campaign: Campaign) -> dict[int, int]:
    """Per taking-part department: how many of its drawn enterprises it has not confirmed yet.
    The same figure as len(pending_confirmations(...)), from two column queries instead of the whole campaign."""
    counts = {cd.department_id: 0 for cd in campaign.departments}
    answered = set(db.session.execute(
        sa.select(Confirmation.campaign_subject_id, Confirmation.department_id).join(CampaignSubject)
        .where(CampaignSubject.campaign_id == campaign.id)).all())
    for cs_id, departments in db.session.execute(
            sa.select(CampaignSubject.id, CampaignSubject.department_ids)
            .where(CampaignSubject.campaign_id == campaign.id, CampaignSubject.state == "active")):
        for department_id in departments:
            if department_id in counts and (cs_id, department_id) not in answered:
                counts[department_id] += 1
    return counts


def overdue(participation: CampaignDepartment, at: datetime | None = None) -> bool:
    return (participation.confirmed_at is None and participation.confirm_deadline is not None
            and participation.confirm_deadline < (at or now()))


def flagged(campaign: Campaign) -> list[tuple[CampaignSubject, Confirmation]]:
    """Enterprises a department flagged as closed or not found: they await a replacement draw."""
    return db.session.execute(
        sa.select(CampaignSubject, Confirmation).join(Confirmation)
        .where(CampaignSubject.campaign_id == campaign.id, CampaignSubject.state == "active",
               Confirmation.decision.in_(("已关闭停业", "查无此户")))
        .order_by(CampaignSubject.id, Confirmation.id).options(*without_team())).all()


def unstaffed(campaign: Campaign) -> list[CampaignSubject]:
    """Drawn enterprises the team draw could not staff, with its reason."""
    return db.session.scalars(
        sa.select(CampaignSubject).where(CampaignSubject.campaign_id == campaign.id,
                                         CampaignSubject.state == "active", CampaignSubject.unstaffed_reason != "")
        .order_by(CampaignSubject.id).options(*without_team())).all()


CLOSED_DECISIONS = {"已关闭停业": "停业", "查无此户": "查无此户"}  # a department's flag → the directory's status


def replacement_population(campaign: Campaign, cs: CampaignSubject) -> list[dict]:
    """The locked input's enterprises of `cs`'s stratum not drawn yet and still active: who may replace it."""
    main = db.session.scalar(sa.select(DrawRecord).where(DrawRecord.singleton == f"{campaign.id}:subjects"))
    locked = json.loads(main.problem)
    taken = set(db.session.scalars(sa.select(Subject.credit_code).join(CampaignSubject)
                                   .where(CampaignSubject.campaign_id == campaign.id)))
    candidates = [s for s in locked["subjects"] if s["stratum"] == cs.stratum and s["id"] not in taken]
    active = set(db.session.scalars(sa.select(Subject.credit_code).where(
        Subject.credit_code.in_([s["id"] for s in candidates] or ["-"]), Subject.status == ACTIVE_STATUS)))
    return [{**s, "must": False} for s in candidates if s["id"] in active]


def replaceable(campaign: Campaign, flagged_rows) -> dict[int, bool]:
    """For each flagged enterprise: whether its stratum still has someone to draw in its place."""
    by_stratum: dict[str, bool] = {}
    answer = {}
    for cs, _ in flagged_rows:
        if cs.stratum not in by_stratum:
            by_stratum[cs.stratum] = bool(replacement_population(campaign, cs))
        answer[cs.id] = by_stratum[cs.stratum]
    return answer


def _flagged_decision(cs: CampaignSubject) -> str | None:
    return next((c.decision for c in cs.confirmations if c.decision in CLOSED_DECISIONS), None)


def _directory_learns(campaign: Campaign, cs: CampaignSubject, reason: str, user: User) -> None:
    """A closed or missing enterprise leaves the drawing pool: the directory takes the department's finding."""
    status = CLOSED_DECISIONS.get(_flagged_decision(cs) or "")
    if status and cs.subject.status == ACTIVE_STATUS:
        change_status(cs.subject, status, f"{campaign.name}：{reason.strip()}", user.id)


def replacement_draw(campaign: Campaign, cs: CampaignSubject, reason: str, user: User,
                     seed: str | None = None) -> CampaignSubject:
    """Replace a closed or missing enterprise by a recorded draw from its stratum; the rest stays as it was."""
    _require_status(campaign, "drawn")
    if cs.state != "active":
        raise CampaignError("该检查对象已被替换或核减")
    if not reason.strip():
        raise CampaignError("请填写替换原因")
    main = db.session.scalar(sa.select(DrawRecord).where(DrawRecord.singleton == f"{campaign.id}:subjects"))
    population = replacement_population(campaign, cs)
    if not population:
        raise CampaignError(f"“{cs.stratum}”层已没有可替换的存续检查对象：可以写明原因后“核减，不再替换”")
    count = db.session.scalar(sa.select(sa.func.count()).where(DrawRecord.campaign_id == campaign.id,
                                                               DrawRecord.kind == "replacement")) or 0
    text = canonical({"strata": [{"id": cs.stratum, "count": 1}], "subjects": population})
    record = DrawRecord(campaign_id=campaign.id, kind="replacement", problem=text, locked_sha256=sha256(text),
                        note=f"替换“{cs.subject.name}”：{reason.strip()}"[:500], operator_id=user.id)
    db.session.add(record)
    db.session.flush()
    result = _run(record, seed or f"{main.seed}-替换-{count + 1}", "", user, solver.draw_subjects)
    new = _add_drawn(campaign, record, result["drawn"])[0]
    db.session.flush()
    deadline = deadline_after(now(), 1)
    for participation in campaign.departments:
        if participation.department_id in new.department_ids:  # the newcomer needs their confirmation too
            participation.confirmed_at, participation.confirm_deadline = None, deadline
    cs.state, cs.replaced_by_id = "replaced", new.id
    _directory_learns(campaign, cs, reason, user)
    return new


def accept_shortfall(campaign: Campaign, cs: CampaignSubject, reason: str, user: User) -> None:
    """A closed or missing enterprise that is not replaced (its stratum drew everyone, or the office decides
    so): it leaves the campaign and the drawing pool, with the office's reason; the campaign goes on short."""
    _require_status(campaign, "drawn")
    if cs.state != "active":
        raise CampaignError("该检查对象已被替换或核减")
    if _flagged_decision(cs) is None:
        raise CampaignError("只有被部门标记为已关闭停业或查无此户的检查对象可以核减")
    if not reason.strip():
        raise CampaignError("请填写核减原因（如：该层已全部抽取，无可替换对象）")
    cs.state, cs.dropped_reason = "dropped", reason.strip()[:500]
    _directory_learns(campaign, cs, reason, user)


def dropped(campaign: Campaign) -> list[CampaignSubject]:
    return db.session.scalars(
        sa.select(CampaignSubject).where(CampaignSubject.campaign_id == campaign.id, CampaignSubject.state == "dropped")
        .order_by(CampaignSubject.id).options(*without_team())).all()


# ---- stage 2: joint teams --------------------------------------------------------------------------


def visit_days(campaign: Campaign) -> list[date]:
    return working_days_between(campaign.visit_start, campaign.visit_end)


def _zones() -> dict[str, str]:
    return {region: zone.name for zone in db.session.scalars(sa.select(Zone)) for region in zone.regions}


def _expertise(campaign: Campaign) -> dict[int, set[str]]:
    """The specialist industries the lead department's chosen items name explicitly (not via "全部").

    Only the lead department must send a specialist: partner departments send experts to assist where an
    item needs one (seed 004, 五(一)3), which is not a rule of the draw.
    """
    wanted = set(campaign.expertise_industries or [])
    lead = campaign.participation(campaign.lead_department_id)
    return {lead.department_id: {i for ci in lead.items for i in split_list(ci.data.get("industries"))} & wanted}


def _pool(campaign: Campaign, department_ids) -> list[Inspector]:
    return db.session.scalars(
        sa.select(Inspector).where(Inspector.department_id.in_(list(department_ids)),
                                   drawable_clause(campaign.visit_start))
        .order_by(Inspector.cert_no)
    ).all()


def _unavailable(inspector: Inspector, days: list[date]) -> list[str]:
    """Declared unavailable dates, plus every visit day after the certificate expires."""
    blocked = set(inspector.unavailable or [])
    blocked.update(d.isoformat() for d in days if inspector.cert_expiry and d > inspector.cert_expiry)
    return sorted(blocked & {d.isoformat() for d in days})


def _previous_team_conflicts(campaign: Campaign, subject_ids: list[int]) -> set[tuple[int, int]]:
    """(inspector, subject) pairs where the inspector was on the subject's team in its previous campaign."""
    rows = db.session.execute(
        sa.select(CampaignSubject.subject_id, CampaignSubject.campaign_id, TeamMember.inspector_id)
        .join(TeamMember, TeamMember.campaign_subject_id == CampaignSubject.id)
        .join(Campaign, Campaign.id == CampaignSubject.campaign_id)
        .where(CampaignSubject.subject_id.in_(subject_ids or [-1]), Campaign.id != campaign.id,
               Campaign.visit_start < campaign.visit_start, TeamMember.recused_at.is_(None))
        .order_by(Campaign.visit_start)
    ).all()
    latest: dict[int, int] = {}
    for subject_id, campaign_id, _ in rows:
        latest[subject_id] = campaign_id  # ordered by date: the last one wins
    return {(inspector_id, subject_id) for subject_id, campaign_id, inspector_id in rows
            if latest[subject_id] == campaign_id}


def _conflicts(campaign: Campaign, inspectors: list[Inspector], subjects: list[Subject]) -> list[dict]:
    by_id = {i.id: i for i in inspectors}
    subject_by_id = {s.id: s for s in subjects}
    found: dict[tuple[int, int], str] = {}
    declared = db.session.execute(
        sa.select(Conflict.inspector_id, Conflict.subject_id, Conflict.reason)
        .where(Conflict.inspector_id.in_(list(by_id) or [-1]), Conflict.subject_id.in_(list(subject_by_id) or [-1]))
    )
    for inspector_id, subject_id, reason in declared:
        found[(inspector_id, subject_id)] = reason
    for pair in _previous_team_conflicts(campaign, list(subject_by_id)):
        if pair[0] in by_id:
            found.setdefault(pair, "上一次联合抽查曾检查该单位")
    return [{"inspector": by_id[i].cert_no, "subject": subject_by_id[s].credit_code, "reason": reason}
            for (i, s), reason in sorted(found.items())]


def team_problem(campaign: Campaign, subjects: list[CampaignSubject]) -> dict:
    """The stage-2 input without its seed, built from the directories as they are now."""
    departments = {cd.department_id: cd.department for cd in campaign.departments}
    days = visit_days(campaign)
    if not days:
        raise CampaignError("检查时间范围内没有工作日，请调整检查时间")
    inspectors = _pool(campaign, departments)
    zones = _zones()
    zoned = {i.department_id for i in inspectors if i.zone}
    expertise = _expertise(campaign)
    problem_subjects = []
    for cs in subjects:
        needs = []
        for department_id in cs.visiting():
            tags = sorted(expertise.get(department_id, set()) & {cs.subject.industry})
            zone = zones.get(cs.subject.region)
            if zone and department_id in zoned:
                tags.append(f"zone:{zone}")
            needs.append({"department": departments[department_id].code, "size": campaign.team_size, "tags": tags})
        problem_subjects.append({"id": cs.subject.credit_code, "needs": needs})
    problem = {
        "lead_department": campaign.lead_department.code,
        "departments": [{"id": d.code, "name": d.name} for d in departments.values()],
        "inspectors": [
            {"id": i.cert_no, "department": departments[i.department_id].code,
             "tags": [*i.tags, *([f"zone:{i.zone}"] if i.zone else [])],
             "capacity": campaign.inspector_capacity, "can_lead": i.can_lead,
             "unavailable": _unavailable(i, days)}
            for i in inspectors
        ],
        "subjects": problem_subjects,
        "conflicts": _conflicts(campaign, inspectors, [cs.subject for cs in subjects]),
        "days": [d.isoformat() for d in days],
        "daily_capacity": campaign.daily_capacity,
    }
    if campaign.max_pair_probability:
        problem["max_pair_probability"] = campaign.max_pair_probability
    problem["report_pair_probabilities"] = True  # auditors can check every pair's planned probability
    return problem


def _store_teams(campaign: Campaign, record: DrawRecord, result: dict, subjects: list[CampaignSubject]) -> None:
    by_code = {cs.subject.credit_code: cs for cs in subjects}
    inspectors = {i.cert_no: i for i in db.session.scalars(
        sa.select(Inspector).where(Inspector.cert_no.in_(
            [m["inspector"] for t in result["teams"] for m in t["members"]] or ["-"])))}
    for team in result["teams"]:
        cs = by_code[team["subject"]]
        cs.visit_date = date.fromisoformat(team["date"]) if team.get("date") else None
        cs.unstaffed_reason = ""
        for member in team["members"]:
            inspector = inspectors[member["inspector"]]
            db.session.add(TeamMember(campaign_subject=cs, inspector=inspector, department_id=inspector.department_id,
                                      is_leader=member["inspector"] == team.get("leader"), draw=record))
    reasons = defaultdict(list)
    for row in result.get("unstaffed", []):
        reasons[row["subject"]].append(row["reason"])
    for code, texts in reasons.items():
        by_code[code].unstaffed_reason = "；".join(dict.fromkeys(texts))[:500]


def lock_and_run_team_draw(campaign: Campaign, seed: str, witness: str, user: User,
                           allow_overdue: bool = False) -> DrawRecord:
    """Form every joint team in one recorded draw."""
    _require_status(campaign, "drawn")
    waiting = [cd for cd in campaign.departments if cd.confirmed_at is None]
    blocking = [cd.department.name for cd in waiting if not (allow_overdue and overdue(cd))]
    if blocking:
        raise CampaignError(f"以下部门尚未完成检查对象确认：{'、'.join(blocking)}")
    if any(cs for cs, _ in flagged(campaign)):
        raise CampaignError("还有被标记为已关闭或查无此户的检查对象未处理：请先替换抽取，或写明原因后核减")
    subjects = [cs for cs in campaign.subjects if cs.state == "active"]
    text = canonical(team_problem(campaign, subjects))
    record = DrawRecord(campaign_id=campaign.id, kind="teams", problem=text, locked_sha256=sha256(text),
                        operator_id=user.id, singleton=f"{campaign.id}:teams")
    db.session.add(record)
    db.session.flush()
    result = _run(record, seed, witness, user, solver.solve_teams)
    _store_teams(campaign, record, result, subjects)
    campaign.status = "teamed"
    return record


def visit_dates(campaign: Campaign) -> list[date]:
    """The days teams of the campaign visit, for the teams page's filter."""
    return list(db.session.scalars(
        sa.select(CampaignSubject.visit_date).distinct()
        .where(CampaignSubject.campaign_id == campaign.id, CampaignSubject.visit_date.is_not(None))
        .order_by(CampaignSubject.visit_date)))


def filter_teams(query, filters: dict[str, str]):
    """Narrow a query of drawn enterprises by visit date, a department in the team, and a name or
    certificate number (of the enterprise or of a member)."""
    if filters.get("date"):
        try:
            query = query.where(CampaignSubject.visit_date == date.fromisoformat(filters["date"]))
        except ValueError:
            query = query.where(sa.false())
    if filters.get("department", "").isdigit():
        query = query.where(CampaignSubject.members.any(sa.and_(
            TeamMember.department_id == int(filters["department"]), TeamMember.recused_at.is_(None))))
    if filters.get("q"):
        text = filters["q"]
        query = query.where(sa.or_(
            Subject.name.contains(text, autoescape=True),
            CampaignSubject.members.any(TeamMember.inspector.has(sa.or_(
                Inspector.name.contains(text, autoescape=True),
                Inspector.cert_no.contains(text.upper(), autoescape=True))))))
    return query


def recuse(campaign: Campaign, member: TeamMember, reason: str, user: User) -> TeamMember | None:
    """Recuse one assigned inspector and redraw that one seat by a recorded draw; the rest stays as it was."""
    _require_status(campaign, "teamed", "dispatched")
    if member.recused_at is not None:
        raise CampaignError("该执法人员已经回避")
    if not reason.strip():
        raise CampaignError("请填写回避原因")
    cs = member.campaign_subject
    member.recused_at, member.recusal_reason = now(), reason.strip()[:500]
    if not db.session.scalar(sa.select(Conflict).where(Conflict.inspector_id == member.inspector_id,
                                                       Conflict.subject_id == cs.subject_id)):
        db.session.add(Conflict(inspector_id=member.inspector_id, subject_id=cs.subject_id,
                                reason=f"{reason.strip()}（{campaign.name}中申请回避）"[:200]))
    db.session.flush()
    problem = _reseat_problem(campaign, cs, member)
    main = db.session.scalar(sa.select(DrawRecord).where(DrawRecord.singleton == f"{campaign.id}:teams"))
    count = db.session.scalar(sa.select(sa.func.count()).where(DrawRecord.campaign_id == campaign.id,
                                                               DrawRecord.kind == "reseat")) or 0
    text = canonical(problem)
    record = DrawRecord(campaign_id=campaign.id, kind="reseat", problem=text, locked_sha256=sha256(text),
                        note=f"{cs.subject.name}：{member.inspector.name}回避（{reason.strip()}）"[:500],
                        operator_id=user.id)
    db.session.add(record)
    db.session.flush()
    result = _run(record, f"{main.seed}-回避-{count + 1}", "", user, solver.solve_teams)
    if not result["teams"]:
        cs.unstaffed_reason = "；".join(r["reason"] for r in result["unstaffed"])[:500]
        return None
    chosen = result["teams"][0]["members"][0]["inspector"]
    inspector = db.session.scalar(sa.select(Inspector).where(Inspector.cert_no == chosen))
    seat = TeamMember(campaign_subject=cs, inspector=inspector, department_id=inspector.department_id,
                      is_leader=member.is_leader, draw=record)
    member.is_leader = False
    db.session.add(seat)
    return seat


def _reseat_problem(campaign: Campaign, cs: CampaignSubject, member: TeamMember) -> dict:
    """One seat of one department on one date: the staying members and the day's load are taken as given."""
    full = team_problem(campaign, [cs])
    department = member.department
    staying = {m.inspector.cert_no for m in cs.active_members}
    need = next(n for n in full["subjects"][0]["needs"] if n["department"] == department.code)
    staying_tags = {t for m in cs.active_members if m.department_id == department.id
                    for t in [*m.inspector.tags, f"zone:{m.inspector.zone}"]}
    day = cs.visit_date.isoformat() if cs.visit_date else None
    load = Counter(db.session.scalars(
        sa.select(TeamMember.inspector_id).join(CampaignSubject)
        .where(CampaignSubject.campaign_id == campaign.id, TeamMember.recused_at.is_(None))))
    day_load = Counter(db.session.scalars(
        sa.select(TeamMember.inspector_id).join(CampaignSubject)
        .where(CampaignSubject.campaign_id == campaign.id, TeamMember.recused_at.is_(None),
               CampaignSubject.visit_date == cs.visit_date)))
    pool = {i.cert_no: i for i in _pool(campaign, [department.id])}
    inspectors = []
    for row in full["inspectors"]:
        inspector = pool.get(row["id"])
        if inspector is None or row["id"] in staying:
            continue
        unavailable = list(row["unavailable"])
        if day and day_load[inspector.id] >= campaign.daily_capacity:
            unavailable = sorted({*unavailable, day})
        inspectors.append({**row, "capacity": max(campaign.inspector_capacity - load[inspector.id], 0),
                           "unavailable": unavailable})
    problem = {
        "departments": [{"id": department.code, "name": department.name}],
        "inspectors": inspectors,
        "subjects": [{"id": cs.subject.credit_code, "needs": [
            {"department": department.code, "size": 1, "tags": [t for t in need["tags"] if t not in staying_tags]}]}],
        "conflicts": [c for c in full["conflicts"] if c["inspector"] in {i["id"] for i in inspectors}],
    }
    if day:
        problem["days"], problem["daily_capacity"] = [day], campaign.daily_capacity
    if member.is_leader:
        problem["lead_department"] = department.code
    return problem


def pair_probabilities(record: DrawRecord) -> list[dict] | None:
    """The planned probability of every pair of a team draw that reported them; None otherwise."""
    if not record.reports_pair_probabilities:
        return None
    return json.loads(record.result)["randomness"]["pair_probabilities"]


def pair_probabilities_csv(pairs: list[dict]) -> str:
    """The pairs as CSV (UTF-8 with a byte-order mark, so spreadsheets read the Chinese header)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["检查对象（统一社会信用代码）", "执法人员（执法证号）", "计划概率"])
    writer.writerows((p["subject"], p["inspector"], repr(p["probability"])) for p in pairs)
    return "\ufeff" + buffer.getvalue()


# ---- replay: every stored draw run again must give the stored result, byte for byte ----------------------

SOLVE = {"subjects": solver.draw_subjects, "replacement": solver.draw_subjects,
         "teams": solver.solve_teams, "reseat": solver.solve_teams, "restaff": solver.solve_teams}


def replay(record: DrawRecord) -> str | None:
    """None when the stored draw replays exactly; otherwise what differs, in Chinese."""
    if sha256(record.problem) != record.locked_sha256:
        return "锁定的输入与其公布的哈希值不一致（输入被改动）"
    if record.result is None:
        return None  # locked, not drawn yet: nothing to replay
    problem = json.loads(record.problem)
    problem["seed"] = record.seed
    result = SOLVE[record.kind](problem)
    if canonical(result) != record.result:
        stored = json.loads(record.result).get("versions", {})
        hint = "" if stored == result.get("versions") else f"（求解器版本不同：记录 {stored}，当前 {result.get('versions')}）"
        return "重放结果与保存的结果不一致" + hint
    if record.kind in ("teams", "reseat", "restaff"):
        violations = solver.check_teams(problem, result)
        if violations:
            return "结果未通过规则校验：" + "；".join(violations[:3])
    return None


def dispatch(campaign: Campaign) -> None:
    """Send the records out: each staffed enterprise gets its joint record, open for results."""
    _require_status(campaign, "teamed")
    campaign.status = "dispatched"
    campaign.dispatched_at = now()
    for cs in campaign.subjects:
        if cs.state == "active" and cs.active_members:
            open_record(cs)



# ---- annual plans ---------------------------------------------------------------------------------


def create_plan(year: int, department: Department, county: str) -> Plan:
    sequence = (db.session.scalar(sa.select(sa.func.count()).where(Plan.year == year)) or 0) + 1
    plan = Plan(number=f"{year}{sequence:03d}", year=year, department=department,
                name=f"{year}年{county}{department.name}随机抽查{sequence:03d}")
    db.session.add(plan)
    return plan


def add_task(plan: Plan, values: dict, joint_department_ids: list[int]) -> PlanTask:
    task = PlanTask(plan=plan, number=f"{len(plan.tasks) + 1:03d}号", initiating_department_id=plan.department_id,
                    joint_departments=sorted(set(joint_department_ids) - {plan.department_id}), **values)
    db.session.add(task)
    return task
