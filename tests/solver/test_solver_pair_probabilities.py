"""`report_pair_probabilities`: every planned inspector–subject probability, checked by `check` and by drawing.

The statistical test sums, pair by pair, the probabilities reported over a fixed list of seeds and
compares the count of draws that chose the pair (independent seeds: the count's mean is that sum and
its variance the sum of p(1−p)); the bound is 4.5 standard deviations, so it cannot flake.
"""

import copy
import math
from collections import Counter, defaultdict

import pytest

from solver import check_teams, solve_teams
from solver.common import dumps
from tests.solver.solver_kit import teams_problem


def _block(seed="s", q=0.5):
    """Two departments, an expertise tag, a leader, capacities that bind, one recusal."""
    inspectors = [{"id": f"a{k:02d}", "department": "a", "capacity": 3, "tags": ["x"] if k % 4 == 0 else [],
                   "can_lead": k % 3 != 1} for k in range(12)]
    inspectors += [{"id": f"b{k:02d}", "department": "b", "capacity": 4} for k in range(8)]
    subjects = [{"id": f"S{k:02d}", "needs": [{"department": "a", "size": 2, "tags": ["x"] if k % 3 == 0 else []},
                                              {"department": "b", "size": 1}]} for k in range(12)]
    return teams_problem(inspectors, subjects, seed=seed, lead_department="a", max_pair_probability=q,
                         conflicts=[{"inspector": "a01", "subject": "S00"}, {"inspector": "b03", "subject": "S05"}],
                         report_pair_probabilities=True)


def _pairs(result):
    return {(p["inspector"], p["subject"]): p["probability"] for p in result["randomness"]["pair_probabilities"]}


def test_without_the_flag_the_result_is_as_before_and_the_draw_the_same():
    with_flag = _block()
    without = {k: v for k, v in with_flag.items() if k != "report_pair_probabilities"}
    plain, reported = solve_teams(without), solve_teams(with_flag)
    assert "pair_probabilities" not in plain["randomness"]
    assert plain["teams"] == reported["teams"] and plain["unstaffed"] == reported["unstaffed"]
    assert dumps(solve_teams(with_flag)) == dumps(reported)
    assert check_teams(with_flag, reported) == [] and check_teams(without, plain) == []


def test_reported_probabilities_keep_every_promise():
    problem = _block()
    result = solve_teams(problem)
    pairs = result["randomness"]["pair_probabilities"]
    planned = _pairs(result)
    assert [(p["subject"], p["inspector"]) for p in pairs] == sorted((p["subject"], p["inspector"]) for p in pairs)
    assert all(0 < p <= 1 for p in planned.values())
    dept = {i["id"]: i["department"] for i in problem["inspectors"]}
    per_need = defaultdict(float)
    for (iid, sid), p in planned.items():
        per_need[sid, dept[iid]] += p
    for team in result["teams"]:
        assert math.isclose(per_need[team["subject"], "a"], 2, abs_tol=1e-9)
        assert math.isclose(per_need[team["subject"], "b"], 1, abs_tol=1e-9)
        assert all((m["inspector"], team["subject"]) in planned for m in team["members"])
    assert ("a01", "S00") not in planned and ("b03", "S05") not in planned
    uncapped = {(p["inspector"], p["subject"]) for p in result["randomness"]["uncapped_pairs"]}
    assert {pair for pair, p in planned.items() if p > 0.5} <= uncapped
    # S00 needs one of the three x-holders left after a01's recusal... a00, a04, a08: each at 1/3 at least
    assert sum(p for (iid, sid), p in planned.items() if sid == "S00" and iid in ("a00", "a04", "a08")) >= 1


@pytest.mark.parametrize("tamper, complaint", [
    (lambda pairs: pairs.pop(0), "配对概率"),  # a member's pair or a need's sum goes missing
    (lambda pairs: pairs[0].update(probability=pairs[0]["probability"] + 0.25), "之和"),
    (lambda pairs: pairs.append({"inspector": "a01", "subject": "S00", "probability": 0.0001}), "回避"),
    (lambda pairs: pairs.reverse(), "排序"),
])
def test_check_rejects_a_tampered_list(tamper, complaint):
    problem = _block()
    result = copy.deepcopy(solve_teams(problem))
    tamper(result["randomness"]["pair_probabilities"])
    assert any(complaint in v for v in check_teams(problem, result)), check_teams(problem, result)


def test_check_rejects_a_pair_above_the_cap_not_listed_uncapped():
    problem = _block(q=0.5)
    result = copy.deepcopy(solve_teams(problem))
    pairs = result["randomness"]["pair_probabilities"]
    # Move probability within one need: the sum stays right, one pair goes above the cap.
    sid = result["teams"][0]["subject"]
    mine = [p for p in pairs if p["subject"] == sid and p["inspector"].startswith("b")]
    assert len(mine) >= 2
    shift = min(mine[1]["probability"], 0.5)
    mine[0]["probability"] += shift
    mine[1]["probability"] -= shift
    result["randomness"]["uncapped_pairs"] = [p for p in result["randomness"]["uncapped_pairs"]
                                              if (p["inspector"], p["subject"]) != (mine[0]["inspector"], sid)]
    if mine[1]["probability"] == 0:
        pairs.remove(mine[1])
    assert any("uncapped_pairs" in v for v in check_teams(problem, result))


def test_check_demands_the_list_when_the_input_asks_for_it():
    problem = _block()
    result = copy.deepcopy(solve_teams(problem))
    del result["randomness"]["pair_probabilities"]
    assert any("pair_probabilities" in v for v in check_teams(problem, result))


def test_the_only_expert_is_reported_uncapped_with_probability_one():
    inspectors = [{"id": "a1", "department": "a", "tags": ["x"]}] + [{"id": f"a{k}", "department": "a"}
                                                                     for k in range(2, 6)]
    problem = teams_problem(inspectors, [{"id": "S", "needs": [{"department": "a", "size": 2, "tags": ["x"]}]}],
                            departments=("a",), max_pair_probability=0.3, report_pair_probabilities=True)
    result = solve_teams(problem)
    planned = _pairs(result)
    assert planned[("a1", "S")] == 1.0
    assert math.isclose(sum(p for (i, _), p in planned.items() if i != "a1"), 1.0)
    assert check_teams(problem, result) == []


@pytest.mark.slow
def test_drawn_frequencies_agree_with_reported_probabilities():
    expected, variance, drawn = Counter(), Counter(), Counter()
    seeds = [f"pairs-{k}" for k in range(300)]
    for seed in seeds:
        result = solve_teams(_block(seed, q=0.4))
        assert result["status"] == "complete"
        for pair, p in _pairs(result).items():
            expected[pair] += p
            variance[pair] += p * (1 - p)
        drawn.update((m["inspector"], t["subject"]) for t in result["teams"] for m in t["members"])
    assert set(drawn) <= set(expected)
    for pair, mean in expected.items():
        assert abs(drawn[pair] - mean) <= 4.5 * math.sqrt(variance[pair]) + 1e-9, (pair, drawn[pair], mean)
    # not vacuous: many pairs are genuinely random
    assert sum(1 for pair in expected if 20 < expected[pair] < len(seeds) - 20) > 50
