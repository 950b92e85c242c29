"""Independent verifier of a stage-2 result: re-checks every hard rule from the raw input, sharing no solver code.

Only the input validation is shared (so malformed input is rejected the same way); everything
below reads the plain dictionaries again, with its own simple loops, as an auditor would.
"""

from __future__ import annotations

from collections import Counter

from .common import input_sha256
from .instance import parse_teams


def check_teams(problem: dict, result: dict) -> list[str]:
    """Every violated rule, one line each; an empty list means the result is valid."""
    parse_teams(problem)  # malformed input raises SolverInputError, as for solving
    v: list[str] = []
    if not isinstance(result, dict):
        return ["结果应为 JSON 对象"]

    # --- the input, read plainly ---
    lead = problem.get("lead_department")
    inspectors = {i["id"]: i for i in problem["inspectors"]}
    subjects = {s["id"]: s for s in problem["subjects"]}
    conflicts = {(c["inspector"], c["subject"]) for c in problem.get("conflicts") or []}
    days = problem.get("days")
    daily_capacity = problem.get("daily_capacity") or 1

    if result.get("seed") != problem["seed"]:
        v.append(f"seed 不一致：结果为 {result.get('seed')!r}")
    if result.get("input_sha256") != input_sha256(problem):
        v.append("input_sha256 与输入不符")

    teams = result.get("teams")
    unstaffed = result.get("unstaffed")
    if not isinstance(teams, list) or not isinstance(unstaffed, list):
        return v + ["结果缺少 teams 或 unstaffed 列表"]

    # --- every subject accounted for exactly once ---
    staffed_ids = [t.get("subject") for t in teams]
    for sid, n in Counter(staffed_ids).items():
        if n > 1:
            v.append(f"检查对象 {sid} 出现在多个检查组中")
    unstaffed_ids = {u.get("subject") for u in unstaffed}
    staffed_set = set(staffed_ids)
    for sid in staffed_set | unstaffed_ids:
        if sid not in subjects:
            v.append(f"结果中的检查对象 {sid} 不在输入中")
    for sid in subjects:
        if sid not in staffed_set and sid not in unstaffed_ids:
            v.append(f"检查对象 {sid} 既未组队也未列入 unstaffed（不得静默遗漏）")
        if sid in staffed_set and sid in unstaffed_ids:
            v.append(f"检查对象 {sid} 同时出现在 teams 与 unstaffed 中")
    for u in unstaffed:
        if not u.get("reason"):
            v.append(f"未配齐的检查对象 {u.get('subject')} 缺少原因")
    status = "complete" if not unstaffed else "partial"
    if result.get("status") != status:
        v.append(f"status 应为 {status}，结果为 {result.get('status')!r}")

    # --- each team ---
    load: Counter = Counter()
    day_load: Counter = Counter()
    for team in teams:
        sid = team.get("subject")
        if sid not in subjects:
            continue
        members = [m.get("inspector") for m in team.get("members") or []]
        where = f"检查对象 {sid}"
        for iid, n in Counter(members).items():
            if n > 1:
                v.append(f"{where}: 执法人员 {iid} 重复出现")
        unknown = [iid for iid in members if iid not in inspectors]
        for iid in unknown:
            v.append(f"{where}: 执法人员 {iid} 不在输入中")
        for m in team.get("members") or []:
            iid = m.get("inspector")
            if iid in inspectors and m.get("department") != inspectors[iid]["department"]:
                v.append(f"{where}: 执法人员 {iid} 的部门应为 {inspectors[iid]['department']}")
        known = [inspectors[iid] for iid in dict.fromkeys(members) if iid in inspectors]
        needed = {n["department"] for n in subjects[sid]["needs"]}
        for ins in known:
            if ins["department"] not in needed:
                v.append(f"{where}: 不需要部门 {ins['department']}，却派了 {ins['id']}")
        # rule 1: size and tags per need
        for need in subjects[sid]["needs"]:
            mine = [ins for ins in known if ins["department"] == need["department"]]
            if len(mine) != need["size"]:
                v.append(f"{where}: 部门 {need['department']} 应派 {need['size']} 人，实际 {len(mine)} 人")
            for tag in need.get("tags") or []:
                if not any(tag in (ins.get("tags") or []) for ins in mine):
                    v.append(f"{where}: 部门 {need['department']} 无人具备 {tag}")
        # rule 2: recusal
        for ins in known:
            if (ins["id"], sid) in conflicts:
                v.append(f"{where}: {ins['id']} 应回避却被派出")
        # rule 4: leader
        if lead is not None and lead in needed:
            leader = team.get("leader")
            ok = leader in members and leader in inspectors and inspectors[leader]["department"] == lead \
                and inspectors[leader].get("can_lead") is not False
            if not ok:
                v.append(f"{where}: 组长 {leader!r} 应为牵头部门中可担任组长的组员")
        # rule 5: the date
        date = team.get("date")
        if days:
            if date not in days:
                v.append(f"{where}: 日期 {date!r} 不在 days 中")
            for ins in known:
                if date in (ins.get("unavailable") or []):
                    v.append(f"{where}: {ins['id']} 在 {date} 不可用")
        elif date is not None:
            v.append(f"{where}: 输入没有 days，却给出日期 {date!r}")
        for ins in known:
            load[ins["id"]] += 1
            day_load[ins["id"], date] += 1

    # rule 3: capacity; rule 5: visits per day
    for iid, n in sorted(load.items()):
        cap = inspectors[iid].get("capacity")
        if cap is not None and n > cap:
            v.append(f"执法人员 {iid} 被派 {n} 次，超过容量 {cap}")
    if days:
        for (iid, date), n in sorted(day_load.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
            if n > daily_capacity:
                v.append(f"执法人员 {iid} 在 {date} 被派 {n} 次，超过每日 {daily_capacity} 次")

    # --- what can be checked of the randomness report from one result ---
    randomness = result.get("randomness") or {}
    q = problem.get("max_pair_probability")
    if randomness.get("max_pair_probability") != q:
        v.append("randomness.max_pair_probability 与输入不符")
    if q is not None:
        for pair in randomness.get("uncapped_pairs") or []:
            if not pair.get("probability", 0) > q:
                v.append(f"uncapped_pairs 中的 {pair.get('inspector')}–{pair.get('subject')} 并未超过上限")
        listed = {(p.get("inspector"), p.get("subject")) for p in randomness.get("uncapped_pairs") or []}
        largest = randomness.get("largest_pair_probability")
        if largest is not None and largest > q + 1e-9 and not listed:
            v.append("最大配对概率超过上限，但 uncapped_pairs 为空")
    return v


