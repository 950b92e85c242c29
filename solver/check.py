"""Independent verifier of a stage-2 result: re-checks every hard rule from the raw input, sharing no solver code.

Only the input validation is shared (so malformed input is rejected the same way); everything
below reads the plain dictionaries again, with its own simple loops, as an auditor would. There is
one function per rule of the contract (`../shared/contracts/solver.md`), each returning its
violations as Chinese lines; `check_teams` runs them all in the contract's order.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from .common import as_float, input_sha256
from .instance import parse_teams

PROBABILITY_TOLERANCE = 1e-6  # how far a need's planned probabilities may sum from its size
CAP_TOLERANCE = 1e-9  # probabilities in the randomness report are written with 10 decimals


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
    malformed = check_shape(result)
    if malformed:  # the rules below read the fields the contract gives the result, of its types
        return violations + malformed
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


# --- the result has the contract's fields, of the contract's types -----------------------------------

def _text(value: object) -> bool:
    return isinstance(value, str)


def _text_or_null(value: object) -> bool:
    return value is None or isinstance(value, str)


def _number(value: object) -> bool:
    """A finite JSON number (an integer beyond every float is not one)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(as_float(value))


def _number_or_null(value: object) -> bool:
    return value is None or _number(value)


def _records(value: object, path: str, fields: dict) -> list[str]:
    """Violations of a list of objects each holding `fields` (name → type test)."""
    if not isinstance(value, list):
        return [f"{path} 应为列表"]
    out = []
    for k, record in enumerate(value):
        if not isinstance(record, dict):
            out.append(f"{path}[{k}] 应为 JSON 对象")
            continue
        out += [f"{path}[{k}].{name} 缺少或类型不符" for name, test in fields.items() if not test(record.get(name))]
    return out


_PAIR = {"inspector": _text, "subject": _text, "probability": _number}


def check_shape(result: dict) -> list[str]:
    """The result's fields and their types, as the contract's result gives them (one line per misfit)."""
    out = []
    if not isinstance(result.get("versions"), dict) or not _text(result["versions"].get("solver")):
        out.append("结果缺少 versions（求解器及其依赖库的版本）")
    out += _records(result["teams"], "teams", {"subject": _text, "date": _text_or_null, "leader": _text_or_null,
                                               "members": lambda members: isinstance(members, list)})
    for k, team in enumerate(result["teams"]):
        if isinstance(team, dict) and isinstance(team.get("members"), list):
            out += _records(team["members"], f"teams[{k}].members", {"inspector": _text, "department": _text})
    out += _records(result["unstaffed"], "unstaffed", {"subject": _text, "department": _text, "reason": _text})
    randomness = result.get("randomness")
    if not isinstance(randomness, dict):
        return out + ["结果缺少 randomness 对象"]
    for name in ("max_pair_probability", "least_feasible_cap", "mean_candidates_per_seat", "largest_pair_probability"):
        if not _number_or_null(randomness.get(name)):
            out.append(f"randomness.{name} 应为数或 null")
    out += _records(randomness.get("uncapped_pairs"), "randomness.uncapped_pairs", _PAIR)
    if "pair_probabilities" in randomness:
        out += _records(randomness["pair_probabilities"], "randomness.pair_probabilities", _PAIR)
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
        if not u["reason"].strip():
            out.append(f"未配齐的检查对象 {u['subject']} 缺少原因")
        needed = {n["department"] for n in given.subjects[u["subject"]]["needs"]} if u["subject"] in given.subjects else set()
        if u["subject"] in given.subjects and u["department"] not in needed:
            out.append(f"未配齐的检查对象 {u['subject']} 所列部门 {u['department']} 不是它需要的部门")
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
    """The cap reported is the input's; a pair listed as uncapped is above it; a largest probability, or a
    least feasible cap, above the cap comes with its uncapped pairs; no uncapped pair is above the least
    feasible cap (it never reports a cap it did not honour)."""
    out = []
    randomness = result["randomness"]
    q = given.max_pair_probability
    if randomness.get("max_pair_probability") != q:
        out.append("randomness.max_pair_probability 与输入不符")
    uncapped = randomness["uncapped_pairs"]
    least = randomness.get("least_feasible_cap")
    if least is not None:
        for pair in uncapped:
            if pair["probability"] > least + CAP_TOLERANCE:
                out.append(f"uncapped_pairs 中的 {pair['inspector']}–{pair['subject']} 概率为 {pair['probability']}，"
                           f"高于 least_feasible_cap {least}")
    if q is None:
        return out
    for pair in uncapped:
        if not pair["probability"] > q:
            out.append(f"uncapped_pairs 中的 {pair['inspector']}–{pair['subject']} 并未超过上限")
    for name in ("largest_pair_probability", "least_feasible_cap"):
        value = randomness.get(name)
        if value is not None and value > q + CAP_TOLERANCE and not uncapped:
            out.append(f"randomness.{name} 超过上限，但 uncapped_pairs 为空")
    return out


