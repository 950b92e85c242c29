"""Stage 2: form every joint team in one recorded draw; recuse one inspector and redraw that seat."""
from __future__ import annotations

import csv
import io
import json
from collections import Counter, defaultdict
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import lazyload

import solver
from solver import canonical_json, sha256_hex

from ...auth.models import User
from ...directories.models import Conflict, Inspector, Subject, Zone, drawable_clause
from ...extensions import db
from ...states import CampaignStatus, DrawKind, DrawnStatus
from ...textutil import split_list
from ...timeutil import now
from ...workdays import working_days_between
from ..models import Campaign, CampaignSubject, Draw, TeamMember, without_team
from .common import CampaignError, require_status
from .confirmation import flagged
from .draws import draw_count, main_draw, run_locked


def visit_days(campaign: Campaign) -> list[date]:
    return working_days_between(campaign.visit_start, campaign.visit_end)


def _zones() -> dict[str, str]:
    # in a fixed order: a region named by two zones gets the same one on every database (it feeds the draw's input)
    zones = db.session.scalars(sa.select(Zone).order_by(Zone.id))
    return {region: zone.name for zone in zones for region in zone.regions}


def _expertise(campaign: Campaign) -> dict[int, set[str]]:
    """The specialist industries the lead department's chosen items name explicitly (not via "全部").

    Only the lead department must send a specialist: partner departments send experts to assist where an
    item needs one (seed 004, 五(一)3), which is not a rule of the draw.
    """
    wanted = set(campaign.expertise_industries or [])
    lead = campaign.campaign_department(campaign.lead_department_id)
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
        .order_by(Campaign.visit_start, Campaign.id, TeamMember.id)  # two campaigns may start the same day
    ).all()
    latest: dict[int, int] = {}
    for subject_id, campaign_id, _ in rows:
        latest[subject_id] = campaign_id  # ordered by date: the last one wins
    return {(inspector_id, subject_id) for subject_id, campaign_id, inspector_id in rows
            if latest[subject_id] == campaign_id}


def _conflicts(campaign: Campaign, inspectors: list[Inspector], subjects: list[Subject]) -> list[dict]:
    """The pairs that may not meet, without their reasons: a reason ("其配偶在该单位任职") is personal, is kept
    in the directory for those who manage it, and is not needed to run or replay the draw."""
    by_id = {i.id: i for i in inspectors}
    subject_by_id = {s.id: s for s in subjects}
    found = {tuple(row) for row in db.session.execute(
        sa.select(Conflict.inspector_id, Conflict.subject_id)
        .where(Conflict.inspector_id.in_(list(by_id) or [-1]), Conflict.subject_id.in_(list(subject_by_id) or [-1]))
    )}
    found |= {pair for pair in _previous_team_conflicts(campaign, list(subject_by_id)) if pair[0] in by_id}
    return [{"inspector": by_id[i].cert_no, "subject": subject_by_id[s].credit_code} for i, s in sorted(found)]


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


def _store_teams(campaign: Campaign, draw: Draw, result: dict, subjects: list[CampaignSubject]) -> None:
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
                                      is_leader=member["inspector"] == team.get("leader"), draw=draw))
    reasons = defaultdict(list)
    for row in result.get("unstaffed", []):
        reasons[row["subject"]].append(row["reason"])
    for code, texts in reasons.items():
        by_code[code].unstaffed_reason = "；".join(dict.fromkeys(texts))[:500]


def check_team_draw_ready(campaign: Campaign, allow_overdue: bool = False) -> None:
    """Teams are drawn once every department has confirmed (or, if allowed, let its deadline pass) and every
    enterprise flagged as closed or missing has been replaced."""
    require_status(campaign, CampaignStatus.DRAWN)
    waiting = [cd for cd in campaign.departments if cd.confirmed_at is None]
    blocking = [cd.department.name for cd in waiting if not (allow_overdue and cd.confirmation_overdue())]
    if blocking:
        raise CampaignError(f"以下部门尚未完成检查对象确认：{'、'.join(blocking)}")
    if any(cs for cs, _ in flagged(campaign)):
        raise CampaignError("还有被标记为已关闭或查无此户的检查对象未处理：请先替换抽取，或写明原因后核减")


def lock_team_draw(campaign: Campaign, user: User, allow_overdue: bool = False) -> Draw:
    """Freeze the stage-2 input (every drawn enterprise with the departments that visit it, every drawable
    inspector) and publish its hash; the seed is made only after this."""
    check_team_draw_ready(campaign, allow_overdue)
    subjects = [cs for cs in campaign.subjects if cs.status == DrawnStatus.ACTIVE]
    text = canonical_json(team_problem(campaign, subjects))
    draw = Draw(campaign_id=campaign.id, kind=DrawKind.TEAMS, problem=text, locked_sha256=sha256_hex(text),
                operator_id=user.id, singleton=f"{campaign.id}:teams")
    db.session.add(draw)
    db.session.flush()
    return draw


def run_team_draw(campaign: Campaign, seed: str, witness: str, user: User) -> Draw:
    """Form every joint team from the locked input."""
    require_status(campaign, CampaignStatus.DRAWN)
    draw = main_draw(campaign, DrawKind.TEAMS)
    result = run_locked(draw, seed, witness, user, solver.solve_teams)
    _store_teams(campaign, draw, result, [cs for cs in campaign.subjects if cs.status == DrawnStatus.ACTIVE])
    campaign.status = CampaignStatus.TEAMED
    return draw


