"""Stage 1: stratified drawing of subjects with exact inclusion probabilities (systematic PPS).

Data → quotas → inclusion probabilities → seeded systematic sample → read back.

Within a stratum, must-draw subjects are taken first. The rest get π_i = min(1, c·w_i) with c set by
iterative capping so that Σπ = the number still to draw. The π are then written as integers in units
of 1/2^K (summing exactly to n·2^K) and a systematic sample is taken over a seeded random order with an
integer random start: unit i is drawn exactly when one of the n equally spaced points falls in its
interval, which happens with probability exactly π_i·2^K / 2^K. The reported probability *is* that
integer ratio, so "exact" is literal, not approximate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter

import numpy as np

from .common import (
    DECIMALS,
    SOLVER_VERSION,
    UNBOUNDED,
    SolverInputError,
    collection_paused,
    generator,
    input_sha256,
    record_columns,
    require_bool,
    require_id,
    require_int,
    require_list,
    require_mapping,
    require_number,
    require_seed,
    where,
)


@dataclass(frozen=True)
class Stratum:
    id: str
    kind: str  # "all" | "ratio" | "count"
    value: float


@dataclass(frozen=True)
class DrawInstance:
    seed: str
    input_sha256: str
    strata: tuple[Stratum, ...]
    ids: list[str]  # input order
    names: list[str]  # each subject's stratum name, input order
    order: np.ndarray  # input positions sorted by id; the arrays below are in this order
    stratum: np.ndarray  # index into strata, -1 when no quota names the stratum
    weight: np.ndarray
    must: np.ndarray


# --- data -----------------------------------------------------------------------------------------

def _parse_stratum(record: object, k: int) -> Stratum:
    path = f"strata[{k}]"
    record = require_mapping(record, path)
    sid = require_id(record, path)
    kinds = [key for key in ("all", "ratio", "count") if record.get(key) is not None]
    if len(kinds) != 1:
        raise SolverInputError(f"{where(path, record)}: 应恰好给出 all、ratio、count 之一")
    kind = kinds[0]
    if kind == "all":
        if record["all"] is not True:
            raise SolverInputError(f"{where(path, record)}: \"all\" 只能为 true")
        return Stratum(sid, kind, 1.0)
    if kind == "ratio":
        ratio = require_number(record, path, "ratio")
        if not 0.0 <= ratio <= 1.0:
            raise SolverInputError(f"{where(path, record)}: \"ratio\" 应在 [0, 1] 之内，实际为 {ratio}")
        return Stratum(sid, kind, ratio)
    return Stratum(sid, kind, float(min(require_int(record, path, "count", minimum=0), UNBOUNDED)))  # capped anyway


def parse_draw(problem: object, *, need_seed: bool = True) -> DrawInstance:
    problem = require_mapping(problem, "输入")
    seed = require_seed(problem) if need_seed or "seed" in problem else ""
    strata = tuple(_parse_stratum(r, k) for k, r in enumerate(require_list(problem.get("strata"), "strata")))
    index = {}
    for k, stratum in enumerate(strata):
        if stratum.id in index:
            raise SolverInputError(f"strata[{k}]（id={stratum.id}）: 分层 id 重复")
        index[stratum.id] = k

    subjects = require_list(problem.get("subjects"), "subjects")
    table = record_columns(subjects)  # shared with the input hash
    try:
        ids, names, weight, must = _columns(subjects, table)
    except (KeyError, TypeError, AttributeError, ValueError, OverflowError):
        ids = names = weight = must = None
    if ids is None:
        _explain_bad_subject(subjects)  # raises with the offending record named
    # Sorting by id first means the input's order cannot influence who is drawn.
    id_array = np.array(ids)
    order = np.argsort(id_array, kind="stable")
    sorted_ids = id_array[order]
    same = np.flatnonzero(sorted_ids[1:] == sorted_ids[:-1])
    if same.size:
        first, second = sorted(order[same[0]:same[0] + 2].tolist())
        raise SolverInputError(f"subjects[{second}]（id={ids[second]}）: id 与 subjects[{first}] 重复")
    stratum_index = np.fromiter(map(index.get, names, repeat(-1)), dtype=np.int64, count=len(names))
    return DrawInstance(
        seed=seed,
        input_sha256=input_sha256(problem, {"subjects": table}),
        strata=strata,
        ids=ids,
        names=names,
        order=order,
        stratum=stratum_index[order],
        weight=weight[order],
        must=must[order],
    )


def _columns(subjects: list, table: dict[str, list] | None) -> tuple[list, list, np.ndarray, np.ndarray]:
    """Columns of the subject records, vectorised; any irregularity raises for the slow path.

    This runs over a million records at province scale, so the common case is checked in bulk
    and the record-by-record validator only runs to name the offending record. `table` holds
    the columns already when every record has the same keys (`record_columns`).
    """
    if table is not None and "id" in table and "stratum" in table:
        ids, names = table["id"], table["stratum"]
        raw_weight = table.get("weight") or [1.0] * len(subjects)
        raw_must = table.get("must") or [False] * len(subjects)
    else:
        ids = list(map(itemgetter("id"), subjects))
        names = list(map(itemgetter("stratum"), subjects))
        raw_weight = list(map(dict.get, subjects, repeat("weight"), repeat(1.0)))
        raw_must = list(map(dict.get, subjects, repeat("must"), repeat(False)))
    if None in raw_weight or None in raw_must:  # null stands for the default, as an absent field does
        raw_weight = [1.0 if w is None else w for w in raw_weight]
        raw_must = [False if m is None else m for m in raw_must]
    if not set(map(type, ids)) <= {str} or not set(map(type, names)) <= {str} or "" in ids or "" in names:
        raise ValueError
    if not set(map(type, raw_weight)) <= {int, float} or not set(map(type, raw_must)) <= {bool}:
        raise ValueError
    weight = np.array(raw_weight, dtype=float)
    if not np.all((weight > 0) & np.isfinite(weight)):
        raise ValueError
    return ids, names, weight, np.array(raw_must, dtype=bool)


def _explain_bad_subject(subjects: list) -> None:
    for k, record in enumerate(subjects):
        path = f"subjects[{k}]"
        require_mapping(record, path)
        require_id(record, path)
        require_id(record, path, "stratum")
        if record.get("weight") is not None:
            w = require_number(record, path, "weight")
            if w <= 0:
                raise SolverInputError(f"{where(path, record)}: \"weight\" 应大于 0，实际为 {w}")
        require_bool(record, path, "must", False)
    raise SolverInputError("subjects: 格式有误")  # unreachable unless null fields confused the bulk check


# --- model: inclusion probabilities --------------------------------------------------------------

def target_size(stratum: Stratum, population: int) -> int:
    if stratum.kind == "all":
        return population
    if stratum.kind == "count":
        return min(int(stratum.value), population)
    # The tolerance keeps 0.2 × 6000 at 1200 rather than 1201 from binary floating point noise.
    return min(population, math.ceil(stratum.value * population - 1e-9))


def capped_probabilities(weight: np.ndarray, n: int) -> np.ndarray:
    """π_i = min(1, c·w_i) with Σπ = n, by iterative capping (vectorised: the number capped is found at once)."""
    m = weight.size
    if n >= m:
        return np.ones(m)
    if n == 0:
        return np.zeros(m)
    largest = float(weight.max())
    if not 1e-100 < largest < 1e100:
        # Only the ratios of weights matter: weights near the ends of the floating-point range are scaled
        # so that their sums neither overflow nor vanish (ordinary weights are used as given).
        weight = weight / largest
    ws = np.sort(weight)[::-1]
    # suffix[k] = Σ_{j≥k} ws[j]; with the k largest capped, the rest share n−k.
    suffix = np.cumsum(ws[::-1])[::-1]
    k = np.arange(m)
    ok = (n - k) * ws <= suffix * (1 + 1e-12)
    capped = int(np.argmax(ok))  # smallest k for which the rest need no cap
    c = (n - capped) / suffix[capped]
    pi = np.minimum(1.0, c * weight)
    if capped and ws[capped - 1] > ws[capped]:
        pi[weight >= ws[capped - 1]] = 1.0  # the `capped` largest weights
    elif capped:
        # Equal weights on both sides of the cut (only through rounding): cap the first ones by position.
        pi[np.argsort(-weight, kind="stable")[:capped]] = 1.0
    return pi


def integer_probabilities(pi: np.ndarray, n: int, unit: int) -> np.ndarray:
    """π in integer units of 1/unit, each within one unit of π·unit, summing exactly to n·unit."""
    scaled = pi * unit
    p = np.floor(scaled).astype(np.int64)
    p[pi >= 1.0] = unit
    short = n * unit - int(p.sum())
    frac = scaled - p
    if short > 0:
        # Largest remainders first; ties by position, which is the id order (not input order).
        candidates = np.flatnonzero(p < unit)
        p[candidates[_first_largest(frac[candidates], short)]] += 1
    elif short < 0:
        candidates = np.flatnonzero((p > 0) & (p < unit))
        p[candidates[_first_largest(-frac[candidates], -short)]] -= 1
    return p


def _first_largest(values: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k largest values, ties by position: the first k of a stable sort, in linear time."""
    if k >= values.size:
        return np.arange(values.size)
    cut = np.partition(values, values.size - k)[values.size - k]  # the k-th largest value
    above = np.flatnonzero(values > cut)
    return np.concatenate([above, np.flatnonzero(values == cut)[:k - above.size]])


