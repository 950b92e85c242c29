"""One department's assignment problem as a flow network: candidate pairs, seats, integral and capped flows.

Network (one department, one set of needs, dates fixed):

    source ─cap_i→ inspector ─[daily cap]→ (inspector, day) ─pair cap→ general seat of need ──────┐
                                                             └pair cap→ holder class ─→ tag seat ─┤→ sink
                                                                                     └─→ general ─┘

A need of size k with requirements R (its tags, plus "may lead" for the lead department) has one
seat of capacity 1 per requirement, fed only by holders, and a general seat of capacity k−|R| fed
by everyone. A need's candidates holding the same of its requirements form a holder class with one
node: every member of a class can fill the same seats, so any split of the class's flow among its
seats can be handed out member by member (a transportation problem without bounds: each member's
pair arc already keeps it to at most one seat's worth per need), and integral flows stay integral.
When the requirement groups are disjoint (after dropping requirements implied by another one or held
by everybody), integral flows saturating the seats are exactly the valid teams. When they overlap,
the network is a restriction: everything it returns is valid, but a team whose one member covers two
requirements is not seen.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow

from .common import UNBOUNDED
from .instance import Need, TeamsInstance

LEAD = "\x00lead"  # the "may lead" requirement; cannot collide with a tag from JSON input
JOIN = "\x01"  # "A\x01B": one member holding both A and B
# Above this many candidate pairs in one department, each need gets a random window of candidates
# instead of all of them (see `candidate_pairs`). Deterministic, so results do not depend on the host.
DENSE_PAIR_LIMIT = 400_000
MIN_WINDOW = 16
MIN_HOLDER_WINDOW = 8


@dataclass(frozen=True)
class DeptNeeds:
    """The needs one department must staff, in network order, with their reduced requirements.

    Needs share few requirement lists, so each need names its list (`kind`) among `kinds`.
    """
    dept: int
    subjects: np.ndarray
    sizes: np.ndarray
    dates: np.ndarray  # day index per need, -1 without days
    kind: np.ndarray  # per need: its reduced requirements are kinds[kind]
    kinds: tuple[tuple[str, ...], ...]
    exact: np.ndarray  # bool per need: requirement groups disjoint

    def n_reqs(self) -> np.ndarray:
        return np.array([len(k) for k in self.kinds], dtype=np.int64)[self.kind]

    def requirements(self, needs: np.ndarray) -> list[str]:
        """The requirements of these needs, sorted."""
        return sorted({req for k in np.unique(self.kind[needs]).tolist() for req in self.kinds[k]})

    def position(self, req: str) -> np.ndarray:
        """Per need, the position of `req` among its requirements, -1 where it has none."""
        return np.array([k.index(req) if req in k else -1 for k in self.kinds], dtype=np.int64)[self.kind]


@dataclass(frozen=True)
class Pairs:
    need: np.ndarray  # local need position
    insp: np.ndarray  # local inspector position (in the department's seeded order)
    mask: np.ndarray  # bit r set when the inspector holds the need's r-th requirement


class Department:
    """A department's inspectors in a seeded random order, with their availability and holder sets."""

    def __init__(self, inst: TeamsInstance, dept: int, rng: np.random.Generator, needs: dict[int, Need]):
        """needs: subject → its need of this department."""
        members = np.array(inst.members(dept), dtype=np.int64)  # sorted by id
        self.inst = inst
        self.dept = dept
        self.global_ids = members[rng.permutation(members.size)] if members.size else members
        n = self.global_ids.size
        self.local = {int(g): k for k, g in enumerate(self.global_ids)}
        insps = [inst.inspectors[g] for g in self.global_ids]
        self.capacity = np.array([ins.capacity if ins.capacity is not None else -1 for ins in insps], dtype=np.int64)
        self.can_lead = np.array([ins.can_lead for ins in insps], dtype=bool)
        self.tags = [ins.tags for ins in insps]
        days = inst.days or ("",)
        self.available = np.ones((len(days), n), dtype=bool)
        for k, ins in enumerate(insps):
            for t, day in enumerate(days):
                if day in ins.unavailable:
                    self.available[t, k] = False
        self.need = needs
        # Per subject, the form (size, tags) of its need here, as an index into `forms`; -1 for none.
        forms: dict[tuple[int, tuple[str, ...]], int] = {}
        self.need_form = np.full(len(inst.subjects), -1, dtype=np.int64)
        self.need_size = np.zeros(len(inst.subjects), dtype=np.int64)
        for subject_index, need in self.need.items():
            self.need_form[subject_index] = forms.setdefault((need.size, need.tags), len(forms))
            self.need_size[subject_index] = min(need.size, UNBOUNDED)  # the need keeps its size for reasons
        self.forms = list(forms)
        self._conflict_keys: np.ndarray | None = None
        self._holders: dict[str, np.ndarray] = {}
        self._pools: dict[int, np.ndarray] = {}
        self._counts: dict[tuple[str, int], int] = {}
        self._reduced: dict[tuple[int, tuple[str, ...]], tuple[tuple[str, ...], bool]] = {}

    def holds(self, req: str) -> np.ndarray:
        if req not in self._holders:
            if JOIN in req:
                self._holders[req] = np.logical_and.reduce([self.holds(part) for part in req.split(JOIN)])
            elif req == LEAD:
                self._holders[req] = self.can_lead.copy()
            else:
                self._holders[req] = np.array([req in tags for tags in self.tags], dtype=bool)
        return self._holders[req]

    def conflict_keys(self) -> np.ndarray:
        """The recusals of this department's inspectors, as sorted keys subject × (N + 1) + inspector."""
        if self._conflict_keys is None:
            stride = len(self.inst.inspectors) + 1
            inspector, subject = self.inst.conflict_arrays
            mine = self.inst.inspector_departments[inspector] == self.dept
            self._conflict_keys = np.sort(subject[mine] * stride + inspector[mine])
        return self._conflict_keys

    def holder_count(self, req: str, day: int) -> int:
        key = (req, day)
        if key not in self._counts:
            self._counts[key] = int(self.holds(req)[self.pool(day)].sum())
        return self._counts[key]

    def pool(self, day: int) -> np.ndarray:
        """Inspectors who can take any visit on that day (available, capacity not zero), in seeded order."""
        if day not in self._pools:
            ok = self.capacity != 0
            if day >= 0:
                ok &= self.available[day]
            self._pools[day] = np.flatnonzero(ok)
        return self._pools[day]


