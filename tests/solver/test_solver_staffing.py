"""Maximum staffing: the joint model without dates (with its upper bound) and the dated schedule.

The joint model is a relaxation of the real problem, so its bound must never be below the true
maximum (checked against brute force), and on instances where per-department flows spend a scarce
department on the wrong subjects, the solver staffs what the bound allows.
"""

import random

from hypothesis import HealthCheck, given, settings

from solver import check_teams, joint, solve_teams
from solver.context import SolveContext
from solver.dates import date_first
from solver.instance import parse_teams
from solver.joint import choose_staffed_counts, subject_groups
from solver.screening import screen
from solver.staffing import flow_rounds
from solver.teams import solve_teams_outcome
from tests.solver.solver_kit import brute_force_max, teams_problem, tiny_problems

SETTINGS = settings(max_examples=120, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(tiny_problems())
def test_the_joint_bound_is_never_below_the_true_maximum(problem):
    problem.pop("days", None)
    inst = parse_teams(problem)
    groups = subject_groups(inst, list(range(len(inst.subjects))))
    choice = choose_staffed_counts(inst, groups, [0] * len(groups), random_seed=1)
    assert choice is not None and choice.upper_bound >= brute_force_max(problem)


def coupled_county(seed: int, n_subjects: int = 160) -> dict:
    """Four departments of six; every subject needs the first and one to three others; capacities a
    third of each department's demand, so the first department must pick subjects the others can staff."""
    rnd = random.Random(seed)
    depts = ["a", "b", "c", "d"]
    subjects = []
    for s in range(n_subjects):
        needed = ["a"] + rnd.sample(depts[1:], rnd.randint(1, 3))
        subjects.append({"id": f"S{s:03d}", "needs": [
            {"department": d, "size": 2, "tags": [f"zone:{rnd.randrange(3)}"] if rnd.random() < 0.5 else []}
            for d in needed]})
    inspectors = []
    for d in depts:
        seats = sum(n["size"] for s in subjects for n in s["needs"] if n["department"] == d)
        for k in range(6):
            inspectors.append({"id": f"{d}{k}", "department": d, "tags": [f"zone:{k % 3}"],
                               "capacity": seats // 18 + 1, "can_lead": k % 2 == 0})
    return teams_problem(inspectors, subjects, departments=depts, seed=f"coupled-{seed}", lead_department="a",
                         max_pair_probability=0.5)


def test_coupled_departments_are_staffed_up_to_the_proven_bound():
    for seed in range(3):
        problem = coupled_county(seed)
        ctx = SolveContext.build(parse_teams(problem))
        by_flows = flow_rounds(ctx, screen(ctx)).staffed
        outcome = solve_teams_outcome(problem)
        staffed = len(outcome.result["teams"])
        assert check_teams(problem, outcome.result) == []
        assert staffed >= len(by_flows)
        assert outcome.upper_bound is not None and staffed == outcome.upper_bound, (seed, staffed, outcome.upper_bound)
        reason = outcome.result["unstaffed"][0]["reason"]
        assert f"任何安排至多配齐{staffed}户" in reason and "只有增加人员或提高容量" in reason


def planted_schedule(seed: int, n_subjects: int = 40, per_dept: int = 6, n_days: int = 6) -> dict:
    """Dated, one visit a day: a full schedule is planted, capacities are its loads, and inspectors are
    away on most of the days the plant leaves them free."""
    rnd = random.Random(seed)
    depts = ["a", "b", "c"]
    inspectors = {d: [{"id": f"{d}{k}", "department": d, "tags": ["x"] if rnd.random() < 0.4 else []}
                      for k in range(per_dept)] for d in depts}
    busy, load, subjects = set(), {}, []
    for s in range(n_subjects):
        needed = ["a"] + rnd.sample(depts[1:], rnd.randint(1, 2))
        day = rnd.randrange(n_days)
        teams = {}
        for d in needed:
            free = [i for i in inspectors[d] if (i["id"], day) not in busy]
            if len(free) < 2:
                break
            teams[d] = rnd.sample(free, rnd.choice((1, 2)))
        else:
            needs = []
            for d, team in teams.items():
                held = sorted({t for i in team for t in i["tags"]})
                needs.append({"department": d, "size": len(team), "tags": held[:rnd.randint(0, len(held))]})
                for i in team:
                    busy.add((i["id"], day))
                    load[i["id"]] = load.get(i["id"], 0) + 1
            subjects.append({"id": f"S{s:03d}", "needs": needs})
    days = [f"2024-06-{3 + t:02d}" for t in range(n_days)]
    records = [{**i, "capacity": load.get(i["id"], 0),
                "unavailable": [days[t] for t in range(n_days) if (i["id"], t) not in busy and rnd.random() < 0.6]}
               for d in depts for i in inspectors[d]]
    return teams_problem(records, subjects, departments=depts, seed=f"planted-{seed}", days=days, daily_capacity=1)


def test_dated_staffing_is_never_below_a_naive_date_first_schedule():
    for seed in range(6):
        problem = planted_schedule(seed)
        result = solve_teams(problem)
        assert check_teams(problem, result) == []
        ctx = SolveContext.build(parse_teams(problem))
        screening = screen(ctx)
        naive = date_first(ctx.inst, list(screening.candidates), screening.feasible_days)
        assert len(result["teams"]) >= len(naive.staffed)


def test_small_planted_schedules_are_staffed_in_full():
    """Issue 15 item 2 on small planted instances (a full schedule exists): every subject is staffed.
    The bench's planted shapes are in test_solver_dated_staffing.py."""
    for seed in range(10):
        problem = planted_schedule(seed)
        result = solve_teams(problem)
        assert check_teams(problem, result) == []
        assert len(result["teams"]) == len(problem["subjects"]), seed


def two_subjects_one_inspector() -> dict:
    inspectors = [{"id": "a1", "department": "a", "capacity": 2, "unavailable": ["2024-06-04"]}]
    subjects = [{"id": f"S{k}", "needs": [{"department": "a", "size": 1}]} for k in range(2)]
    return teams_problem(inspectors, subjects, departments=("a",), days=["2024-06-03", "2024-06-04"])


def test_the_dated_counting_model_is_not_built_above_its_term_limit(monkeypatch):
    problem = two_subjects_one_inspector()
    expected = solve_teams(problem)

    def refuse(*args, **kwargs):
        raise AssertionError("the counting model was built above its term limit")

    monkeypatch.setattr(joint, "DATES_TERM_LIMIT", 0)
    monkeypatch.setattr(joint, "choose_dates", refuse)
    result = solve_teams(problem)
    assert len(result["teams"]) == len(expected["teams"]) == 1
    assert check_teams(problem, result) == []


def test_a_subject_left_out_for_dates_taken_by_others_says_so():
    problem = two_subjects_one_inspector()
    result = solve_teams(problem)
    assert len(result["teams"]) == 1
    reason = result["unstaffed"][0]["reason"]
    assert reason.startswith("日期冲突：2024-06-03各部门单独都能派齐") and "已排给其他检查对象" in reason


def test_no_date_works_is_told_apart_from_a_conflict():
    inspectors = [{"id": "a1", "department": "a", "unavailable": ["2024-06-03"]},
                  {"id": "b1", "department": "b", "unavailable": ["2024-06-04"]}]
    problem = teams_problem(inspectors, [{"id": "S", "needs": [{"department": "a", "size": 1},
                                                              {"department": "b", "size": 1}]}],
                            days=["2024-06-03", "2024-06-04"])
    reason = solve_teams(problem)["unstaffed"][0]["reason"]
    assert "没有一天能同时派齐" in reason and "日期冲突" not in reason