def systematic_sample(p: np.ndarray, n: int, unit: int, rng: np.random.Generator) -> np.ndarray:
    """Boolean mask: unit i is drawn with probability exactly p_i/unit, exactly n are drawn."""
    order = rng.permutation(p.size)
    cum = np.cumsum(p[order])
    start = int(rng.integers(0, unit))
    # Points start + j·unit for j = 0..n−1; count(x) = how many points lie below x.
    upper = (cum - start - 1) // unit + 1
    lower = np.concatenate(([0], upper[:-1]))
    chosen = np.zeros(p.size, dtype=bool)
    chosen[order] = (upper - lower) > 0
    return chosen


def _unit_for(n: int) -> int:
    # n·unit must fit in int64 with room for the cumulative sum.
    return 1 << min(40, 62 - max(1, n).bit_length())


# --- solve and read back -------------------------------------------------------------------------

def draw_subjects(problem: dict) -> dict:
    with collection_paused():
        return _draw(parse_draw(problem))


def inclusion_probabilities(problem: dict) -> dict[str, float]:
    """Every subject's inclusion probability in the draw of `problem` (its "seed" may be left out: the
    probabilities do not depend on it), by subject id, rounded as in a result's "drawn". The very numbers the
    draw used: a drawn subject's equals its reported "probability"; a subject considered but not drawn gets its
    own π (weight, credit-risk class and must-draw included); those of a stratum sum to its "drawn"; a subject
    whose stratum no quota names has 0."""
    with collection_paused():
        inst = parse_draw(problem, need_seed=False)
        prob = np.zeros(len(inst.ids))
        for k, stratum in enumerate(inst.strata):
            members, is_must, p, unit, _ = _stratum_units(inst, k, stratum)
            prob[members[is_must]] = 1.0
            if p is not None:
                prob[members[~is_must]] = p / unit
        ids = [inst.ids[i] for i in inst.order.tolist()]
        return dict(zip(ids, np.round(prob, DECIMALS).tolist()))


