"""Stage 1: lock the input, draw with a seed announced afterwards, replace a closed enterprise; replay any draw."""
from __future__ import annotations

import json

import sqlalchemy as sa
from sqlalchemy.orm import lazyload

import solver
from solver import canonical_json, sha256_hex

from ...audit import services as audit
from ...auth.models import User
from ...coverage.services import due_subject_ids
from ...directories.models import Subject
from ...directories.services import change_status
from ...extensions import db
from ...states import CampaignStatus, Decision, DrawKind, DrawnStatus, SubjectStatus
from ...timeutil import now
from ...workdays import deadline_after
from .. import rules
from ..models import Campaign, CampaignSubject, Draw, DrawProbability, without_team
from .common import CampaignError, require_status
from .items import in_scope_query, reach, visiting_departments


def draws_of(campaign: Campaign) -> list[Draw]:
    """Every recorded draw of the campaign, in the order made."""
    return db.session.scalars(sa.select(Draw).where(Draw.campaign_id == campaign.id).order_by(Draw.id)).all()


def probability_rows(problem_text: str, result_text: str, subject_ids: dict[str, int]) -> list[dict]:
    """The draw_probability rows of a stage-1 draw from its stored input and result: every enterprise of the input
    (by its id in `subject_ids`, unified code → id) with its own inclusion probability, recomputed by
    solver.inclusion_probabilities — the numbers the draw used. Pure: the migration backfills with it too."""
    problem = json.loads(problem_text)
    probabilities = solver.inclusion_probabilities(problem)
    strata = {s["id"]: s for s in json.loads(result_text).get("strata", [])}
    rows = []
    for subject in problem["subjects"]:
        stratum = strata.get(subject["stratum"], {})
        if subject["id"] in subject_ids:
            rows.append({"subject_id": subject_ids[subject["id"]], "stratum": subject["stratum"][:200],
                         "weight": float(subject.get("weight", 1.0)), "probability": probabilities[subject["id"]],
                         "population": int(stratum.get("population", 0)), "drawn": int(stratum.get("drawn", 0))})
    return rows


def record_probabilities(draw: Draw) -> int:
    """Store every considered enterprise's inclusion probability of a stage-1 or replacement draw just run
    (draw_probability)."""
    codes = [s["id"] for s in json.loads(draw.problem)["subjects"]]
    ids = {}
    for start in range(0, len(codes), 5000):
        ids.update(db.session.execute(sa.select(Subject.credit_code, Subject.id)
                                      .where(Subject.credit_code.in_(codes[start:start + 5000]))).all())
    rows = [{"draw_id": draw.id, **row} for row in probability_rows(draw.problem, draw.result, ids)]
    for start in range(0, len(rows), 5000):
        db.session.execute(sa.insert(DrawProbability), rows[start:start + 5000])
    return len(rows)


def drawn_query(campaign: Campaign):
    """The campaign's drawn enterprises for its list: active first, by stratum and code; teams not loaded."""
    return (sa.select(CampaignSubject).join(Subject).where(CampaignSubject.campaign_id == campaign.id)
            .order_by(CampaignSubject.status, CampaignSubject.stratum, Subject.credit_code)
            .options(lazyload(CampaignSubject.members)))


def subject_problem(campaign: Campaign) -> dict:
    """The stage-1 input without its seed: every in-scope enterprise some department's items reach."""
    reached = reach(campaign)
    weights = {k: float(v) for k, v in (campaign.risk_weights or rules.DEFAULT_RISK_WEIGHTS).items()}
    must_rules = rules.coverage_rule_ids(campaign.must_flags)
    due = set(db.session.scalars(due_subject_ids(None, campaign.visit_start, must_rules))) if must_rules else set()
    subjects = []
    for subject in db.session.scalars(in_scope_query(campaign).order_by(Subject.credit_code)):
        stratum = rules.subject_stratum(campaign.strata, subject.category, subject.crowded, subject.risk_class)
        if stratum is None or not visiting_departments(reached, subject.industry):
            continue
        subjects.append({
            "id": subject.credit_code,
            "stratum": stratum,
            "weight": weights.get(subject.risk_class, 1.0),
            "must": subject.id in due or any(getattr(subject, flag) for flag in rules.subject_flags(campaign.must_flags)),
        })
    return {"strata": rules.solver_strata(campaign.strata), "subjects": subjects}


