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
of an arc lie on the trail's two traversal directions, each labelled by the smallest dart of its
cycle (`cycle_min`). Which labels come out does not depend on how they are computed, so the draw is
fixed by the seed alone.
"""

from __future__ import annotations

import numpy as np

_MIX = np.uint32(0x9E3779B1)  # Fibonacci hashing: spreads the rulers evenly over any index range
RULER_SHIFTS = (4, 2)  # one dart in 16 leads a segment, then one in 4 among the darts left over
SMALL = 4096  # below this many darts plain pointer jumping is as fast
WALK = 4  # steps between dropping the walkers that have arrived


def _jump_min(succ: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Per element, the least `value` on its cycle of the permutation `succ`, by pointer jumping."""
    label = value.copy()
    step = succ
    span = 1
    while span < succ.size:
        label = np.minimum(label, label[step])
        step = step[step]
        span *= 2
        # Once the label is constant along every cycle it is the cycle's minimum: stop early.
        if np.array_equal(label, label[succ]):
            break
    return label


def cycle_min(succ: np.ndarray) -> np.ndarray:
    """Per element, the smallest element of its cycle of the permutation `succ`.

    Pointer jumping alone costs log2(longest cycle) passes over every element, and one trail
    usually runs through most of the network. Instead a sparse set of "rulers" walk forward in
    lockstep, each marking the elements it passes as its segment, until it reaches the next ruler
    (where it stays): every element is visited about once, and the rulers' own permutation, with
    each segment's minimum, is small enough for pointer jumping. Cycles without a ruler go on to
    the next, denser round, and what little remains to plain pointer jumping.
    """
    label = np.empty(succ.size, dtype=succ.dtype)
    todo = None  # global element of each local one, increasing (None: every element, numbered as itself)
    sub = succ  # the permutation restricted to `todo`, in local numbering
    for shift in RULER_SHIFTS:
        m = sub.size
        if m < SMALL:
            break
        local = np.arange(m, dtype=sub.dtype)
        is_ruler = ((local.astype(np.uint32) * _MIX) >> np.uint32(32 - shift)) == 0
        rulers = local[is_ruler]
        advance = np.where(is_ruler, local, sub)  # a walker that reaches a ruler stays on it
        owner = np.full(m, -1, dtype=sub.dtype)  # the ruler (by rank) whose segment holds each element
        walker = np.arange(rulers.size, dtype=sub.dtype)
        at = sub[rulers]
        next_ruler = np.empty(rulers.size, dtype=sub.dtype)
        while walker.size:
            for _ in range(WALK):  # a walker already home only rewrites its ruler's owner, reset below
                owner[at] = walker
                at = advance[at]
            home = is_ruler[at]
            next_ruler[walker[home]] = at[home]
            walker, at = walker[~home], at[~home]
        owner[rulers] = np.arange(rulers.size, dtype=sub.dtype)
        owned = owner >= 0
        seg_min = rulers.copy()
        np.minimum.at(seg_min, owner[owned], local[owned])
        # Local numbering keeps the global order, so the least local index is the least global one.
        ruler_min = _jump_min(owner[next_ruler], seg_min)
        if todo is None:  # the first round numbers every element as itself: no translation
            label[owned] = ruler_min[owner[owned]]
        else:
            label[todo[owned]] = todo[ruler_min[owner[owned]]]
        left = local[~owned]
        renumber = np.full(m, -1, dtype=sub.dtype)
        renumber[left] = np.arange(left.size, dtype=sub.dtype)
        sub = renumber[sub[left]]
        todo = left if todo is None else todo[left]
    if sub.size:
        rest = _jump_min(sub, np.arange(sub.size, dtype=sub.dtype))
        if todo is None:
            label[:] = rest
        else:
            label[todo] = todo[rest]
    return label


def _trail_signs(tails: np.ndarray, heads: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """±1 per arc such that every node's net change is zero, one fair coin per closed trail."""
    m = tails.size
    # End 2a is arc a's tail end, 2a+1 its head end. Pair the ends at each node, in end order: a
    # sort of (node, end) keys, which are distinct, gives the stable order by node.
    key = np.empty(2 * m, dtype=np.int64)
    key[0::2] = tails
    key[1::2] = heads
    key <<= 32
    key |= np.arange(2 * m, dtype=np.int64)
    key.sort()
    by_node = (key & 0xFFFFFFFF).astype(np.int32)
    partner = np.empty(2 * m, dtype=np.int32)
    partner[by_node[0::2]] = by_node[1::2]
    partner[by_node[1::2]] = by_node[0::2]
    # Dart 2a runs tail→head and arrives at end 2a+1; dart 2a+1 runs head→tail and arrives at end 2a.
    # Arriving at end e, the trail continues on partner[e]'s arc, leaving from partner[e]: if that is
    # a tail end (even) the arc is run forward (dart = that even number), else backward (dart = odd).
    label = cycle_min(partner[np.arange(2 * m, dtype=np.int32) ^ 1])
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
