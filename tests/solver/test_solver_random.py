"""Randomness you can defend: determinism, independence across seeds, uniformity, the cap, exact π.

Statistical tests use a fixed list of seeds, so they are deterministic: they cannot flake, and a
failure means the distribution really moved. Bounds are 4.5 standard deviations.
"""
import json
import math
import os
import subprocess
import sys
from collections import Counter

import numpy as np
import pytest

from solver import draw_subjects, solve_teams
from solver.common import dumps, generator
from solver.rounding import round_flow
from tests.solver.solver_kit import teams_problem

pytestmark = pytest.mark.slow  # statistical: thousands of draws

SEEDS = [f"seed-{k}" for k in range(400)]


def _close(count, n, p):
    return abs(count - n * p) <= 4.5 * math.sqrt(n * p * (1 - p)) + 1e-9


def _city_block(seed="s"):
    inspectors = [{"id": f"a{k:02d}", "department": "a", "capacity": 3, "tags": ["x"] if k % 4 == 0 else []}
                  for k in range(12)]
    inspectors += [{"id": f"b{k:02d}", "department": "b", "capacity": 4} for k in range(8)]
    subjects = [{"id": f"S{k:02d}", "needs": [{"department": "a", "size": 2, "tags": ["x"] if k % 3 == 0 else []},
                                              {"department": "b", "size": 1}]} for k in range(12)]
    return teams_problem(inspectors, subjects, seed=seed, lead_department="a",
                         conflicts=[{"inspector": "a01", "subject": "S00"}])


def test_same_input_and_seed_give_identical_bytes():
    p = _city_block()
    assert dumps(solve_teams(p)) == dumps(solve_teams(json.loads(json.dumps(p))))


def test_identical_across_processes_and_hash_seeds(tmp_path):
    p = _city_block()
    path = tmp_path / "p.json"
    path.write_text(json.dumps(p, ensure_ascii=False), encoding="utf-8")
    outputs = []
    for hash_seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        run = subprocess.run([sys.executable, "-m", "solver", "teams", str(path)], capture_output=True, env=env,
                             check=True)
        outputs.append(run.stdout)
    assert outputs[0] == outputs[1] == dumps(solve_teams(p)).encode("utf-8")


def test_input_order_does_not_matter():
    p = _city_block()
    shuffled = dict(p, inspectors=p["inspectors"][::-1], subjects=p["subjects"][::-1])
    a, b = solve_teams(p), solve_teams(shuffled)
    assert a["teams"] == b["teams"] and a["unstaffed"] == b["unstaffed"]
    assert a["input_sha256"] != b["input_sha256"]


def test_different_seeds_give_different_draws():
    teams = {json.dumps(solve_teams(_city_block(seed))["teams"]) for seed in SEEDS[:20]}
    assert len(teams) == 20


def test_seed_streams_are_independent_of_each_other():
    a = generator("s", "draw", "x").random(1000)
    b = generator("s", "draw", "y").random(1000)
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.15


def test_symmetric_inspectors_equally_likely():
    inspectors = [{"id": f"a{k}", "department": "a"} for k in range(5)]
    counts = Counter()
    for seed in SEEDS:
        p = teams_problem(inspectors, [{"id": "S", "needs": [{"department": "a", "size": 2}]}], seed=seed,
                          departments=("a",))
        counts.update(m["inspector"] for m in solve_teams(p)["teams"][0]["members"])
    assert all(_close(counts[f"a{k}"], len(SEEDS), 0.4) for k in range(5)), counts


def test_leader_uniform_among_those_who_can_lead():
    inspectors = [{"id": f"a{k}", "department": "a", "can_lead": k != 0} for k in range(4)]
    counts = Counter()
    for seed in SEEDS:
        p = teams_problem(inspectors, [{"id": "S", "needs": [{"department": "a", "size": 4}]}], seed=seed,
                          departments=("a",), lead_department="a")
        counts[solve_teams(p)["teams"][0]["leader"]] += 1
    assert counts["a0"] == 0
    assert all(_close(counts[f"a{k}"], len(SEEDS), 1 / 3) for k in (1, 2, 3)), counts


def test_cap_is_honoured_where_capacity_would_concentrate():
    # Three inspectors can take two visits, three only one; without a cap, flows favour the big ones.
    inspectors = [{"id": f"a{k}", "department": "a", "capacity": 2 if k < 3 else 1} for k in range(6)]
    subjects = [{"id": f"S{k}", "needs": [{"department": "a", "size": 2}]} for k in range(4)]
    q = 0.45  # 0.4 would be infeasible: 3×1 + 3×min(2, 4×0.4) < 8 seats
    counts = Counter()
    for seed in SEEDS:
        r = solve_teams(teams_problem(inspectors, subjects, seed=seed, departments=("a",), max_pair_probability=q))
        assert r["status"] == "complete"
        assert r["randomness"]["largest_pair_probability"] <= q and r["randomness"]["uncapped_pairs"] == []
        counts.update((m["inspector"], t["subject"]) for t in r["teams"] for m in t["members"])
    n = len(SEEDS)
    bound = n * q + 4.5 * math.sqrt(n * q * (1 - q))
    assert max(counts.values()) <= bound, counts.most_common(3)


def test_stage_one_inclusion_frequencies_match_reported_probabilities():
    weights = [1, 1, 2, 3, 5, 20]
    counts = Counter()
    probs = {}
    for seed in SEEDS * 3:
        p = {"seed": seed, "strata": [{"id": "t", "count": 3}],
             "subjects": [{"id": f"x{k}", "stratum": "t", "weight": w} for k, w in enumerate(weights)]}
        result = draw_subjects(p)
        assert len(result["drawn"]) == 3
        for d in result["drawn"]:
            counts[d["id"]] += 1
            probs[d["id"]] = d["probability"]
    assert probs["x5"] == 1.0  # capped
    assert math.isclose(sum(probs.values()), 3.0, abs_tol=1e-9)
    assert math.isclose(probs["x4"] / probs["x0"], 5.0, rel_tol=1e-9)  # exactly proportional to weight
    n = len(SEEDS) * 3
    assert all(_close(counts[k], n, probs[k]) for k in probs), (counts, probs)


def test_dependent_rounding_keeps_marginals_and_conservation():
    rng = np.random.default_rng(7)
    # source 0 → 3 inspectors (2..4) → 3 needs (5..7) → sink 1, each need one unit, all fractional.
    frac = np.array([[0.5, 0.25, 0.25], [0.25, 0.5, 0.25], [0.25, 0.25, 0.5]])
    bits, unit = 4, 16
    tails, heads, flow = [], [], []
    for i in range(3):
        tails.append(0), heads.append(2 + i), flow.append(int(frac[i].sum() * unit))
        for j in range(3):
            tails.append(2 + i), heads.append(5 + j), flow.append(int(frac[i, j] * unit))
    for j in range(3):
        tails.append(5 + j), heads.append(1), flow.append(unit)
    tails, heads, flow = map(np.array, (tails, heads, flow))
    total = np.zeros(flow.size)
    n = 4000
    for _ in range(n):
        x = round_flow(tails, heads, flow, bits, rng)
        for node in range(2, 8):
            assert x[heads == node].sum() == x[tails == node].sum()
        total += x
    assert np.all(np.abs(total / n - flow / unit) <= 4.5 * np.sqrt(0.25 / n))
