"""Stage 1: quotas per stratum, must-draw subjects, capped probabilities, output shape."""

import math

import numpy as np
import pytest

from solver import draw_subjects
from solver.common import input_sha256
from solver.draw import capped_probabilities, integer_probabilities


def _problem(strata, subjects, seed="s"):
    return {"seed": seed, "strata": strata, "subjects": subjects}


def _subjects(stratum, n, **kw):
    return [{"id": f"{stratum}-{k:03d}", "stratum": stratum, **kw} for k in range(n)]


def test_all_ratio_count_and_unnamed_strata():
    p = _problem([{"id": "a", "all": True}, {"id": "r", "ratio": 0.2}, {"id": "c", "count": 15}],
                 _subjects("a", 7) + _subjects("r", 101) + _subjects("c", 10) + _subjects("other", 5))
    r = draw_subjects(p)
    assert r["strata"] == [{"id": "a", "population": 7, "drawn": 7}, {"id": "r", "population": 101, "drawn": 21},
                           {"id": "c", "population": 10, "drawn": 10}]
    assert not any(d["stratum"] == "other" for d in r["drawn"])
    assert r["input_sha256"] == input_sha256(p) and r["versions"]["solver"] == "0.2.0"


def test_ratio_ceiling_is_not_fooled_by_floating_point():
    r = draw_subjects(_problem([{"id": "r", "ratio": 0.2}], _subjects("r", 6000)))
    assert r["strata"][0]["drawn"] == 1200


def test_must_subjects_always_drawn_and_counted():
    subjects = _subjects("r", 20)
    for k in (3, 7):
        subjects[k]["must"] = True
    r = draw_subjects(_problem([{"id": "r", "count": 5}], subjects))
    ids = {d["id"] for d in r["drawn"]}
    assert {"r-003", "r-007"} <= ids and len(ids) == 5
    assert all(d["probability"] == 1.0 for d in r["drawn"] if d["must"])
    assert all(math.isclose(d["probability"], 3 / 18) for d in r["drawn"] if not d["must"])


def test_must_exceeding_quota_draws_all_of_them_only():
    subjects = _subjects("r", 10, must=True) + _subjects("q", 0)
    subjects += [{"id": "z", "stratum": "r"}]
    r = draw_subjects(_problem([{"id": "r", "count": 3}], subjects))
    assert len(r["drawn"]) == 10 and all(d["must"] for d in r["drawn"])


def test_capping_makes_probabilities_sum_to_n_and_stay_proportional():
    w = np.array([1.0, 1.0, 2.0, 50.0, 100.0, 3.0])
    pi = capped_probabilities(w, 3)
    assert pi[3] == pi[4] == 1.0
    assert math.isclose(pi.sum(), 3.0)
    assert math.isclose(pi[2] / pi[0], 2.0) and math.isclose(pi[5] / pi[0], 3.0)
    p = integer_probabilities(pi, 3, 1 << 20)
    assert p.sum() == 3 << 20


def test_draw_is_deterministic_and_seed_dependent():
    p = _problem([{"id": "r", "ratio": 0.3}], _subjects("r", 200, weight=2.5))
    assert draw_subjects(p) == draw_subjects(p)
    assert draw_subjects(p)["drawn"] != draw_subjects(dict(p, seed="other"))["drawn"]


def test_draw_ignores_input_order():
    p = _problem([{"id": "r", "ratio": 0.3}], _subjects("r", 200))
    q = dict(p, subjects=p["subjects"][::-1])
    assert draw_subjects(p)["drawn"] == draw_subjects(q)["drawn"]


def test_draw_output_is_sorted_by_stratum_then_id():
    p = _problem([{"id": "b", "ratio": 0.5}, {"id": "a", "ratio": 0.5}], _subjects("a", 30) + _subjects("b", 30))
    drawn = draw_subjects(p)["drawn"]
    assert [d["stratum"] for d in drawn] == ["b"] * 15 + ["a"] * 15
    assert [d["id"] for d in drawn[:15]] == sorted(d["id"] for d in drawn[:15])


def test_inclusion_probabilities_are_the_ones_the_draw_used():
    """Every subject's π from the input alone: drawn ones equal their reported probability, a weighted stratum's
    sum to its size, must-draws are 1, an unnamed stratum's are 0, and the seed does not matter."""
    from solver import inclusion_probabilities

    subjects = ([{"id": f"a{i:03d}", "stratum": "A", "weight": (4.0 if i < 5 else 1.0 if i < 60 else 0.5)}
                 for i in range(100)]
                + [{"id": "a999", "stratum": "A", "must": True}]
                + [{"id": f"b{i}", "stratum": "B"} for i in range(7)] + [{"id": "z1", "stratum": "无配额"}])
    problem = _problem([{"id": "A", "ratio": 0.2}, {"id": "B", "count": 3}], subjects, seed="种子")
    probabilities = inclusion_probabilities(problem)
    assert set(probabilities) == {s["id"] for s in subjects}
    assert inclusion_probabilities({k: v for k, v in problem.items() if k != "seed"}) == probabilities
    for seed in ("种子", "另一个", "第三个"):
        result = draw_subjects({**problem, "seed": seed})
        for drawn in result["drawn"]:
            assert probabilities[drawn["id"]] == drawn["probability"]
    a = [probabilities[s["id"]] for s in subjects if s["stratum"] == "A"]
    assert abs(sum(a) - 21) < 1e-6  # ceil(0.2 × 101)
    assert probabilities["a999"] == 1.0 and probabilities["z1"] == 0.0
    assert probabilities["a000"] == pytest.approx(4 * probabilities["a010"]) and probabilities["a010"] == pytest.approx(
        2 * probabilities["a099"])
    assert all(probabilities[f"b{i}"] == pytest.approx(3 / 7) for i in range(7))
