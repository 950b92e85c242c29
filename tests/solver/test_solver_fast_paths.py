"""The fast paths give exactly what the plain code they stand in for gives.

Canonical hashing column by column against `json.dumps`, the cycle labelling of the dependent rounding
against a plain walk, the bulk subject screening against the need-by-need check, the quick subject
parser against the validating one, and the draw's capping and rounding against stable sorts.
"""

import hashlib
import json
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver import common
from solver.context import SolveContext
from solver.draw import _first_largest, capped_probabilities, integer_probabilities
from solver.instance import _plain_subject, _subject, parse_teams
from solver.rounding import cycle_min
from solver.screening import _Screener
from tests.solver.solver_kit import tiny_problems

SETTINGS = settings(max_examples=200, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _reference_sha256(value) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# Values a record may hold: the awkward ones on purpose (non-ASCII, escapes, zeros of both signs,
# floats that print oddly, big integers, booleans next to 1 and 1.0, null, nested lists and objects).
_SCALARS = st.sampled_from([
    "91131126MA0D12345X", "清河县", "层3", "Ω", "😀", "", 'say "hi"', "back\\slash", "tab\t", "\x00", "\x1f", "\u2028", "\x7f",
    0, 1, -1, 2 ** 63, 10 ** 30, True, False, None,
    0.0, -0.0, 1e-07, 0.1, 2.0, 0.5, 1e300, -2.5e-300, float("inf"), float("-inf"),
])
_VALUES = st.recursive(_SCALARS | st.text(max_size=4) | st.floats(allow_nan=False) | st.integers(),
                       lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3),
                       max_leaves=6)
_KEYS = st.sampled_from(["id", "stratum", "weight", "must", "needs", "名称", "a b", "\"q\""])


@st.composite
def _record_lists(draw):
    """Lists of records sharing keys; each column drawn from a few values, many, or anything."""
    keys = draw(st.lists(_KEYS, min_size=1, max_size=4, unique=True))
    columns = {}
    for key in keys:
        pool = draw(st.lists(draw(st.sampled_from([_SCALARS, _VALUES, st.floats(allow_nan=False), st.text()])),
                             min_size=1, max_size=4))
        columns[key] = pool
    n = draw(st.integers(0, 40))
    records = [{key: draw(st.sampled_from(columns[key])) for key in draw(st.permutations(keys))} for _ in range(n)]
    if records and draw(st.booleans()):  # now and then one record that breaks the pattern
        records[draw(st.integers(0, n - 1))] = draw(st.sampled_from([{}, [1], {"other": 1}, {keys[0]: None}]))
    return records


@pytest.mark.slow
@SETTINGS
@given(_record_lists(), st.dictionaries(st.text(max_size=3), _VALUES, max_size=3), st.integers(1, 4))
def test_input_sha256_is_the_hash_of_the_reference_encoding(records, extra, chunk):
    problem = {**extra, "subjects": records, "seed": "种子"}
    # Small thresholds so that every drawn list takes the column path, across several chunks.
    with mock.patch.object(common, "COLUMNAR_MIN", 1), mock.patch.object(common, "CHUNK", chunk):
        assert common.input_sha256(problem) == _reference_sha256(problem)
    assert common.input_sha256(problem) == _reference_sha256(problem)
    assert common.input_sha256(records) == _reference_sha256(records)


def test_input_sha256_of_a_large_draw_input():
    subjects = [{"id": f"91{k:016d}", "stratum": "一般单位" if k % 3 else "九小场所", "weight": [0.5, 1, 2.0][k % 3],
                 "must": k % 97 == 0} for k in range(5000)]
    subjects[4000]["weight"] = 1e-07
    problem = {"seed": "s", "strata": [{"id": "一般单位", "ratio": 0.2}], "subjects": subjects}
    assert common.input_sha256(problem) == _reference_sha256(problem)


def test_input_sha256_keeps_equal_values_with_different_texts_apart():
    # 0.0 == -0.0 and 1 == 1.0 == True, but each has its own JSON text.
    for column in ([0.0, -0.0], [-0.0, 0.0, 1.5], [1, 1.0, True], [True, 1], [2.0, 2], [None, False, 0]):
        records = [{"id": f"S{k}", "weight": column[k % len(column)]} for k in range(200)]
        assert common.input_sha256({"subjects": records}) == _reference_sha256({"subjects": records})


def test_input_sha256_escapes_what_the_encoder_escapes():
    for char in [chr(c) for c in range(0x20)] + ['"', "\\", "\x7f", "\u2028", "é", "😀"]:
        records = [{"id": f"S{k}", "name": f"名{k}{char}" if k == 50 else f"名{k}"} for k in range(100)]
        assert common.input_sha256({"subjects": records}) == _reference_sha256({"subjects": records}), repr(char)


def test_input_sha256_of_columns_of_distinct_numbers():
    # Mostly distinct values take the per-value path, where inf, nan and mixed types must not pass as repr.
    for special in ([], [float("inf")], [float("nan")], [float("-inf"), 3], [7], [-0.0]):
        weights = [k / 7 for k in range(100)] + special
        records = [{"id": f"S{k}", "weight": w} for k, w in enumerate(weights)]
        assert common.input_sha256({"subjects": records}) == _reference_sha256({"subjects": records})
        records = [{"id": f"S{k}", "weight": k * 10 ** 20} for k in range(100)]
        assert common.input_sha256({"subjects": records}) == _reference_sha256({"subjects": records})


