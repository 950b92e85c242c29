"""Independent verifier of a stage-2 result: re-checks every hard rule from the raw input, sharing no solver code.

Only the input validation is shared (so malformed input is rejected the same way); everything
below reads the plain dictionaries again, with its own simple loops, as an auditor would. There is
one function per rule of the contract (`../shared/contracts/solver.md`), each returning its
violations as Chinese lines; `check_teams` runs them all in the contract's order.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .common import input_sha256
from .instance import parse_teams

PROBABILITY_TOLERANCE = 1e-6  # how far a need's planned probabilities may sum from its size


@dataclass(frozen=True)
class PlainInput:
    """The input as an auditor reads it: records by id, nothing derived by the solver."""
    problem: dict
    inspectors: dict[str, dict]
    subjects: dict[str, dict]
    conflicts: frozenset[tuple[str, str]]  # (inspector id, subject id)
    lead_department: str | None
    days: list[str] | None
    daily_capacity: int
    max_pair_probability: float | None

    @classmethod
    def read(cls, problem: dict) -> PlainInput:
        return cls(
            problem=problem,
            inspectors={i["id"]: i for i in problem["inspectors"]},
            subjects={s["id"]: s for s in problem["subjects"]},
            conflicts=frozenset((c["inspector"], c["subject"]) for c in problem.get("conflicts") or []),
            lead_department=problem.get("lead_department"),
            days=problem.get("days"),
            daily_capacity=problem.get("daily_capacity") or 1,
            max_pair_probability=problem.get("max_pair_probability"),
        )


@dataclass(frozen=True)
class CheckedTeam:
    """One team of the result whose subject is in the input, with its known members' input records."""
    subject_id: str
    subject: dict
    member_ids: list[str]  # as listed, duplicates and unknown ids included
    members: list[dict]  # the distinct listed inspectors that are in the input
    record: dict  # the team as the result gives it

    @property
    def where(self) -> str:
        return f"检查对象 {self.subject_id}"


def check_teams(problem: dict, result: dict) -> list[str]:
    """Every violated rule, one line each; an empty list means the result is valid."""
    parse_teams(problem)  # malformed input raises SolverInputError, as for solving
    if not isinstance(result, dict):
        return ["结果应为 JSON 对象"]
    given = PlainInput.read(problem)
    violations = check_provenance(given, result)
    if not isinstance(result.get("teams"), list) or not isinstance(result.get("unstaffed"), list):
        return violations + ["结果缺少 teams 或 unstaffed 列表"]
    teams = _known_teams(given, result["teams"])
    for rule in (check_every_subject_accounted, check_team_members, check_sizes_and_tags, check_recusal,
                 check_capacity, check_leader, check_dates):
        violations += rule(given, result, teams)
    violations += check_cap_report(given, result)
    violations += check_pair_probabilities(given, result, teams)
    return violations


def _known_teams(given: PlainInput, teams: list) -> list[CheckedTeam]:
    out = []
    for team in teams:
        sid = team.get("subject")
        if sid not in given.subjects:
            continue  # reported by check_every_subject_accounted
        member_ids = [m.get("inspector") for m in team.get("members") or []]
        members = [given.inspectors[iid] for iid in dict.fromkeys(member_ids) if iid in given.inspectors]
        out.append(CheckedTeam(sid, given.subjects[sid], member_ids, members, team))
    return out


# --- the result belongs to this input ------------------------------------------------------------

def check_provenance(given: PlainInput, result: dict) -> list[str]:
    """The result names the input's seed and the SHA-256 of its canonical JSON."""
    out = []
    if result.get("seed") != given.problem["seed"]:
        out.append(f"seed 不一致：结果为 {result.get('seed')!r}")
    if result.get("input_sha256") != input_sha256(given.problem):
        out.append("input_sha256 与输入不符")
    return out


def check_every_subject_accounted(given: PlainInput, result: dict, teams: list[CheckedTeam]) -> list[str]:
    """Every subject is staffed once or listed as unstaffed with a reason, never silently dropped; status agrees."""
    out = []
    staffed_ids = [t.get("subject") for t in result["teams"]]
    for sid, n in Counter(staffed_ids).items():
        if n > 1:
            out.append(f"检查对象 {sid} 出现在多个检查组中")
    unstaffed = result["unstaffed"]
    unstaffed_ids = {u.get("subject") for u in unstaffed}
    staffed_set = set(staffed_ids)
    for sid in staffed_set | unstaffed_ids:
        if sid not in given.subjects:
            out.append(f"结果中的检查对象 {sid} 不在输入中")
    for sid in given.subjects:
        if sid not in staffed_set and sid not in unstaffed_ids:
            out.append(f"检查对象 {sid} 既未组队也未列入 unstaffed（不得静默遗漏）")
        if sid in staffed_set and sid in unstaffed_ids:
            out.append(f"检查对象 {sid} 同时出现在 teams 与 unstaffed 中")
    for u in unstaffed:
        if not u.get("reason"):
            out.append(f"未配齐的检查对象 {u.get('subject')} 缺少原因")
    status = "complete" if not unstaffed else "partial"
    if result.get("status") != status:
        out.append(f"status 应为 {status}，结果为 {result.get('status')!r}")
    return out