def reduce_requirements(dept: Department, day: int, reqs: tuple[str, ...],
                         size: int) -> tuple[tuple[str, ...], bool]:
    """Drop requirements implied by another (holders ⊇ another's holders) or held by the whole pool.

    Returns the kept requirements and whether their holder groups are pairwise disjoint (exact flow).
    Computed on the day's pool: conflicts only remove inspectors, so the implications still hold.
    When more requirements remain than members (zone + expertise + may-lead in a team of two),
    the two whose holders overlap most become one requirement held by their common holders: a
    sound restriction the network can carry (one member covers both), reported as not exact.
    """
    key = (day, reqs, size)
    if key not in dept._reduced:
        kept, exact = _reduce(dept, day, reqs)
        kept = list(kept)
        pool = dept.pool(day)
        while len(kept) > size:
            best = max(((int((dept.holds(a)[pool] & dept.holds(b)[pool]).sum()), k, m)
                        for k, a in enumerate(kept) for m, b in enumerate(kept) if k < m), key=lambda t: (t[0], -t[1], -t[2]))
            if best[0] == 0:
                break
            _, k, m = best
            kept = kept[:k] + [kept[k] + JOIN + kept[m]] + kept[k + 1:m] + kept[m + 1:]
            exact = False
        dept._reduced[key] = (tuple(kept), exact)
    return dept._reduced[key]


def _reduce(dept: Department, day: int, reqs: tuple[str, ...]) -> tuple[tuple[str, ...], bool]:
    pool = dept.pool(day)
    groups = [(r, frozenset(pool[dept.holds(r)[pool]].tolist())) for r in reqs]
    everyone = frozenset(pool.tolist())
    kept = []
    for k, (r, h) in enumerate(groups):
        if h >= everyone and everyone:
            continue
        implied = any(
            other <= h and (other != h or m < k)
            for m, (_, other) in enumerate(groups) if m != k and not (other >= everyone and everyone)
        )
        if not implied:
            kept.append((r, h))
    exact = all(a.isdisjoint(b) for k, (_, a) in enumerate(kept) for (_, b) in kept[k + 1:])
    return tuple(r for r, _ in kept), exact


