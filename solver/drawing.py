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
class Draw:
    staffed: frozenset[int]  # the staffed set, less any subject a fallback could not staff after all
    members: dict[tuple[int, int], list[int]]  # (subject, department) → inspectors
    leader: dict[int, int]  # subject → the inspector filling its may-lead seat, where it has one
    pairs: PairProbabilities
    seats: int  # seats drawn by flows, for the mean number of candidates per seat
    candidates_per_seat_total: int  # sum over those seats of their need's number of candidates


def capped_fraction(ctx: SolveContext, department_index: int, problem: DepartmentProblem,
                    ladder=LADDER) -> CappedFlow | None:
    """The fractional assignment: pair caps at q where possible, raised only as far as needed."""
    needs, pairs = problem.needs, problem.pairs
    n_needs = needs.subjects.size
    q = ctx.inst.max_pair_probability
    count = np.bincount(pairs.need, minlength=n_needs)
    # The starting cap: q if given, else the need's uniform share; never below what the rules force —
    # 1/h for the h holders of a requirement, and for everyone else whatever the holders cannot cover.
    share = needs.sizes[pairs.need] / np.maximum(count[pairs.need], 1) if q is None else np.full(pairs.need.size, q)
    holder = np.zeros(pairs.need.size, dtype=bool)
    for r in range(max(map(len, needs.kinds), default=0)):
        holds = ((pairs.mask >> r) & 1) == 1
        holders = np.bincount(pairs.need[holds], minlength=n_needs)
        share[holds] = np.maximum(share[holds], 1.0 / holders[pairs.need[holds]])
        holder |= holds
    covered = np.bincount(pairs.need[holder], weights=np.minimum(1.0, share[holder]), minlength=n_needs)
    others = np.bincount(pairs.need[~holder], minlength=n_needs)
    rest = (needs.sizes - covered) / np.maximum(others, 1)
    share[~holder] = np.maximum(share[~holder], rest[pairs.need[~holder]])
    base = np.ceil(np.minimum(1.0, share) * UNIT - 1e-9)
    if q is not None:
        # Round q down so the cap honoured is never above the one asked for.
        base = np.where(share <= q + 1e-12, np.floor(q * UNIT + 1e-9), base)
    for factor in ladder:
        cap = np.full(base.size, UNIT) if factor is None else np.minimum(UNIT, np.ceil(base * factor - 1e-9))
        net = network.build_network(ctx.inst, ctx.departments[department_index], needs, pairs, cap.astype(np.int64), UNIT)
        flow = network.max_flow_values(net)
        if network.staffed_needs(net, flow, n_needs, UNIT).all():
            return CappedFlow(problem.key, net, flow)
    return None


def draw_teams(ctx: SolveContext, staffed: frozenset[int], dates: dict[int, int], dense: np.ndarray,
               capped_flows: dict[int, CappedFlow], fixed_teams: ExactResult | None) -> Draw:
    """Every staffed subject's members, department by department."""
    inst = ctx.inst
    members: dict[tuple[int, int], list[int]] = {}
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
                members[subject_index, department_index] = got
                parts.append((np.array(got, dtype=np.int64), np.full(len(got), subject_index), np.ones(len(got))))
                if department_index == inst.lead and subject_index in fixed.leader:
                    leader[subject_index] = fixed.leader[subject_index]
                seats += len(got)
                candidates_total += len(got)
            continue
        final = _round(ctx, department_index, capped)
        chosen = final[capped.net.pair_arc] == 1
        glob = ctx.departments[department_index].global_ids
        for subject_index, inspector_index in zip(needs.subjects[pairs.need[chosen]].tolist(), glob[pairs.insp[chosen]].tolist()):
            members.setdefault((subject_index, department_index), []).append(inspector_index)
        for j, inspector_index in _lead_seat_holders(problem, capped.net, final).items():
            leader[int(needs.subjects[j])] = int(glob[inspector_index])
        probability = capped.flow[capped.net.pair_arc] / UNIT
        positive = probability > 0
        parts.append((glob[pairs.insp[positive]], needs.subjects[pairs.need[positive]], probability[positive]))
        per_need = np.bincount(pairs.need[positive], minlength=needs.subjects.size)
        seats += int(needs.sizes.sum())
        candidates_total += int((per_need * needs.sizes).sum())
    inspector, subject, probability = (np.concatenate(column) for column in zip(*parts))
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


def _lead_seat_holders(problem: DepartmentProblem, net: network.Network, final: np.ndarray) -> dict[int, int]:
    """need → the inspector filling its may-lead seat (only where may-lead is a seat of its own)."""
    lead_position = problem.needs.position(network.LEAD)
    if (lead_position < 0).all():
        return {}
    pairs = problem.pairs
    hit = (final[net.route_arc] == 1) & (lead_position[pairs.need[net.route_pair]] == net.route_req)
    p = net.route_pair[hit]
    return dict(zip(pairs.need[p].tolist(), pairs.insp[p].tolist()))