def check_team_members(given: PlainInput, result: dict, teams: list[CheckedTeam]) -> list[str]:
    """Members are distinct inspectors of the input, of the department stated, of a department the subject needs."""
    out = []
    for team in teams:
        for iid, n in Counter(team.member_ids).items():
            if n > 1:
                out.append(f"{team.where}: 执法人员 {iid} 重复出现")
        for iid in team.member_ids:
            if iid not in given.inspectors:
                out.append(f"{team.where}: 执法人员 {iid} 不在输入中")
        for m in team.record.get("members") or []:
            iid = m.get("inspector")
            if iid in given.inspectors and m.get("department") != given.inspectors[iid]["department"]:
                out.append(f"{team.where}: 执法人员 {iid} 的部门应为 {given.inspectors[iid]['department']}")
        needed = {n["department"] for n in team.subject["needs"]}
        for ins in team.members:
            if ins["department"] not in needed:
                out.append(f"{team.where}: 不需要部门 {ins['department']}，却派了 {ins['id']}")
    return out


# --- the hard rules, numbered as in the contract -------------------------------------------------

def check_sizes_and_tags(given: PlainInput, result: dict, teams: list[CheckedTeam]) -> list[str]:
    """Rule 1: exactly `size` inspectors of the department per need, and a holder of every tag among them."""
    out = []
    for team in teams:
        for need in team.subject["needs"]:
            mine = [ins for ins in team.members if ins["department"] == need["department"]]
            if len(mine) != need["size"]:
                out.append(f"{team.where}: 部门 {need['department']} 应派 {need['size']} 人，实际 {len(mine)} 人")
            for tag in need.get("tags") or []:
                if not any(tag in (ins.get("tags") or []) for ins in mine):
                    out.append(f"{team.where}: 部门 {need['department']} 无人具备 {tag}")
    return out


def check_recusal(given: PlainInput, result: dict, teams: list[CheckedTeam]) -> list[str]:
    """Rule 2: nobody is assigned to a subject they conflict with."""
    return [f"{team.where}: {ins['id']} 应回避却被派出"
            for team in teams for ins in team.members if (ins["id"], team.subject_id) in given.conflicts]


def check_capacity(given: PlainInput, result: dict, teams: list[CheckedTeam]) -> list[str]:
    """Rule 3: nobody is assigned to more than `capacity` subjects."""
    visits = Counter(ins["id"] for team in teams for ins in team.members)
    out = []
    for iid, n in sorted(visits.items()):
        capacity = given.inspectors[iid].get("capacity")
        if capacity is not None and n > capacity:
            out.append(f"执法人员 {iid} 被派 {n} 次，超过容量 {capacity}")
    return out


def check_leader(given: PlainInput, result: dict, teams: list[CheckedTeam]) -> list[str]:
    """Rule 4: a team needing the lead department is led by one of that department's members who may lead."""
    out = []
    lead = given.lead_department
    if lead is None:
        return out
    for team in teams:
        if lead not in {n["department"] for n in team.subject["needs"]}:
            continue
        leader = team.record.get("leader")
        ok = leader in team.member_ids and leader in given.inspectors \
            and given.inspectors[leader]["department"] == lead and given.inspectors[leader].get("can_lead") is not False
        if not ok:
            out.append(f"{team.where}: 组长 {leader!r} 应为牵头部门中可担任组长的组员")
    return out