def dept_needs(inst: TeamsInstance, dept: Department, subjects: np.ndarray, dates: np.ndarray) -> DeptNeeds:
    """The department's needs of these subjects (in network order), each on its date (-1: none)."""
    lead = (LEAD,) if inst.lead == dept.dept else ()
    # Requirements depend on the need's form and the day only: reduce each distinct pair once.
    pair = dept.need_form[subjects] * (len(inst.days) + 1) + dates + 1
    distinct, inverse = np.unique(pair, return_inverse=True)
    kinds: dict[tuple[str, ...], int] = {}
    kind, exact = [], []
    for form, day in zip(*np.divmod(distinct, len(inst.days) + 1)):
        size, tags = dept.forms[form]
        kept, disjoint = reduce_requirements(dept, int(day) - 1, tags + lead, size)
        kind.append(kinds.setdefault(kept, len(kinds)))
        exact.append(disjoint)
    return DeptNeeds(
        dept=dept.dept,
        subjects=subjects.astype(np.int64),
        sizes=dept.need_size[subjects],
        dates=dates.astype(np.int64),
        kind=np.array(kind, dtype=np.int64)[inverse.reshape(-1)],
        kinds=tuple(kinds),
        exact=np.array(exact, dtype=bool)[inverse.reshape(-1)],
    )


# --- candidate pairs ------------------------------------------------------------------------------