def lock_subject_draw(campaign: Campaign, user: User) -> Draw:
    """Freeze the stage-1 input and publish its hash; the seed is chosen only after this."""
    require_status(campaign, CampaignStatus.COLLECTING)
    missing = [cd.department.name for cd in campaign.departments if not cd.submitted_at]
    if missing:
        raise CampaignError(f"以下部门尚未提交抽查事项：{'、'.join(missing)}")
    problem = subject_problem(campaign)
    if not problem["subjects"]:
        raise CampaignError("抽查范围内没有符合条件的存续检查对象，请调整抽查范围或分层规则")
    text = canonical_json(problem)
    draw = Draw(campaign_id=campaign.id, kind=DrawKind.SUBJECTS, problem=text, locked_sha256=sha256_hex(text),
                        operator_id=user.id, singleton=f"{campaign.id}:subjects")
    db.session.add(draw)
    campaign.status = CampaignStatus.LOCKED
    return draw


def run_locked(draw: Draw, seed: str, witness: str, user: User | None, solve) -> dict:
    """Run a locked draw exactly once: the conditional update refuses a second, concurrent run."""
    seed = seed.strip()
    if not seed:
        raise CampaignError("请填写随机种子（如由见证人现场报出的数字或短语）")
    if len(seed) > 200:
        raise CampaignError("随机种子不能超过200个字符")
    problem = json.loads(draw.problem)
    problem["seed"] = seed
    result = solve(problem)
    claimed = db.session.execute(
        sa.update(Draw)
        .where(Draw.id == draw.id, Draw.result.is_(None))
        .values(seed=seed, input_sha256=result["input_sha256"], result=canonical_json(result), witness=witness.strip(),
                operator_id=user.id if user else None, drawn_at=now())
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise CampaignError("这次抽取已经完成（可能是其他人刚刚点击了抽取），结果以已保存的为准")
    audit.log("draw", "draw_record", draw.id, None, {"kind": draw.kind, "seed": seed,
                                                          "input_sha256": result["input_sha256"]}, user=user)
    db.session.refresh(draw)
    return result


def run_subject_draw(campaign: Campaign, seed: str, witness: str, user: User) -> Draw:
    require_status(campaign, CampaignStatus.LOCKED)
    draw = db.session.scalar(sa.select(Draw).where(Draw.singleton == f"{campaign.id}:subjects"))
    result = run_locked(draw, seed, witness, user, solver.draw_subjects)
    record_probabilities(draw)
    _add_drawn(campaign, draw, result["drawn"])
    campaign.status = CampaignStatus.DRAWN
    deadline = deadline_after(now(), 1)
    for campaign_department in campaign.departments:
        campaign_department.confirm_deadline = deadline
    return draw


def _add_drawn(campaign: Campaign, draw: Draw, drawn: list[dict]) -> list[CampaignSubject]:
    reached = reach(campaign)
    by_code = {s.credit_code: s for s in db.session.scalars(
        sa.select(Subject).where(Subject.credit_code.in_([d["id"] for d in drawn])))}
    added = []
    for row in drawn:
        subject = by_code[row["id"]]
        added.append(CampaignSubject(
            campaign=campaign, subject=subject, draw=draw, stratum=row["stratum"],
            probability=row["probability"], must=row["must"],
            department_ids=visiting_departments(reached, subject.industry),
        ))
    db.session.add_all(added)
    return added



def main_draw(campaign: Campaign, kind: DrawKind) -> Draw | None:
    """The campaign's one draw of a kind (DrawKind.SUBJECTS or TEAMS), once its input is locked."""
    return db.session.scalar(sa.select(Draw).where(Draw.singleton == f"{campaign.id}:{kind}"))


def draw_count(campaign: Campaign, kind: DrawKind) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(Draw.campaign_id == campaign.id,
                                                              Draw.kind == kind)) or 0