def _plain_cycle_min(succ):
    label = np.full(succ.size, -1)
    for start in range(succ.size):
        if label[start] < 0:
            cycle = [start]
            while succ[cycle[-1]] != start:
                cycle.append(succ[cycle[-1]])
            label[cycle] = min(cycle)
    return label


def test_cycle_min_matches_a_plain_walk():
    rng = np.random.default_rng(3)
    for n, long_share in [(1, 0.0), (7, 0.5), (5000, 0.0), (20000, 0.9), (30000, 0.3)]:
        # One long cycle through part of the elements, short cycles through the rest.
        order = rng.permutation(n)
        cut = int(n * long_share)
        succ = np.empty(n, dtype=np.int32)
        succ[order[:cut]] = np.roll(order[:cut], -1)
        rest = order[cut:]
        k = 0
        while k < rest.size:
            size = int(rng.integers(1, 40))
            block = rest[k:k + size]
            succ[block] = np.roll(block, -1)
            k += size
        assert np.array_equal(cycle_min(succ), _plain_cycle_min(succ))


@pytest.mark.slow
@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_problems(max_subjects=4))
def test_bulk_screening_equals_the_need_by_need_check(problem):
    screener = _Screener(SolveContext.build(parse_teams(problem)))
    screening = screener.screen()
    plain = [screener.screen_subject(s) for s in range(len(problem["subjects"]))]
    assert screening.candidates == tuple(s for s, (ok, _) in enumerate(plain) if ok)
    assert screening.feasible_days == {s: tuple(ok) for s, (ok, _) in enumerate(plain) if ok}
    assert screening.reasons == {s: tuple(why) for s, (ok, why) in enumerate(plain) if not ok}


def test_quick_subject_parse_agrees_with_the_validating_one():
    departments = list(parse_teams({"seed": "s", "departments": [{"id": "a"}, {"id": "b"}], "inspectors": [],
                                    "subjects": []}).departments)
    index = {"a": 0, "b": 1}
    missing = object()
    needs = []
    for department in ["a", "zz", "", 1, None, missing]:
        for size in [1, 2, 0, -1, 2.0, 2.5, True, "2", None, missing]:
            for tags in [None, [], ["x"], ["x", "y"], ["x", "x"], ["", "x"], [1], "x", ["层"], missing]:
                need = {"department": department, "size": size, "tags": tags}
                needs.append({k: v for k, v in need.items() if v is not missing})
    records = [{"id": sid, "needs": [need]} for sid in ["S1", "清河", " ", "", 5, None] for need in needs]
    records += [{"id": "S1", "needs": value} for value in (None, "x", [], {}, ["x"], [needs[0], needs[0]],
                                                           [needs[0], dict(needs[0], department="b")])]
    records += [[], "S", {"id": "S"}, {"needs": [needs[0]]}]
    quick = 0
    for record in records:
        parsed = _plain_subject(record, index)
        if parsed is not None:
            quick += 1
            assert parsed == _subject(record, 0, index, departments), record
    assert quick > 0


def _sorted_capped(weight, n):
    """Iterative capping through a stable sort, as first written."""
    m = weight.size
    if n >= m:
        return np.ones(m)
    order = np.argsort(-weight, kind="stable")
    ws = weight[order]
    suffix = np.cumsum(ws[::-1])[::-1]
    capped = int(np.argmax((n - np.arange(m)) * ws <= suffix * (1 + 1e-12)))
    pi_sorted = np.minimum(1.0, (n - capped) / suffix[capped] * ws)
    pi_sorted[:capped] = 1.0
    pi = np.empty(m)
    pi[order] = pi_sorted
    return pi


@pytest.mark.slow
@SETTINGS
@given(st.lists(st.sampled_from([0.5, 1.0, 2.0, 4.0, 1e-07, 3.0, 1e6, 7.25]), min_size=1, max_size=60), st.data())
def test_capping_and_integer_rounding_equal_the_stable_sort_versions(weights, data):
    weight = np.array(weights)
    n = data.draw(st.integers(1, weight.size))
    pi = capped_probabilities(weight, n)
    assert np.array_equal(pi, _sorted_capped(weight, n))
    unit = 1 << 20
    p = integer_probabilities(pi, n, unit)
    assert p.sum() == n * unit and np.all(np.abs(p - pi * unit) < 1 + 1e-9)


@pytest.mark.slow
@SETTINGS
@given(st.lists(st.sampled_from([0.0, 0.25, 0.5, 0.75, 0.1, 0.3]), min_size=1, max_size=50), st.data())
def test_first_largest_is_the_head_of_a_stable_sort(values, data):
    values = np.array(values)
    k = data.draw(st.integers(1, values.size + 2))
    expected = np.sort(np.argsort(-values, kind="stable")[:k])
    assert np.array_equal(np.sort(_first_largest(values, k)), expected)