def _windows(pool: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each row r, pool[(starts[r] + 0..lengths[r]-1) mod len(pool)]; returns (row, member)."""
    total = int(lengths.sum())
    row = np.repeat(np.arange(lengths.size), lengths)
    first = np.repeat(np.cumsum(lengths) - lengths, lengths)
    offset = np.arange(total) - first
    return row, pool[(starts[row] + offset) % pool.size]


def windowed(dept: Department, dates: np.ndarray) -> bool:
    """Whether needs on these dates (one per need) get windows of their candidates (`candidate_pairs`)."""
    days, needs_on_day = np.unique(dates, return_counts=True)
    return sum(dept.pool(day).size * count for day, count in zip(days.tolist(), needs_on_day.tolist())) > DENSE_PAIR_LIMIT


def candidate_pairs(inst: TeamsInstance, dept: Department, department_needs: DeptNeeds, starts: np.ndarray,
                    dense: np.ndarray | None = None) -> Pairs:
    """Every (need, inspector) pair allowed by department, day, capacity and recusal.

    In a very large department each need gets a random window of the seeded inspector order
    (plus a window of each requirement's holders) instead of all of them: every inspector in a
    symmetric position is still equally likely to be a candidate, and the window is wide enough
    for the requested cap. `dense` marks needs that must see all their candidates (a window
    left them unstaffable). `starts` are seeded random numbers per need, fixed per subject, so a
    need keeps its window from one round to the next.
    """
    max_pair_probability = inst.max_pair_probability
    days = np.unique(department_needs.dates)
    sparse = windowed(dept, department_needs.dates)
    rows, insps = [], []
    for day in days.tolist():
        pool = dept.pool(day)
        if pool.size == 0:
            continue
        group = np.flatnonzero(department_needs.dates == day)
        if sparse:
            want = np.maximum(MIN_WINDOW,
                              np.ceil(2 * department_needs.sizes[group] / (max_pair_probability or 0.5)).astype(np.int64))
            if dense is not None:
                want[dense[group]] = pool.size
            lengths = np.minimum(pool.size, want)
        else:
            lengths = np.full(group.size, pool.size, dtype=np.int64)
        window_row, window_member = _windows(pool, starts[group] % pool.size, lengths)
        rows.append(group[window_row])
        insps.append(window_member)
        if sparse:
            for req in department_needs.requirements(group):
                holders = pool[dept.holds(req)[pool]]
                if holders.size == 0:
                    continue
                sub = group[department_needs.position(req)[group] >= 0]
                window = max(MIN_HOLDER_WINDOW, int(np.ceil(2 / (max_pair_probability or 0.5))))
                lengths = np.full(sub.size, min(holders.size, window))
                window_row, window_member = _windows(holders, (starts[sub] >> 20) % holders.size, lengths)
                rows.append(sub[window_row])
                insps.append(window_member)
    if not rows:
        return Pairs(*(np.zeros(0, dtype=np.int64) for _ in range(3)))
    need = np.concatenate(rows)
    insp = np.concatenate(insps)
    if sparse:  # windows may overlap; dense rows are distinct already
        n_local = max(1, dept.global_ids.size)
        key = np.sort(need * n_local + insp)
        key = key[np.concatenate(([True], key[1:] != key[:-1]))]
        need, insp = key // n_local, key % n_local
    conflict_keys = dept.conflict_keys()
    if conflict_keys.size:
        # Recusal: drop the pairs named in conflicts (looking only at needs of subjects with one).
        stride = len(inst.inspectors) + 1
        named = np.flatnonzero(np.isin(department_needs.subjects, conflict_keys // stride)[need])
        pair_keys = department_needs.subjects[need[named]] * stride + dept.global_ids[insp[named]]
        at = np.minimum(np.searchsorted(conflict_keys, pair_keys), conflict_keys.size - 1)
        keep = np.ones(need.size, dtype=bool)
        keep[named[conflict_keys[at] == pair_keys]] = False
        need, insp = need[keep], insp[keep]
    # Bit r of a pair: the inspector holds the need's r-th requirement; per requirement list and inspector.
    table = np.zeros((len(department_needs.kinds), dept.global_ids.size), dtype=np.int64)
    for k, reqs in enumerate(department_needs.kinds):
        for r, req in enumerate(reqs):
            table[k] |= dept.holds(req).astype(np.int64) << r
    return Pairs(need, insp, table[department_needs.kind[need], insp])


# --- the network ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Network:
    tails: np.ndarray
    heads: np.ndarray
    caps: np.ndarray
    pair_arc: np.ndarray  # arc index of each pair's arc (inspector side → general seat or holder class)
    seat_arcs: np.ndarray  # arcs into the sink
    seat_need: np.ndarray  # need of each seat arc
    pair_class: np.ndarray  # per pair, its holder class (-1: holds none of the need's requirements)
    route_arc: np.ndarray  # arcs holder class → requirement seat
    route_class: np.ndarray
    route_req: np.ndarray  # requirement position within the need
    inspector_arc: np.ndarray  # source → inspector arcs
    n_nodes: int
    representable: np.ndarray  # per need: no more requirement seats than members (else never "staffed")


def build_network(inst: TeamsInstance, dept: Department, department_needs: DeptNeeds, pairs: Pairs,
                  pair_cap: np.ndarray, unit: int) -> Network:
    """The department's flow network with capacities in units of 1/unit (see the module docstring)."""
    n_insp = dept.global_ids.size
    n_needs = department_needs.subjects.size
    n_reqs = department_needs.n_reqs()
    general = department_needs.sizes - n_reqs
    representable = general >= 0
    # More requirements than members needs one member to cover two: beyond the network, give it no seats.
    n_reqs = np.where(representable, n_reqs, 0)
    req_base = np.cumsum(n_reqs) - n_reqs
    days = len(inst.days)

    source, sink = 0, 1
    insp_node = 2 + np.arange(n_insp)
    day_base = 2 + n_insp
    seat_base = day_base + (n_insp * days if days else 0)
    req_seat_base = seat_base + n_needs

    tails, heads, caps = [], [], []

    def arcs(t, h, c):
        start = sum(a.size for a in tails)
        tails.append(np.asarray(t, dtype=np.int64))
        heads.append(np.asarray(h, dtype=np.int64))
        caps.append(np.broadcast_to(np.asarray(c, dtype=np.int64), np.shape(t)).copy())
        return np.arange(start, start + np.size(t))

    # source → inspector: the capacity (unlimited = one visit per need).
    cap = np.where(dept.capacity < 0, n_needs, np.minimum(dept.capacity, n_needs))
    inspector_arc = arcs(np.full(n_insp, source), insp_node, cap * unit)
    if days:
        used = np.unique(pairs.insp * days + department_needs.dates[pairs.need])
        daily = np.minimum(inst.daily_capacity, cap[used // days])
        arcs(insp_node[used // days], day_base + used, daily * unit)
        origin = day_base + pairs.insp * days + department_needs.dates[pairs.need]
    else:
        origin = insp_node[pairs.insp]
    # inspector (or inspector-day) → general seat directly, or → the need's class of its holders alike.
    holder = (pairs.mask != 0) & representable[pairs.need]
    holder_pairs = np.flatnonzero(holder)
    shift = int(n_reqs.max()) if n_needs else 0
    classes, pair_class_of_holder = np.unique((pairs.need[holder_pairs] << shift) | pairs.mask[holder_pairs],
                                              return_inverse=True)
    pair_class_of_holder = pair_class_of_holder.reshape(-1)
    class_need, class_mask = classes >> shift, classes & ((1 << shift) - 1)
    class_base = req_seat_base + int(n_reqs.sum())
    n_nodes = class_base + classes.size
    pair_class = np.full(pairs.need.size, -1, dtype=np.int64)
    pair_class[holder_pairs] = pair_class_of_holder
    pair_arc = arcs(origin, np.where(holder, class_base + pair_class, seat_base + pairs.need), pair_cap)
    to_general = np.flatnonzero(general[class_need] > 0)
    arcs(class_base + to_general, seat_base + class_need[to_general], general[class_need[to_general]] * unit)
    route_class, route_req = [], []
    for position in range(shift):
        routed = np.flatnonzero((class_mask >> position) & 1 == 1)
        route_class.append(routed)
        route_req.append(np.full(routed.size, position))
    route_class = np.concatenate(route_class) if route_class else np.zeros(0, dtype=np.int64)
    route_req = np.concatenate(route_req) if route_req else np.zeros(0, dtype=np.int64)
    route_arc = arcs(class_base + route_class, req_seat_base + req_base[class_need[route_class]] + route_req, unit)
    # seats → sink
    has_general = np.flatnonzero(general > 0)
    req_need = np.repeat(np.arange(n_needs), n_reqs)
    seat_arcs = np.concatenate([
        arcs(seat_base + has_general, np.full(has_general.size, sink), general[has_general] * unit),
        arcs(req_seat_base + np.arange(req_need.size), np.full(req_need.size, sink), unit),
    ])
    seat_need = np.concatenate([has_general, req_need])
    return Network(
        # Node numbers as OR-Tools takes them (int32): no conversion on every solve, half the memory.
        tails=np.concatenate(tails).astype(np.int32), heads=np.concatenate(heads).astype(np.int32),
        caps=np.concatenate(caps),
        pair_arc=pair_arc, seat_arcs=seat_arcs, seat_need=seat_need,
        pair_class=pair_class, route_arc=route_arc, route_class=route_class, route_req=route_req,
        inspector_arc=inspector_arc, n_nodes=n_nodes, representable=representable,
    )


def with_pair_caps(net: Network, pair_cap: np.ndarray) -> Network:
    """The same network with other caps on the pair arcs."""
    caps = net.caps.copy()
    caps[net.pair_arc] = pair_cap
    return replace(net, caps=caps)


def staffed_needs(net: Network, flow: np.ndarray, n_needs: int, unit: int) -> np.ndarray:
    """Bool per need: every one of its seats is full."""
    short = net.caps[net.seat_arcs] - flow[net.seat_arcs]
    unfilled = np.zeros(n_needs, dtype=np.int64)
    np.add.at(unfilled, net.seat_need, short)
    return (unfilled == 0) & net.representable


def max_flow_values(net: Network) -> np.ndarray:
    """A maximum flow from source to sink, per arc.

    Solved on the reversed network, from the sink to the source: a flow there is the same flow read
    backwards, and OR-Tools' push-relabel finishes about three times sooner that way on these networks
    (the many seats and few inspectors make the pushes from the sink side short)."""
    solver = max_flow.SimpleMaxFlow()
    arcs = solver.add_arcs_with_capacity(net.heads, net.tails, net.caps)
    status = solver.solve(1, 0)
    if status != solver.OPTIMAL:
        raise RuntimeError(f"max flow failed: {status}")
    return np.asarray(solver.flows(arcs), dtype=np.int64)


def priority_flow_values(net: Network, need_weight: np.ndarray) -> np.ndarray:
    """An integral maximum flow that fills the seats of heavier needs first."""
    solver = min_cost_flow.SimpleMinCostFlow()
    cost = np.zeros(net.tails.size, dtype=np.int64)
    top = int(need_weight.max()) if need_weight.size else 0
    cost[net.seat_arcs] = top - need_weight[net.seat_need]
    arcs = solver.add_arcs_with_capacity_and_unit_cost(net.tails, net.heads, net.caps, cost)
    # The solver sends as much as it can of the source's supply, at least cost.
    bound = int(net.caps[net.seat_arcs].sum())
    solver.set_node_supply(0, bound)
    solver.set_node_supply(1, -bound)
    status = solver.solve_max_flow_with_min_cost()
    if status != solver.OPTIMAL:
        raise RuntimeError(f"min cost flow failed: {status}")
    return np.asarray(solver.flows(arcs), dtype=np.int64)
