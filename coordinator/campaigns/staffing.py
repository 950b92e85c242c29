"""After the team draw: how many enterprises are staffed, why the others are not (grouped, with what the office
can do about each), and the recorded supplementary draw (补充组队) that staffs them once the office has acted."""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

import solver
from solver import canonical_json, sha256_hex

from ..auth.models import User
from ..directories.models import Inspector
from ..extensions import db
from ..states import CampaignStatus, DrawKind, DrawnStatus
from ..textutil import split_list
from . import services
from .models import Campaign, CampaignSubject, Draw, TeamMember
from .services.common import CampaignError, require_status
from .services.draws import draw_count, main_draw, run_locked
from .services.teams import _store_teams

# (label, words in the solver's reason, what the office can do) — the first group whose words match takes it.
REASON_GROUPS = (
    ("可派执法人员人数不足", ("可派执法人员，需要",),
     "在名录库中为该部门增加执法人员、恢复停用人员或更新过期的执法证，或延长实地检查时间，然后补充组队。"),
    ("缺少具备所需专长、片区或组长资格的人员", ("仅剩0名",),
     "为该部门增加具备该专长（或属于该片区、可任组长）的执法人员，或在下方不再要求该行业的专长，然后补充组队。"),
    ("每部门人数不够同时满足几项要求", ("分别",),
     "不再要求其中一项专长，然后补充组队。"),
    ("执法人员的检查户数或检查日期已排满", ("工作量已满", "争用", "容量已满", "已排给其他检查对象", "日期冲突"),
     "提高每名执法人员最多检查的户数或每天户数，或延长实地检查时间，或增加执法人员，然后补充组队。"),
)
OTHER_GROUP = ("其他原因", "按原因调整名录库或下方设置后补充组队。")


@dataclass
class ReasonGroup:
    label: str
    advice: str
    subjects: list[CampaignSubject] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)


@dataclass
class Staffing:
    total: int
    staffed: int
    groups: list[ReasonGroup]

    @property
    def unstaffed(self) -> int:
        return self.total - self.staffed

    @property
    def complete(self) -> bool:
        return self.unstaffed == 0


_DATE_RUN = re.compile(r"(\d{4}-\d{2}-\d{2})(?:、\d{4}-\d{2}-\d{2}){1,}、(\d{4}-\d{2}-\d{2})")


def brief(reason: str) -> str:
    """A reason as one reads it: a run of listed dates as "from … to …, n visit days"."""
    return _DATE_RUN.sub(lambda m: f"{m.group(1)}至{m.group(2)}的{m.group(0).count('、') + 1}个检查日", reason)


def group_of(reason: str) -> tuple[str, str]:
    for label, words, advice in REASON_GROUPS:
        if any(word in reason for word in words):
            return label, advice
    return OTHER_GROUP


def staffing(campaign: Campaign) -> Staffing:
    """Staffed and unstaffed enterprises of a teamed campaign, the unstaffed grouped by the kind of reason."""
    total = db.session.scalar(sa.select(sa.func.count()).where(
        CampaignSubject.campaign_id == campaign.id, CampaignSubject.status == DrawnStatus.ACTIVE)) or 0
    groups: dict[str, ReasonGroup] = {}
    unstaffed = services.unstaffed(campaign)
    for cs in unstaffed:
        label, advice = group_of(cs.unstaffed_reason)
        group = groups.setdefault(label, ReasonGroup(label, advice))
        group.subjects.append(cs)
        for reason in brief(cs.unstaffed_reason).split("；"):
            if reason and reason not in group.examples and len(group.examples) < 3:
                group.examples.append(reason)
    order = [label for label, _, _ in REASON_GROUPS] + [OTHER_GROUP[0]]
    return Staffing(total, total - len(unstaffed), sorted(groups.values(), key=lambda g: order.index(g.label)))


def staffing_message(campaign: Campaign, done: str = "") -> tuple[str, str]:
    """After a team draw: all staffed in green; otherwise how many, in amber, and where the reasons are."""
    summary = staffing(campaign)
    team = "联合检查组" if campaign.is_joint else "检查组"
    if summary.complete:
        return f"{done}：{team}已随机组成，{summary.total}户全部配齐", "success"
    return (f"{done}：已为{summary.staffed}户组成{team}，另有{summary.unstaffed}户未能配齐。"
            f"{campaign.kind_label}页列出原因和处理办法：处理后可补充组队，或确认后只派发已配齐的检查对象。"), "warning"