def require_teams_not_locked(campaign: Campaign) -> None:
    """Once the team draw's input is locked, the drawn enterprises and their departments stay as locked."""
    if main_draw(campaign, DrawKind.TEAMS) is not None:
        raise CampaignError("随机组队的输入已经锁定，检查对象和确认结果不能再改变")


def replacement_population(campaign: Campaign, cs: CampaignSubject) -> list[dict]:
    """The locked input's enterprises of `cs`'s stratum not drawn yet and still active: who may replace it."""
    locked = json.loads(main_draw(campaign, "subjects").problem)
    taken = set(db.session.scalars(sa.select(Subject.credit_code).join(CampaignSubject)
                                   .where(CampaignSubject.campaign_id == campaign.id)))
    candidates = [s for s in locked["subjects"] if s["stratum"] == cs.stratum and s["id"] not in taken]
    active = set(db.session.scalars(sa.select(Subject.credit_code).where(
        Subject.credit_code.in_([s["id"] for s in candidates] or ["-"]), Subject.status == SubjectStatus.ACTIVE)))
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


def _flagged_decision(cs: CampaignSubject) -> Decision | None:
    return next((c.decision for c in cs.confirmations if c.decision.needs_replacement), None)


def _directory_learns(campaign: Campaign, cs: CampaignSubject, reason: str, user: User) -> None:
    """A closed or missing enterprise leaves the drawing pool: the directory takes the department's finding."""
    decision = _flagged_decision(cs)
    status = decision.subject_status if decision else None
    if status and cs.subject.status == SubjectStatus.ACTIVE:
        change_status(cs.subject, status, f"{campaign.name}：{reason.strip()}", user.id)


def accept_shortfall(campaign: Campaign, cs: CampaignSubject, reason: str, user: User) -> None:
    """A closed or missing enterprise that is not replaced (its stratum drew everyone, or the office decides
    so): it leaves the campaign and the drawing pool, with the office's reason; the campaign goes on short."""
    require_status(campaign, CampaignStatus.DRAWN)
    require_teams_not_locked(campaign)
    if cs.status != DrawnStatus.ACTIVE:
        raise CampaignError("该检查对象已被替换或核减")
    if _flagged_decision(cs) is None:
        raise CampaignError("只有被部门标记为已关闭停业或查无此户的检查对象可以核减")
    if not reason.strip():
        raise CampaignError("请填写核减原因（如：该层已全部抽取，无可替换对象）")
    cs.status, cs.dropped_reason = DrawnStatus.DROPPED, reason.strip()[:500]
    _directory_learns(campaign, cs, reason, user)


def dropped(campaign: Campaign) -> list[CampaignSubject]:
    return db.session.scalars(
        sa.select(CampaignSubject).where(CampaignSubject.campaign_id == campaign.id,
                                         CampaignSubject.status == DrawnStatus.DROPPED)
        .order_by(CampaignSubject.id).options(*without_team())).all()


def lock_replacement(campaign: Campaign, cs: CampaignSubject, reason: str, user: User) -> Draw:
    """Freeze the input of the draw that replaces a closed or missing enterprise: the rest of its stratum."""
    require_status(campaign, CampaignStatus.DRAWN)
    require_teams_not_locked(campaign)
    if cs.campaign_id != campaign.id or cs.status != DrawnStatus.ACTIVE:
        raise CampaignError("该检查对象已被替换或核减")
    if not reason.strip():
        raise CampaignError("请填写替换原因")
    population = replacement_population(campaign, cs)
    if not population:
        raise CampaignError(f"“{cs.stratum}”层已没有可替换的存续检查对象：可以写明原因后“核减，不再替换”")
    text = canonical_json({"strata": [{"id": cs.stratum, "count": 1}], "subjects": population})
    draw = Draw(campaign_id=campaign.id, kind=DrawKind.REPLACEMENT, problem=text, locked_sha256=sha256_hex(text),
                note=f"替换“{cs.subject.name}”：{reason.strip()}"[:500], operator_id=user.id)
    db.session.add(draw)
    db.session.flush()
    return draw