def check_dates(given: PlainInput, result: dict, teams: list[CheckedTeam]) -> list[str]:
    """Rule 5: with `days`, one date per team on which every member is available, and at most
    `daily_capacity` visits per inspector per day; without `days`, no date at all."""
    out = []
    day_visits: Counter = Counter()
    for team in teams:
        date = team.record.get("date")
        if given.days:
            if date not in given.days:
                out.append(f"{team.where}: 日期 {date!r} 不在 days 中")
            for ins in team.members:
                if date in (ins.get("unavailable") or []):
                    out.append(f"{team.where}: {ins['id']} 在 {date} 不可用")
        elif date is not None:
            out.append(f"{team.where}: 输入没有 days，却给出日期 {date!r}")
        for ins in team.members:
            day_visits[ins["id"], date] += 1
    if given.days:
        for (iid, date), n in sorted(day_visits.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
            if n > given.daily_capacity:
                out.append(f"执法人员 {iid} 在 {date} 被派 {n} 次，超过每日 {given.daily_capacity} 次")
    return out


# --- the randomness report -----------------------------------------------------------------------

def check_cap_report(given: PlainInput, result: dict) -> list[str]:
    """The cap reported is the input's; a pair listed as uncapped is above it; a largest
    probability above the cap comes with its uncapped pairs."""
    out = []
    randomness = result.get("randomness") or {}
    q = given.max_pair_probability
    if randomness.get("max_pair_probability") != q:
        out.append("randomness.max_pair_probability 与输入不符")
    if q is None:
        return out
    uncapped = randomness.get("uncapped_pairs") or []
    for pair in uncapped:
        if not pair.get("probability", 0) > q:
            out.append(f"uncapped_pairs 中的 {pair.get('inspector')}–{pair.get('subject')} 并未超过上限")
    largest = randomness.get("largest_pair_probability")
    if largest is not None and largest > q + 1e-9 and not uncapped:
        out.append("最大配对概率超过上限，但 uncapped_pairs 为空")
    return out


def check_pair_probabilities(given: PlainInput, result: dict, teams: list[CheckedTeam]) -> list[str]:
    """`randomness.pair_probabilities`, when present: positive, sorted, per staffed need summing to its
    size, none above the cap unless listed uncapped, every assigned member among them, no recused pair."""
    randomness = result.get("randomness") or {}
    if "pair_probabilities" not in randomness:
        if given.problem.get("report_pair_probabilities") is True:
            return ["输入要求报告配对概率，但结果缺少 randomness.pair_probabilities"]
        return []
    pairs = randomness["pair_probabilities"]
    if not isinstance(pairs, list) or not all(isinstance(p, dict) for p in pairs):
        return ["randomness.pair_probabilities 应为对象列表"]
    out = []
    planned: dict[tuple[str, str], float] = {}
    for p in pairs:
        iid, sid, value = p.get("inspector"), p.get("subject"), p.get("probability")
        name = f"配对概率 {iid}–{sid}"
        if iid not in given.inspectors or sid not in given.subjects:
            out.append(f"{name}: 执法人员或检查对象不在输入中")
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
            out.append(f"{name}: 概率应在 (0, 1] 之内，实际为 {value!r}")
            continue
        if (iid, sid) in planned:
            out.append(f"{name}: 重复列出")
        planned[iid, sid] = float(value)
        if (iid, sid) in given.conflicts:
            out.append(f"{name}: 应回避的配对不应有正的概率")
    keys = [(p.get("subject"), p.get("inspector")) for p in pairs]
    if all(isinstance(s, str) and isinstance(i, str) for s, i in keys) and keys != sorted(keys):
        out.append("randomness.pair_probabilities 应按检查对象、执法人员排序")
    q = given.max_pair_probability
    if q is not None:
        uncapped = {(p.get("inspector"), p.get("subject")) for p in randomness.get("uncapped_pairs") or []}
        for (iid, sid), value in sorted(planned.items()):
            if value > q + 1e-9 and (iid, sid) not in uncapped:
                out.append(f"配对概率 {iid}–{sid} 为 {value}，超过上限 {q} 却未列入 uncapped_pairs")
    per_need: Counter = Counter()
    for (iid, sid), value in planned.items():
        per_need[sid, given.inspectors[iid]["department"]] += value
    staffed = {team.subject_id for team in teams}
    for sid in sorted({sid for _, sid in planned} - staffed):
        out.append(f"检查对象 {sid} 未组队，却列有配对概率")
    for team in teams:
        for need in team.subject["needs"]:
            total = per_need[team.subject_id, need["department"]]
            if abs(total - need["size"]) > PROBABILITY_TOLERANCE:
                out.append(f"{team.where}: 部门 {need['department']} 的配对概率之和为 {total:.9g}，应为 {need['size']}")
        for ins in team.members:
            if (ins["id"], team.subject_id) not in planned:
                out.append(f"{team.where}: 组员 {ins['id']} 的配对概率未列出（应为正）")
    return out