def _restaff_problem(campaign: Campaign, subjects: list[CampaignSubject]) -> dict:
    """The team problem of the unstaffed enterprises, with what the drawn teams already use taken as given:
    each inspector's remaining capacity, and the days on which they already visit their daily maximum."""
    problem = services.team_problem(campaign, subjects)
    seated = db.session.execute(
        sa.select(TeamMember.inspector_id, CampaignSubject.visit_date).join(CampaignSubject)
        .where(CampaignSubject.campaign_id == campaign.id, TeamMember.recused_at.is_(None))).all()
    load = Counter(inspector for inspector, _ in seated)
    day_load = Counter((inspector, day) for inspector, day in seated if day)
    ids = dict(db.session.execute(sa.select(Inspector.cert_no, Inspector.id).where(
        Inspector.cert_no.in_([i["id"] for i in problem["inspectors"]] or ["-"]))).all())
    for row in problem["inspectors"]:
        inspector = ids[row["id"]]
        row["capacity"] = max(campaign.inspector_capacity - load[inspector], 0)
        full = {day for day in problem["days"]
                if day_load[(inspector, date.fromisoformat(day))] >= campaign.daily_capacity}
        row["unavailable"] = sorted(set(row["unavailable"]) | full)
    return problem


def check_restaff(campaign: Campaign) -> None:
    require_status(campaign, CampaignStatus.TEAMED)
    if not services.unstaffed(campaign):
        raise CampaignError("所有检查对象都已配齐检查组，无需补充组队")


def adjust(campaign: Campaign, changes: dict) -> None:
    """The office's changes for a supplementary draw: a later end of the visits, other capacities, fewer
    specialist industries. The teams already drawn keep their dates and members."""
    check_restaff(campaign)
    visit_end = changes.get("visit_end") or campaign.visit_end
    if visit_end < campaign.visit_end:
        raise CampaignError("实地检查结束日期只能延后，已派定日期的检查组不受影响")
    campaign.visit_end = visit_end
    campaign.inspector_capacity = changes.get("inspector_capacity") or campaign.inspector_capacity
    campaign.daily_capacity = changes.get("daily_capacity") or campaign.daily_capacity
    if "expertise_industries" in changes:
        campaign.expertise_industries = split_list(changes["expertise_industries"])


def lock_restaff(campaign: Campaign, user: User) -> Draw:
    """Freeze the input of a supplementary team draw for the enterprises still unstaffed, as things stand now."""
    check_restaff(campaign)
    subjects = services.unstaffed(campaign)
    text = canonical_json(_restaff_problem(campaign, subjects))
    draw = Draw(campaign_id=campaign.id, kind=DrawKind.RESTAFF, problem=text, locked_sha256=sha256_hex(text),
                note=f"为{len(subjects)}户未配齐的检查对象补充组队", operator_id=user.id)
    db.session.add(draw)
    db.session.flush()
    return draw


def run_restaff(campaign: Campaign, draw: Draw, seed: str, witness: str, user: User | None) -> Draw:
    """Run a locked supplementary draw: the enterprises it staffs get their teams, the others keep a reason."""
    require_status(campaign, CampaignStatus.TEAMED)
    problem_codes = {s["id"] for s in json.loads(draw.problem)["subjects"]}
    subjects = [cs for cs in services.unstaffed(campaign) if cs.subject.credit_code in problem_codes]
    result = run_locked(draw, seed, witness, user, solver.solve_teams)
    _store_teams(campaign, draw, result, subjects)
    return draw


def restaff(campaign: Campaign, changes: dict, user: User, seed: str | None = None) -> Draw:
    """Adjust, lock and run in one step, the seed derived from the team draw's (tests and scripts; the app
    staffs through a commit-reveal round)."""
    adjust(campaign, changes)
    draw = lock_restaff(campaign, user)
    seed = seed or f"{main_draw(campaign, 'teams').seed}-补充-{draw_count(campaign, 'restaff')}"
    return run_restaff(campaign, draw, seed, "", user)
