"""Phase B: who staffs the staffed subjects, drawn at random with exact, capped pair probabilities.

Per department (independent once the staffed set and the dates are fixed), a max flow with a cap on
every inspector–subject pair gives a fractional assignment: the cap is `max_pair_probability` where
the rules allow it, never below a need's natural share (the only expert must go), and is raised along
a ladder only when the department's capacity forces it. Dependent rounding (`rounding.py`) then
samples an integral assignment whose pair marginals equal the fractional values exactly, so the
probabilities reported are the probabilities drawn with. Where a department's network cannot
represent its needs' requirements, the teams fixed in phase A (or a CP-SAT model) staff it, and its
pairs are reported with probability 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import network
from .common import generator
from .context import DepartmentProblem, SolveContext
from .cpsat import ExactResult, solve_exact
from .instance import lexicographic_order
from .rounding import round_flow

BITS = 8  # pair probabilities are multiples of 1/256: fine enough for any cap, and each bit costs a rounding pass
UNIT = 1 << BITS
LADDER = (1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 8.0, None)  # None: any pair may reach probability 1


@dataclass(frozen=True)
class CappedFlow:
    """A department's fractional assignment, in units of 1/UNIT, for the problem with this key."""
    key: bytes
    net: network.Network
    flow: np.ndarray


@dataclass(frozen=True)
class PairProbabilities:
    """Every pair drawn with positive probability: aligned arrays of inspector, subject, probability."""
    inspector: np.ndarray
    subject: np.ndarray
    probability: np.ndarray


@dataclass(frozen=True)
class Members:
    """Every drawn member: aligned arrays, one entry per (subject, department, inspector), sorted so."""
    subject: np.ndarray
    department: np.ndarray
    inspector: np.ndarray


@dataclass(frozen=True)
class Draw:
    staffed: frozenset[int]  # the staffed set, less any subject a fallback could not staff after all
    members: Members  # (of a subject dropped that way, the departments that did draw it)
    leader: dict[int, int]  # subject → the inspector filling its may-lead seat, where it has one
    pairs: PairProbabilities
    seats: int  # seats drawn by flows, for the mean number of candidates per seat
    candidates_per_seat_total: int  # sum over those seats of their need's number of candidates


def capped_fraction(ctx: SolveContext, department_index: int, problem: DepartmentProblem,
                    rungs: int = len(LADDER)) -> CappedFlow | None:
    """The fractional assignment: pair caps at q where possible, raised along the first `rungs` rungs
    of LADDER only as far as needed (None if even the last of them cannot staff every need).

    A higher cap allows every flow a lower one does, so the rungs are feasible from some rung on: after
    the next two (usually the answer) the rest are bisected, and rungs an earlier call found infeasible
    for the same problem are not tried again. The flow returned is the one of the least feasible rung,
    whichever order found it. The network is built once; only the pair caps change between rungs, and
    rungs whose caps round to the same are solved once.
    """
    base = _base_caps(ctx, problem)
    known_key, lowest = ctx.infeasible_rungs.get(department_index, (None, 0))
    lowest = lowest if known_key == problem.key else 0
    built: list[network.Network] = []
    solved: dict[bytes, CappedFlow | None] = {}  # the caps tried, and what they gave

    def attempt(rung: int) -> CappedFlow | None:
        factor = LADDER[rung]
        cap = np.full(base.size, UNIT) if factor is None else np.minimum(UNIT, np.ceil(base * factor - 1e-9))
        cap = cap.astype(np.int64)
        if cap.tobytes() not in solved:
            if built:
                net = network.with_pair_caps(built[0], cap)
            else:
                net = network.build_network(ctx.inst, ctx.departments[department_index], problem.needs,
                                            problem.pairs, cap, UNIT)
                built.append(net)
            flow = network.max_flow_values(net)
            staffed = network.staffed_needs(net, flow, problem.needs.subjects.size, UNIT).all()
            solved[cap.tobytes()] = CappedFlow(problem.key, net, flow) if staffed else None
        if solved[cap.tobytes()] is None:  # the search tries infeasible rungs in increasing order
            ctx.infeasible_rungs[department_index] = (problem.key, rung + 1)
        return solved[cap.tobytes()]

    return first_feasible(lowest, rungs, attempt)