def _stratum_units(inst: DrawInstance, k: int, stratum: Stratum):
    """A stratum's members (positions in id order), which must be drawn, and the rest's π in integer units of
    1/unit (None when the must-draws fill the stratum): what both the draw and `inclusion_probabilities` use."""
    members = np.flatnonzero(inst.stratum == k)
    target = target_size(stratum, int(members.size))
    is_must = inst.must[members]
    must = int(is_must.sum())
    if must >= target:
        return members, is_must, None, 1, 0
    need = target - must
    unit = _unit_for(need)
    return members, is_must, integer_probabilities(
        capped_probabilities(inst.weight[members[~is_must]], need), need, unit), unit, need


def _draw(inst: DrawInstance) -> dict:
    drawn_idx, drawn_prob = [np.zeros(0, dtype=np.int64)], [np.zeros(0)]  # per stratum, positions in id order
    strata_out = []
    for k, stratum in enumerate(inst.strata):
        members, is_must, p, unit, need = _stratum_units(inst, k, stratum)
        population = int(members.size)
        prob = np.zeros(population)
        chosen = np.zeros(population, dtype=bool)
        chosen[is_must] = True
        prob[is_must] = 1.0
        if p is not None:
            picked = systematic_sample(p, need, unit, generator(inst.seed, "draw", stratum.id))
            chosen[~is_must] = picked
            prob[~is_must] = p / unit
        drawn_idx.append(members[chosen])
        drawn_prob.append(prob[chosen])
        strata_out.append({"id": stratum.id, "population": population, "drawn": int(chosen.sum())})

    idx = np.concatenate(drawn_idx)
    rows = inst.order[idx].tolist()
    drawn = [{"id": i, "stratum": s, "probability": pr, "must": m}
             for i, s, pr, m in zip(map(inst.ids.__getitem__, rows), map(inst.names.__getitem__, rows),
                                    np.round(np.concatenate(drawn_prob), DECIMALS).tolist(), inst.must[idx].tolist())]
    return {
        "seed": inst.seed,
        "input_sha256": inst.input_sha256,
        "versions": {"solver": SOLVER_VERSION, "numpy": np.__version__},
        "drawn": drawn,
        "strata": strata_out,
    }