def run_replacement(campaign: Campaign, draw: Draw, cs: CampaignSubject, reason: str, seed: str,
                    witness: str, user: User) -> CampaignSubject:
    """Run a locked replacement draw and put the enterprise it draws in the place of `cs`."""
    require_status(campaign, CampaignStatus.DRAWN)
    if cs.status != DrawnStatus.ACTIVE:
        raise CampaignError("该检查对象已被替换")
    result = run_locked(draw, seed, witness, user, solver.draw_subjects)
    record_probabilities(draw)  # the rest of the stratum was considered too: the enterprises' files say so
    new = _add_drawn(campaign, draw, result["drawn"])[0]
    db.session.flush()
    deadline = deadline_after(now(), 1)
    for campaign_department in campaign.departments:
        if campaign_department.department_id in new.department_ids:  # the newcomer needs their confirmation too
            campaign_department.confirmed_at, campaign_department.confirm_deadline = None, deadline
    cs.status, cs.replaced_by_id = DrawnStatus.REPLACED, new.id
    _directory_learns(campaign, cs, reason, user)
    return new


def replacement_draw(campaign: Campaign, cs: CampaignSubject, reason: str, user: User,
                     seed: str | None = None) -> CampaignSubject:
    """Lock and run a replacement in one step, the seed derived from the main draw's. The app itself replaces
    through a commit-reveal round (coordinator.draws); this one-step form serves tests and scripts."""
    draw = lock_replacement(campaign, cs, reason, user)
    seed = seed or f"{main_draw(campaign, 'subjects').seed}-替换-{draw_count(campaign, 'replacement')}"
    return run_replacement(campaign, draw, cs, reason, seed, "", user)


# ---- replay: every stored draw run again must give the stored result, byte for byte ----------------------

def _draw_subjects(problem: dict) -> dict:
    return solver.draw_subjects(problem)  # looked up when called, as below: no solver stage loads at import


def _solve_teams(problem: dict) -> dict:
    return solver.solve_teams(problem)  # stage 2 (OR-Tools) loads only when a team is drawn


SOLVE = {DrawKind.SUBJECTS: _draw_subjects, DrawKind.REPLACEMENT: _draw_subjects,
         DrawKind.TEAMS: _solve_teams, DrawKind.RESEAT: _solve_teams, DrawKind.RESTAFF: _solve_teams,
         DrawKind.EXPERTS: _draw_subjects}  # experts: one stratum of count 1 per enterprise


def replay(draw: Draw) -> str | None:
    """None when the stored draw replays exactly; otherwise what differs, in Chinese."""
    if sha256_hex(draw.problem) != draw.locked_sha256:
        return "锁定的输入与其公布的哈希值不一致（输入被改动）"
    if draw.result is None:
        return None  # locked, not drawn yet: nothing to replay
    problem = json.loads(draw.problem)
    problem["seed"] = draw.seed
    result = SOLVE[draw.kind](problem)
    if canonical_json(result) != draw.result:
        stored = json.loads(draw.result).get("versions", {})
        hint = "" if stored == result.get("versions") else f"（求解器版本不同：记录 {stored}，当前 {result.get('versions')}）"
        return "重放结果与保存的结果不一致" + hint
    if draw.kind in Draw.TEAM_KINDS:
        violations = solver.check_teams(problem, result)
        if violations:
            return "结果未通过规则校验：" + "；".join(violations[:3])
    return None

