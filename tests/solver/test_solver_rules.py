"""Each hard rule of stage 2, alone and combined, on tiny instances; infeasible cases come with reasons."""

import pytest

from solver import check_teams, solve_teams
from tests.solver.solver_kit import teams_problem


def insp(iid, dept="a", **kw):
    return {"id": iid, "department": dept, **kw}


def need(dept="a", size=1, tags=()):
    return {"department": dept, "size": size, "tags": list(tags)}


def solve_ok(problem):
    result = solve_teams(problem)
    assert check_teams(problem, result) == []
    return result


def members(result, subject):
    team = next(t for t in result["teams"] if t["subject"] == subject)
    return {m["inspector"] for m in team["members"]}


def test_size_per_department_and_joint_team():
    p = teams_problem([insp("a1"), insp("a2"), insp("a3"), insp("b1", "b"), insp("b2", "b")],
                      [{"id": "S", "needs": [need("a", 2), need("b", 2)]}])
    r = solve_ok(p)
    assert r["status"] == "complete"
    assert len(members(r, "S")) == 4 and {"b1", "b2"} <= members(r, "S")


def test_size_too_large_is_unstaffed_with_reason():
    p = teams_problem([insp("a1")], [{"id": "S", "needs": [need("a", 2)]}])
    r = solve_ok(p)
    assert r["status"] == "partial" and r["teams"] == []
    assert r["unstaffed"] == [{"subject": "S", "department": "a", "reason": "a局仅剩1名可派执法人员，需要2名"}]


def test_expertise_tag_requires_a_holder():
    p = teams_problem([insp("a1"), insp("a2"), insp("a3", tags=["危险化学品"])],
                      [{"id": "S", "needs": [need("a", 2, ["危险化学品"])]}])
    assert "a3" in members(solve_ok(p), "S")


def test_zone_tag_missing_gives_zone_reason():
    p = teams_problem([insp("a1"), insp("a2")], [{"id": "S", "needs": [need("a", 1, ["zone:城关镇"])]}])
    r = solve_ok(p)
    assert "属于城关镇片区" in r["unstaffed"][0]["reason"]


def test_recusal_excludes_the_inspector_and_is_named_in_the_reason():
    p = teams_problem([insp("a1"), insp("a2", tags=["危险化学品"])],
                      [{"id": "S", "needs": [need("a", 1, ["危险化学品"])]}],
                      conflicts=[{"inspector": "a2", "subject": "S", "reason": "近亲属"}])
    r = solve_ok(p)
    assert r["unstaffed"][0]["reason"] == "回避后仅剩0名具备危险化学品专长的a局执法人员，需要至少1名"


def test_recusal_alone():
    p = teams_problem([insp("a1"), insp("a2")], [{"id": "S", "needs": [need("a", 1)]}],
                      conflicts=[{"inspector": "a1", "subject": "S"}])
    assert members(solve_ok(p), "S") == {"a2"}


def test_capacity_limits_visits_and_reports_full_workload():
    p = teams_problem([insp("a1", capacity=1)], [{"id": "S1", "needs": [need()]}, {"id": "S2", "needs": [need()]}])
    r = solve_ok(p)
    assert len(r["teams"]) == 1
    assert "工作量已满（容量用尽）" in r["unstaffed"][0]["reason"]


def test_capacity_zero_is_never_assigned():
    p = teams_problem([insp("a1", capacity=0), insp("a2")], [{"id": "S", "needs": [need()]}])
    assert members(solve_ok(p), "S") == {"a2"}


def test_leader_from_lead_department_who_can_lead():
    p = teams_problem([insp("a1", can_lead=False), insp("a2"), insp("b1", "b")],
                      [{"id": "S", "needs": [need("a", 1), need("b", 1)]}], lead_department="a")
    r = solve_ok(p)
    assert r["teams"][0]["leader"] == "a2"


def test_no_possible_leader_is_unstaffed():
    p = teams_problem([insp("a1", can_lead=False)], [{"id": "S", "needs": [need("a", 1)]}], lead_department="a")
    assert "可担任组长" in solve_ok(p)["unstaffed"][0]["reason"]