def first_feasible(lowest: int, end: int, attempt):
    """attempt(k) for the least k in [lowest, end) where it is not None (None if there is none), given that
    it is None below some k and not None from there on: the next two in turn, then bisection."""
    for rung in range(lowest, min(lowest + 2, end)):
        found = attempt(rung)
        if found is not None:
            return found
    low, high, found = lowest + 2, end, None  # below `low` all None; at `high` `found` (or the end)
    while low < high:
        middle = (low + high) // 2
        result = attempt(middle)
        if result is None:
            low = middle + 1
        else:
            high, found = middle, result
    return found


def _base_caps(ctx: SolveContext, problem: DepartmentProblem) -> np.ndarray:
    """Per pair, the starting cap in units of 1/UNIT: q if given, else the need's uniform share; never below
    what the rules force — 1/h for the h holders of a requirement, and for everyone else whatever the
    holders cannot cover."""
    needs, pairs = problem.needs, problem.pairs
    need, n_needs = pairs.need, needs.subjects.size
    q = ctx.inst.max_pair_probability
    if q is None:
        share = (needs.sizes / np.maximum(np.bincount(need, minlength=n_needs), 1))[need]
    else:
        share = np.full(need.size, q)
    # Whole-array passes (no masked gathers); the sums run in pair order as before, so every value is the same.
    holder = pairs.mask != 0
    for r in range(max(map(len, needs.kinds), default=0)):
        holds = ((pairs.mask >> r) & 1) == 1
        holders = np.bincount(need, weights=holds, minlength=n_needs)
        share = np.where(holds, np.maximum(share, (1.0 / np.maximum(holders, 1))[need]), share)
    covered = np.bincount(need, weights=np.where(holder, np.minimum(1.0, share), 0.0), minlength=n_needs)
    others = np.bincount(need, weights=~holder, minlength=n_needs)
    rest = (needs.sizes - covered) / np.maximum(others, 1)
    share = np.where(holder, share, np.maximum(share, rest[need]))
    base = np.ceil(np.minimum(1.0, share) * UNIT - 1e-9)
    if q is not None:
        # Round q down so the cap honoured is never above the one asked for.
        base = np.where(share <= q + 1e-12, np.floor(q * UNIT + 1e-9), base)
    return base