def check_pair_probabilities(given: PlainInput, result: dict, teams: list[CheckedTeam]) -> list[str]:
    """`randomness.pair_probabilities`, when present: positive, sorted, per staffed need summing to its
    size, none above the cap unless listed uncapped, every assigned member among them, no recused pair."""
    randomness = result["randomness"]
    if "pair_probabilities" not in randomness:
        if given.problem.get("report_pair_probabilities") is True:
            return ["输入要求报告配对概率，但结果缺少 randomness.pair_probabilities"]
        return []
    pairs = randomness["pair_probabilities"]
    out = []
    if given.problem.get("report_pair_probabilities") is not True:
        out.append("输入未要求报告配对概率，结果却列有 randomness.pair_probabilities")
    planned: dict[tuple[str, str], float] = {}
    for p in pairs:
        iid, sid, value = p.get("inspector"), p.get("subject"), p.get("probability")
        name = f"配对概率 {iid}–{sid}"
        if iid not in given.inspectors or sid not in given.subjects:
            out.append(f"{name}: 执法人员或检查对象不在输入中")
            continue
        if not 0 < value <= 1:
            out.append(f"{name}: 概率应在 (0, 1] 之内，实际为 {value!r}")
            continue
        if (iid, sid) in planned:
            out.append(f"{name}: 重复列出")
        planned[iid, sid] = float(value)
        if (iid, sid) in given.conflicts:
            out.append(f"{name}: 应回避的配对不应有正的概率")
    keys = [(p["subject"], p["inspector"]) for p in pairs]
    if keys != sorted(keys):
        out.append("randomness.pair_probabilities 应按检查对象、执法人员排序")
    q = given.max_pair_probability
    uncapped = {(p["inspector"], p["subject"]): p["probability"] for p in randomness["uncapped_pairs"]}
    if q is not None:
        for (iid, sid), value in sorted(planned.items()):
            if value > q + CAP_TOLERANCE and (iid, sid) not in uncapped:
                out.append(f"配对概率 {iid}–{sid} 为 {value}，超过上限 {q} 却未列入 uncapped_pairs")
    for (iid, sid), value in sorted(uncapped.items()):
        if abs(planned.get((iid, sid), 0.0) - value) > CAP_TOLERANCE:
            out.append(f"uncapped_pairs 中的 {iid}–{sid} 概率为 {value}，与所列配对概率 {planned.get((iid, sid), 0.0)} 不符")
    least = randomness.get("least_feasible_cap")
    largest = max(planned.values(), default=None)
    if largest is not None and (least is None or largest > least + CAP_TOLERANCE):
        out.append(f"最大的配对概率为 {largest}，randomness.least_feasible_cap 却为 {least}")
    per_need: Counter = Counter()
    for (iid, sid), value in planned.items():
        department = given.inspectors[iid]["department"]
        per_need[sid, department] += value
        if department not in {n["department"] for n in given.subjects[sid]["needs"]}:
            out.append(f"配对概率 {iid}–{sid}: 检查对象不需要部门 {department}")
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