def test_subject_without_lead_department_has_no_leader():
    p = teams_problem([insp("a1"), insp("b1", "b")], [{"id": "S", "needs": [need("b", 1)]}], lead_department="a")
    assert solve_ok(p)["teams"][0]["leader"] is None


def test_dates_respect_availability():
    p = teams_problem([insp("a1", unavailable=["2024-06-03"]), insp("b1", "b")],
                      [{"id": "S", "needs": [need("a"), need("b")]}], days=["2024-06-03", "2024-06-04"])
    assert solve_ok(p)["teams"][0]["date"] == "2024-06-04"


def test_daily_capacity_spreads_visits_over_days():
    p = teams_problem([insp("a1")], [{"id": f"S{k}", "needs": [need()]} for k in range(4)],
                      days=["2024-06-03", "2024-06-04"], daily_capacity=2)
    r = solve_ok(p)
    assert r["status"] == "complete"
    assert sorted(t["date"] for t in r["teams"]) == ["2024-06-03"] * 2 + ["2024-06-04"] * 2


def test_no_common_day_is_reported_as_a_date_problem():
    p = teams_problem([insp("a1", unavailable=["2024-06-03"]), insp("b1", "b", unavailable=["2024-06-04"])],
                      [{"id": "S", "needs": [need("a"), need("b")]}], days=["2024-06-03", "2024-06-04"])
    reason = solve_ok(p)["unstaffed"][0]["reason"]
    assert reason.startswith("2024-06-03至2024-06-04")


def test_all_rules_combined():
    inspectors = [insp(f"a{k}", tags=(["危险化学品"] if k < 2 else []) + [f"zone:{'东' if k % 2 else '西'}"],
                       capacity=2, can_lead=k != 0) for k in range(6)]
    inspectors += [insp(f"b{k}", "b", capacity=2, unavailable=["2024-06-04"] if k == 0 else []) for k in range(4)]
    subjects = [{"id": f"S{k}", "needs": [need("a", 2, ["危险化学品", "zone:东"]), need("b", 2)]} for k in range(3)]
    p = teams_problem(inspectors, subjects, lead_department="a", days=["2024-06-03", "2024-06-04"],
                      daily_capacity=1, conflicts=[{"inspector": "a1", "subject": "S0"}], max_pair_probability=0.8)
    r = solve_ok(p)
    assert len(r["teams"]) + len({u["subject"] for u in r["unstaffed"]}) == 3


def test_overlapping_requirements_one_member_covers_two():
    # Team of one: the only choice is the member holding both tags (the flow cannot split them).
    p = teams_problem([insp("a1", tags=["x"]), insp("a2", tags=["y"]), insp("a3", tags=["x", "y"])],
                      [{"id": "S", "needs": [need("a", 1, ["x", "y"])]}])
    assert members(solve_ok(p), "S") == {"a3"}


def test_forced_pair_above_cap_is_reported_not_hidden():
    p = teams_problem([insp("a1", tags=["x"]), insp("a2"), insp("a3")],
                      [{"id": "S", "needs": [need("a", 2, ["x"])]}], max_pair_probability=0.5)
    r = solve_ok(p)
    assert r["randomness"]["uncapped_pairs"] == [{"inspector": "a1", "subject": "S", "probability": 1.0}]
    assert r["randomness"]["least_feasible_cap"] == 1.0


def test_maximum_staffing_prefers_more_subjects():
    # Greedy on S0 with a2 would block S1; the maximum staffs both.
    p = teams_problem([insp("a1", capacity=1), insp("a2", capacity=1, tags=["x"])],
                      [{"id": "S0", "needs": [need()]}, {"id": "S1", "needs": [need("a", 1, ["x"])]}])
    r = solve_ok(p)
    assert r["status"] == "complete"


@pytest.mark.parametrize("seed", ["1", "2", "3"])
def test_check_catches_tampering(seed):
    p = teams_problem([insp("a1"), insp("a2"), insp("a3")], [{"id": "S", "needs": [need("a", 2)]}], seed=seed,
                      conflicts=[{"inspector": "a3", "subject": "S"}])
    r = solve_ok(p)
    r["teams"][0]["members"][0]["inspector"] = "a3"
    assert any("回避" in v for v in check_teams(p, r))
    r["teams"] = []
    assert any("静默遗漏" in v for v in check_teams(p, r))
