"""Dependent rounding of a fractional flow: every arc keeps its marginal exactly, every node stays balanced.

Flows are integers in units of 1/2^K. Bit by bit, from the lowest: the arcs whose current value has
that bit set ("odd" arcs) meet every node an even number of times (each node is balanced and the
source and sink carry whole units), so they split into closed trails. Along each trail, alternately
add and subtract one unit of that bit — which direction is a fair coin per trail. Conservation holds
at every node, each arc moves by ±2^j with probability ½ each, so E[final] = initial exactly, and an
arc never leaves [floor, ceil] of its starting value (Gandhi et al. 2006; Doerr 2006; used for
reviewer assignment by Jecmen et al. 2020). After K bits the flow is integral.

Trails are found without a Python loop: odd arc-ends are paired at each node, which makes "leave an
arc through its far end, enter the partner" a permutation on darts (arc, direction); the two darts
of an arc lie on the trail's two traversal directions, labelled by their minimum by pointer jumping.
"""

from __future__ import annotations

import numpy as np


def _trail_signs(tails: np.ndarray, heads: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """±1 per arc such that every node's net change is zero, one fair coin per closed trail."""
    m = tails.size
    # End 2a is arc a's tail end, 2a+1 its head end. Pair the ends at each node.
    ends_node = np.empty(2 * m, dtype=np.int32 if max(tails.max(), heads.max()) < 2**31 else np.int64)
    ends_node[0::2] = tails
    ends_node[1::2] = heads
    by_node = np.argsort(ends_node, kind="stable").astype(np.int32)
    partner = np.empty(2 * m, dtype=np.int32)
    partner[by_node[0::2]] = by_node[1::2]
    partner[by_node[1::2]] = by_node[0::2]
    # Dart 2a runs tail→head and arrives at end 2a+1; dart 2a+1 runs head→tail and arrives at end 2a.
    # Arriving at end e, the trail continues on partner[e]'s arc, leaving from partner[e]: if that is
    # a tail end (even) the arc is run forward (dart = that even number), else backward (dart = odd).
    succ = partner[np.arange(2 * m, dtype=np.int32) ^ 1]
    label = np.arange(2 * m, dtype=np.int32)
    step = succ
    span = 1
    while span < 2 * m:
        label = np.minimum(label, label[step])
        step = step[step]
        span *= 2
        # Once the label is constant along every trail it is the trail's minimum: stop early.
        if span >= 8 and np.array_equal(label, label[succ]):
            break
    forward, backward = label[0::2], label[1::2]
    trail = np.minimum(forward, backward)
    coin = rng.integers(0, 2, size=2 * m, dtype=np.int8) * 2 - 1
    return np.where(forward < backward, 1, -1) * coin[trail]


def round_flow(tails: np.ndarray, heads: np.ndarray, flow: np.ndarray, bits: int,
               rng: np.random.Generator) -> np.ndarray:
    """An integral flow X with E[X_a] = flow_a / 2^bits exactly for every arc a."""
    value = flow.astype(np.int64).copy()
    for j in range(bits):
        odd = np.flatnonzero((value >> j) & 1)
        if odd.size == 0:
            continue
        value[odd] += _trail_signs(tails[odd], heads[odd], rng).astype(np.int64) << j
    return value >> bits