def lock_and_run_team_draw(campaign: Campaign, seed: str, witness: str, user: User,
                           allow_overdue: bool = False) -> Draw:
    """Lock and run the team draw in one step with a given seed (tests and scripts; the app uses a round)."""
    lock_team_draw(campaign, user, allow_overdue)
    return run_team_draw(campaign, seed, witness, user)


def visit_dates(campaign: Campaign) -> list[date]:
    """The days teams of the campaign visit, for the teams page's filter."""
    return list(db.session.scalars(
        sa.select(CampaignSubject.visit_date).distinct()
        .where(CampaignSubject.campaign_id == campaign.id, CampaignSubject.visit_date.is_not(None))
        .order_by(CampaignSubject.visit_date)))


def teams_query(campaign: Campaign, filters: dict[str, str]):
    """The campaign's staffed or unstaffed enterprises with their teams, by visit date, narrowed by `filters`."""
    query = (sa.select(CampaignSubject).join(Subject)
             .where(CampaignSubject.campaign_id == campaign.id, CampaignSubject.status == DrawnStatus.ACTIVE)
             .order_by(CampaignSubject.visit_date.nulls_last(), Subject.credit_code)
             .options(lazyload(CampaignSubject.confirmations)))
    return filter_teams(query, filters)


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


def withdraw(campaign: Campaign, member: TeamMember, reason: str, user: User) -> None:
    """Recuse one assigned inspector: the seat stays empty until its one-seat draw runs."""
    require_status(campaign, CampaignStatus.TEAMED, CampaignStatus.DISPATCHED)
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


def lock_reseat(campaign: Campaign, member: TeamMember, user: User) -> Draw:
    """Freeze the input of the one-seat draw for a recused member's seat, as the campaign stands now."""
    require_status(campaign, CampaignStatus.TEAMED, CampaignStatus.DISPATCHED)
    if member.recused_at is None:
        raise CampaignError("该执法人员没有回避，席位不需要补抽")
    cs = member.campaign_subject
    text = canonical_json(_reseat_problem(campaign, cs, member))
    draw = Draw(campaign_id=campaign.id, kind=DrawKind.RESEAT, problem=text, locked_sha256=sha256_hex(text),
                note=f"{cs.subject.name}：{member.inspector.name}回避"[:500],  # the reason stays with its department
                operator_id=user.id)
    db.session.add(draw)
    db.session.flush()
    return draw


def run_reseat(campaign: Campaign, draw: Draw, member: TeamMember, seed: str, witness: str,
               user: User | None) -> TeamMember | None:
    """Run a locked one-seat draw; None (the enterprise listed as unstaffed, with the reason) when nobody fits."""
    require_status(campaign, CampaignStatus.TEAMED, CampaignStatus.DISPATCHED)
    cs = member.campaign_subject
    result = run_locked(draw, seed, witness, user, solver.solve_teams)
    if not result["teams"]:
        cs.unstaffed_reason = "；".join(r["reason"] for r in result["unstaffed"])[:500]
        return None
    chosen = result["teams"][0]["members"][0]["inspector"]
    inspector = db.session.scalar(sa.select(Inspector).where(Inspector.cert_no == chosen))
    seat = TeamMember(campaign_subject=cs, inspector=inspector, department_id=inspector.department_id,
                      is_leader=member.is_leader, draw=draw)
    member.is_leader = False
    db.session.add(seat)
    return seat


def recuse(campaign: Campaign, member: TeamMember, reason: str, user: User) -> TeamMember | None:
    """Recuse and redraw the seat in one step, the seed derived from the team draw's (tests and scripts; the app
    redraws through a commit-reveal round)."""
    withdraw(campaign, member, reason, user)
    draw = lock_reseat(campaign, member, user)
    seed = f"{main_draw(campaign, 'teams').seed}-回避-{draw_count(campaign, 'reseat')}"
    return run_reseat(campaign, draw, member, seed, "", user)


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



def unstaffed(campaign: Campaign) -> list[CampaignSubject]:
    """Drawn enterprises the team draw could not staff, with its reason."""
    return db.session.scalars(
        sa.select(CampaignSubject).where(CampaignSubject.campaign_id == campaign.id,
                                         CampaignSubject.status == DrawnStatus.ACTIVE, CampaignSubject.unstaffed_reason != "")
        .order_by(CampaignSubject.id).options(*without_team())).all()


def pair_probabilities(draw: Draw) -> list[dict] | None:
    """The planned probability of every pair of a team draw that reported them; None otherwise."""
    if not draw.reports_pair_probabilities:
        return None
    return json.loads(draw.result)["randomness"]["pair_probabilities"]


def pair_probabilities_csv(pairs: list[dict]) -> str:
    """The pairs as CSV (UTF-8 with a byte-order mark, so spreadsheets read the Chinese header)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["检查对象（统一社会信用代码）", "执法人员（执法证号）", "计划概率"])
    writer.writerows((p["subject"], p["inspector"], repr(p["probability"])) for p in pairs)
    return "\ufeff" + buffer.getvalue()