def draw_teams(ctx: SolveContext, staffed: frozenset[int], dates: dict[int, int], dense: np.ndarray,
               capped_flows: dict[int, CappedFlow], fixed_teams: ExactResult | None) -> Draw:
    """Every staffed subject's members, department by department."""
    inst = ctx.inst
    chosen_parts = [(np.zeros(0, dtype=np.int64),) * 3]  # (subject, department, inspector) per drawn member
    leader: dict[int, int] = {}
    parts = [(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))]
    seats = candidates_total = 0
    dropped: set[int] = set()
    staffed_array = np.array(sorted(staffed), dtype=np.int64)
    day_of = ctx.day_array(dates)
    for department_index in range(len(ctx.departments)):
        problem = ctx.department_problem(department_index, staffed_array, day_of, dense)
        needs, pairs = problem.needs, problem.pairs
        if needs.subjects.size == 0:
            continue
        cached = capped_flows.get(department_index)
        capped = cached if cached is not None and cached.key == problem.key else capped_fraction(ctx, department_index, problem)
        if capped is None:
            # Overlapping requirements the network cannot represent: phase A's teams, or CP-SAT, staff it.
            fixed = fixed_teams or solve_exact(inst, sorted(staffed), fixed_dates=dates if inst.days else None,
                                               departments={department_index}, hint=set(staffed))
            for subject_index in needs.subjects.tolist():
                got = fixed.members.get((subject_index, department_index))
                if not got:
                    dropped.add(subject_index)
                    continue
                chosen_parts.append((np.full(len(got), subject_index), np.full(len(got), department_index),
                                     np.array(got, dtype=np.int64)))
                parts.append((np.array(got, dtype=np.int64), np.full(len(got), subject_index), np.ones(len(got))))
                if department_index == inst.lead and subject_index in fixed.leader:
                    leader[subject_index] = fixed.leader[subject_index]
                seats += len(got)
                candidates_total += len(got)
            continue
        final = _round(ctx, department_index, capped)
        chosen = final[capped.net.pair_arc] == 1
        glob = ctx.departments[department_index].global_ids
        chosen_parts.append((needs.subjects[pairs.need[chosen]], np.full(int(chosen.sum()), department_index),
                             glob[pairs.insp[chosen]]))
        for j, inspector_index in _lead_seat_holders(ctx, department_index, problem, capped.net, final).items():
            leader[int(needs.subjects[j])] = int(glob[inspector_index])
        probability = capped.flow[capped.net.pair_arc] / UNIT
        positive = probability > 0
        parts.append((glob[pairs.insp[positive]], needs.subjects[pairs.need[positive]], probability[positive]))
        per_need = np.bincount(pairs.need[positive], minlength=needs.subjects.size)
        seats += int(needs.sizes.sum())
        candidates_total += int((per_need * needs.sizes).sum())
    inspector, subject, probability = (np.concatenate(column) for column in zip(*parts))
    member_subject, member_department, member_inspector = (np.concatenate(column) for column in zip(*chosen_parts))
    order = lexicographic_order(member_subject, member_department, member_inspector)
    members = Members(member_subject[order], member_department[order], member_inspector[order])
    return Draw(frozenset(staffed - dropped), members, leader, PairProbabilities(inspector, subject, probability),
                seats, candidates_total)


def _round(ctx: SolveContext, department_index: int, capped: CappedFlow) -> np.ndarray:
    """An integral flow whose every arc equals the capped flow's value in expectation (dependent rounding)."""
    net, flow = capped.net, capped.flow
    fractional = np.flatnonzero(flow % UNIT)
    final = flow // UNIT
    rng = generator(ctx.inst.seed, "teams", ctx.inst.departments[department_index].id)
    final[fractional] = round_flow(net.tails[fractional], net.heads[fractional], flow[fractional], BITS, rng)
    return final


def _lead_seat_holders(ctx: SolveContext, department_index: int, problem: DepartmentProblem, net: network.Network,
                       final: np.ndarray) -> dict[int, int]:
    """need → the inspector filling its may-lead seat (only where may-lead is a seat of its own).

    The flow fills the seat from a holder class (network.py): any drawn member of that class can take
    it, and one of them, chosen uniformly at random from the seed, does."""
    lead_position = problem.needs.position(network.LEAD)
    if (lead_position < 0).all():
        return {}
    pairs = problem.pairs
    chosen = np.flatnonzero((final[net.pair_arc] == 1) & (net.pair_class >= 0))
    class_need = np.zeros(int(net.pair_class.max()) + 1 if net.pair_class.size else 0, dtype=np.int64)
    class_need[net.pair_class[chosen]] = pairs.need[chosen]
    hit = (final[net.route_arc] == 1) & (lead_position[class_need[net.route_class]] == net.route_req)
    lead_classes = np.unique(net.route_class[hit])
    if lead_classes.size == 0:
        return {}
    # The drawn members of each class that fills a lead seat, grouped by class in pair order.
    members = chosen[np.isin(net.pair_class[chosen], lead_classes)]
    members = members[np.argsort(net.pair_class[members], kind="stable")]
    counts = np.bincount(np.searchsorted(lead_classes, net.pair_class[members]), minlength=lead_classes.size)
    rng = generator(ctx.inst.seed, "leaders", ctx.inst.departments[department_index].id)
    pick = (np.cumsum(counts) - counts) + np.floor(rng.random(lead_classes.size) * counts).astype(np.int64)
    p = members[pick]
    return dict(zip(pairs.need[p].tolist(), pairs.insp[p].tolist()))
