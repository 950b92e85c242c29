"""Property tests: on random tiny instances every result is valid and staffs the brute-force maximum."""
import pytest
from hypothesis import HealthCheck, given, settings

from solver import check_teams, solve_teams
from tests.solver.solver_kit import brute_force_max, tiny_problems

pytestmark = pytest.mark.slow  # property-based (hypothesis)

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(tiny_problems())
def test_every_result_passes_the_independent_check(problem):
    result = solve_teams(problem)
    assert check_teams(problem, result) == []


@SETTINGS
@given(tiny_problems())
def test_staffed_count_is_the_brute_force_maximum(problem):
    result = solve_teams(problem)
    assert len(result["teams"]) == brute_force_max(problem)
    assert {u["subject"] for u in result["unstaffed"]} | {t["subject"] for t in result["teams"]} == \
        {s["id"] for s in problem["subjects"]}
