"""Phase A: which subjects are staffed (and on which date). Staffing as many as possible comes first.

A subject is staffed only when every department it needs staffs it, so departments are coupled
through the subjects; with `days` also through the date (a team visits on one date).

1. **Flow rounds.** Each subject first gets a date (`dates.assign_dates`). With dates fixed the
   departments are independent, and each solves an integral max flow, later with priorities (subjects
   already fully staffed first, then those staffed in more departments, then the seeded rank).
   Subjects that fail anywhere get another date, windowed candidates are widened, and the round
   repeats while the staffed count grows. This settles the common case where everyone is staffed.
2. **Without dates, the joint model** (`joint.py`) decides the staffed counts for all departments at
   once where the first round falls short, and bounds what any assignment can staff (the further
   rounds run only where the model is too large to build).
3. **With dates**, the best of the rounds and a naive date-first schedule is repaired (`dates.py`);
   where subjects are still left out, the day-choice MIP (`day_choice.py`) proposes dates (its LP
   relaxation also bounds what any schedule can staff), the flows check them and the repair
   completes them; the counting model in `joint.py` is the fallback where the MIP is too large.
4. On tiny instances a CP-SAT model of the whole problem confirms or improves the count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import day_choice, joint, network
from .common import generator
from .context import DepartmentProblem, SolveContext
from .cpsat import ExactResult, solve_exact
from .dates import assign_dates, date_first, repair
from .drawing import CappedFlow, capped_fraction
from .screening import Screening

ROUNDS = 6
EXACT_PAIR_LIMIT = 3000  # instances this small get the CP-SAT confirmation of the maximum
EXACT_DEPARTMENT_PAIRS = 100_000  # a department this small is checked by CP-SAT where its network is not exact


@dataclass(frozen=True)
class Staffing:
    staffed: frozenset[int]
    dates: dict[int, int]  # staffed subject → day index (empty without dates)
    dense: np.ndarray  # [department, subject]: the need sees all its candidates, not a window
    capped_flows: dict[int, CappedFlow]  # department → the first round's capped flow, for phase B to reuse
    fixed_teams: ExactResult | None  # teams found on the way, for departments a flow cannot represent
    upper_bound: int | None  # no assignment staffs more; None where no model bounded it


@dataclass(frozen=True)
class FlowRounds:
    staffed: frozenset[int]
    dates: dict[int, int]
    dense: np.ndarray
    capped_flows: dict[int, CappedFlow]


def choose_staffed(ctx: SolveContext, screening: Screening) -> Staffing:
    inst = ctx.inst
    candidates = list(screening.candidates)
    # Without dates one round settles the common case (everyone staffed); the joint model does the rest.
    rounds = flow_rounds(ctx, screening, max_rounds=ROUNDS if inst.days else 1)
    staffed, dates, dense, fixed, bound = set(rounds.staffed), rounds.dates, rounds.dense, None, None
    if len(staffed) < len(candidates):
        if inst.days:
            staffed, dates, fixed, bound = dated_staffing(ctx, screening, rounds)
        else:
            staffed, bound = joint_staffing(ctx, candidates, staffed)
            if bound is None:  # the model was too large to build: all the flow rounds, as before it
                rounds = flow_rounds(ctx, screening)
                staffed, dense = set(rounds.staffed), rounds.dense
            else:
                dense = ctx.all_dense()  # the set was checked with every candidate: draw with every candidate
    proven = bound is not None and len(staffed) >= bound
    if len(staffed) < len(candidates) and not proven and _pair_count(ctx, candidates) <= EXACT_PAIR_LIMIT:
        full = solve_exact(inst, candidates, hint=staffed,
                           random_seed=int(generator(inst.seed, "exact").integers(0, 1 << 30)))
        if full.feasible and len(full.staffed) > len(staffed):
            staffed, dates, fixed = set(full.staffed), dict(full.dates), full
    return Staffing(frozenset(staffed), dates, dense, rounds.capped_flows, fixed, bound)


def _pair_count(ctx: SolveContext, candidates: list[int]) -> int:
    """How many (need, inspector, day) triples the whole CP-SAT model would have."""
    inst = ctx.inst
    return sum(ctx.departments[n.department].global_ids.size
               for subject_index in candidates for n in inst.subjects[subject_index].needs) * max(1, len(inst.days))


# --- 1. flow rounds ---------------------------------------------------------------------------

def flow_rounds(ctx: SolveContext, screening: Screening, max_rounds: int = ROUNDS) -> FlowRounds:
    inst = ctx.inst
    candidates = list(screening.candidates)
    n = len(inst.subjects)
    dates = assign_dates(ctx, candidates, screening.feasible_days) if inst.days else {}
    best: set[int] = set()
    best_dates = dict(dates)
    staffed_in = None  # per subject, in how many departments the last round staffed it (none before the first)
    dense = np.zeros((len(ctx.departments), n), dtype=bool)
    tried: dict[int, set[int]] = {}
    settled: dict[int, bytes] = {}  # department → the problem key it staffed entirely
    capped_flows: dict[int, CappedFlow] = {}
    cand = np.array(sorted(candidates), dtype=np.int64)
    for _ in range(max_rounds):
        ok_in, failed = _one_round(ctx, cand, dates, dense, settled, capped_flows,
                                   None if staffed_in is None else (best, staffed_in))
        full = set(cand[ok_in[cand] == ctx.need_count[cand]].tolist())
        improved = len(full) > len(best)
        if improved:
            best, best_dates = full, dict(dates)
        if len(best) == len(candidates):
            break
        staffed_in = ok_in
        widened = [(subject_index, department_index) for subject_index, department_index in failed
                   if not dense[department_index, subject_index]]
        for subject_index, department_index in widened:
            dense[department_index, subject_index] = True
        moved = False
        if inst.days:
            for subject_index in candidates:
                if subject_index not in best:
                    tried.setdefault(subject_index, set()).add(dates[subject_index])
            keep = {subject_index: best_dates[subject_index] for subject_index in best}
            new_dates = assign_dates(ctx, candidates, screening.feasible_days, avoid=tried, keep=keep)
            moved = new_dates != dates
            dates = new_dates
        if not (improved or widened or moved):
            break
    staffed_dates = {subject_index: best_dates[subject_index] for subject_index in best} if inst.days else {}
    return FlowRounds(frozenset(best), staffed_dates, dense, capped_flows)


def _one_round(ctx: SolveContext, cand: np.ndarray, dates: dict[int, int], dense: np.ndarray,
               settled: dict[int, bytes], capped_flows: dict[int, CappedFlow],
               priorities: tuple[set[int], np.ndarray] | None) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Every department's flow on the candidates: per subject in how many it is staffed, and the
    (subject, department) pairs that failed. The first round (no priorities) tries the capped flow
    of phase B: when it staffs every need (the usual case) the department is settled and phase B
    reuses the flow (`capped_flows`)."""
    ok_in = np.zeros(len(ctx.inst.subjects), dtype=np.int64)
    failed: list[tuple[int, int]] = []
    day_of = ctx.day_array(dates)
    for department_index in range(len(ctx.departments)):
        mine, key = ctx.problem_key(department_index, cand, day_of, dense)
        if settled.get(department_index) == key:
            # This department staffed all these needs last round; the same problem needs no re-solve.
            ok_in[mine] += 1
            continue
        problem = ctx.department_problem(department_index, cand, day_of, dense)
        if problem.needs.subjects.size == 0:
            continue
        if priorities is None:
            capped = capped_fraction(ctx, department_index, problem, rungs=1)
            if capped is not None:
                capped_flows[department_index] = capped
                settled[department_index] = key
                ok_in[problem.needs.subjects] += 1
                continue
        ok = _staffed_in_department(ctx, department_index, problem, priorities)
        if ok.all():
            settled[department_index] = key
        ok_in[problem.needs.subjects[ok]] += 1
        failed.extend((int(subject_index), department_index) for subject_index in problem.needs.subjects[~ok])
    return ok_in, failed


def _staffed_in_department(ctx: SolveContext, department_index: int, problem: DepartmentProblem,
                           priorities: tuple[set[int], np.ndarray] | None) -> np.ndarray:
    """Per need, whether the department's integral flow staffs it; with priorities (the best staffed
    set so far, and in how many departments each subject was staffed last round), a min-cost flow
    keeps the staffed subjects, then favours those staffed in more departments. Node order is already
    seeded-random, so ties need no random costs (small costs solve fast)."""
    needs = problem.needs
    if priorities is None:
        net, flow = ctx.integral_flow(department_index, problem)
    else:
        best, staffed_in = priorities
        net = network.build_network(ctx.inst, ctx.departments[department_index], needs, problem.pairs,
                               np.ones(problem.pairs.need.size, dtype=np.int64), 1)
        in_best = np.array([subject_index in best for subject_index in needs.subjects.tolist()], dtype=bool)
        flow = network.priority_flow_values(net, np.where(in_best, len(ctx.departments) + 2, staffed_in[needs.subjects]))
    return network.staffed_needs(net, flow, needs.subjects.size, 1)


# --- 2. without dates: the joint model ----------------------------------------------------------

def joint_staffing(ctx: SolveContext, candidates: list[int], staffed: set[int]) -> tuple[set[int], int | None]:
    """The joint model's staffed set if it staffs more than `staffed`, and its upper bound."""
    inst = ctx.inst
    groups = joint.subject_groups(inst, candidates)
    hint = [sum(subject_index in staffed for subject_index in g.subjects) for g in groups]
    choice = joint.choose_staffed_counts(inst, groups, hint,
                                         random_seed=int(generator(inst.seed, "joint").integers(0, 1 << 30)))
    if choice is None:
        return staffed, None
    realized = realize(ctx, groups, choice)
    return (realized if len(realized) > len(staffed) else staffed), min(len(candidates), choice.upper_bound)


def realize(ctx: SolveContext, groups: list[joint.SubjectGroup], choice: joint.JointChoice) -> set[int]:
    """Concrete subjects for the model's counts: each group's in seeded order, fewest recusals first;
    those the exact per-department check cannot staff are replaced by the group's next."""
    waiting = [sorted(group.subjects,
                      key=lambda subject_index: (len(ctx.recused(subject_index)), -ctx.subject_rank[subject_index]))
               for group in groups]
    chosen: set[int] = set()
    wanted = list(choice.staffed_per_group)
    for _ in range(ROUNDS):
        for k, order in enumerate(waiting):
            while wanted[k] > 0 and order:
                chosen.add(order.pop(0))
                wanted[k] -= 1
        failed = unstaffable(ctx, chosen)
        if not failed:
            break
        chosen -= failed
        for k, group in enumerate(groups):
            wanted[k] += len(failed.intersection(group.subjects))
    return chosen


def unstaffable(ctx: SolveContext, subjects: set[int]) -> set[int]:
    """The subjects among these that some department cannot staff together with the others."""
    return set(subjects) - staffable_teams(ctx, subjects, {}).staffed


def staffable_teams(ctx: SolveContext, subjects, dates: dict[int, int]) -> ExactResult:
    """The subjects among these that every department can staff together (on these dates, where the
    problem has dates), with teams: each department's integral flow, and where its network cannot see
    every team (overlapping requirements) and falls short, the exact model of that department."""
    inst = ctx.inst
    array = np.array(sorted(subjects), dtype=np.int64)
    day_of, dense = ctx.day_array(dates), ctx.all_dense()
    members: dict[tuple[int, int], list[int]] = {}
    failed: set[int] = set()
    for department_index in range(len(ctx.departments)):
        problem = ctx.department_problem(department_index, array, day_of, dense)
        needs = problem.needs
        if needs.subjects.size == 0:
            continue
        net, flow = ctx.integral_flow(department_index, problem)
        ok = network.staffed_needs(net, flow, needs.subjects.size, 1)
        if not ok.all() and not needs.exact.all() and problem.pairs.need.size <= EXACT_DEPARTMENT_PAIRS:
            # The network sees only some teams of overlapping requirements: ask the exact model.
            exact = solve_exact(inst, sorted(needs.subjects.tolist()), departments={department_index},
                                fixed_dates=dates if inst.days else None, hint=set(needs.subjects.tolist()))
            ok = np.isin(needs.subjects, sorted(exact.staffed))
            members.update(exact.members)
        else:
            chosen = flow[net.pair_arc] == 1
            glob = ctx.departments[department_index].global_ids
            for subject_index, inspector_index in zip(needs.subjects[problem.pairs.need[chosen]].tolist(),
                                                      glob[problem.pairs.insp[chosen]].tolist()):
                members.setdefault((subject_index, department_index), []).append(inspector_index)
        failed.update(needs.subjects[~ok].tolist())
    staffed = set(subjects) - failed
    staffed_dates = {subject_index: dates[subject_index] for subject_index in staffed} if dates else {}
    staffed_members = {key: team for key, team in members.items() if key[0] in staffed}
    return ExactResult(staffed=staffed, dates=staffed_dates, feasible=True, members=staffed_members)


# --- 3. with dates --------------------------------------------------------------------------------

def dated_staffing(ctx: SolveContext, screening: Screening,
                   rounds: FlowRounds) -> tuple[set[int], dict[int, int], ExactResult | None, int | None]:
    """The best of the flow rounds and a naive date-first schedule, repaired (left-out subjects put in
    where one staffed subject can move to another of its dates), then improved from the dates the
    day-choice MIP proposes (and, failing that, the counting model). Never fewer than the rounds or the
    naive schedule. Returns (staffed, dates, teams where they are fixed, or None to keep the rounds'
    choice, and the relaxation's upper bound where the model was built)."""
    inst = ctx.inst
    order = ctx.in_seeded_order(screening.candidates)
    feasible = {subject_index: screening.feasible_days[subject_index] for subject_index in screening.candidates}
    by_rounds = ExactResult(staffed=set(rounds.staffed), dates=dict(rounds.dates), feasible=True,
                            members=ctx.some_members(rounds.staffed, rounds.dates))
    naive = date_first(inst, order, feasible)
    start = max((by_rounds, naive), key=lambda option: len(option.staffed))  # the first of equals: the rounds
    best = repair(inst, start, order, feasible)
    options = [(subject_index, day_index) for subject_index in order for day_index in feasible[subject_index]]
    bound = None
    if len(best.staffed) < len(order) and day_choice.share_count(inst, options) <= day_choice.SHARE_LIMIT:
        relaxation = day_choice.relax(inst, options)
        if relaxation is not None:
            bound = min(len(order), relaxation.upper_bound)
            best = _improved_by_mip(ctx, best, relaxation, options, order, feasible)
    if len(best.staffed) < (len(order) if bound is None else bound) \
            and joint.dated_model_terms(inst, feasible) <= joint.DATES_TERM_LIMIT:  # larger ones take too long
        proposed = joint.choose_dates(inst, feasible, best.dates,
                                      random_seed=int(generator(inst.seed, "dates").integers(0, 1 << 30)))
        if proposed is not None:
            best = max((best, _completed(ctx, proposed, order, feasible)), key=lambda option: len(option.staffed))
    if len(best.staffed) == len(rounds.staffed):
        return set(rounds.staffed), rounds.dates, None, bound
    return set(best.staffed), dict(best.dates), best, bound


def _improved_by_mip(ctx: SolveContext, best: ExactResult, relaxation: day_choice.Relaxation,
                     options: list[tuple[int, int]], order: list[int],
                     feasible: dict[int, tuple[int, ...]]) -> ExactResult:
    """The day-choice MIP over the relaxation's support and the best schedule's days, completed; the
    better of that and `best` (the first of equals: `best`)."""
    if len(best.staffed) >= min(len(order), relaxation.upper_bound):
        return best
    wanted = relaxation.support | set(best.dates.items())
    proposed = day_choice.choose_days(ctx.inst, [option for option in options if option in wanted],
                                      random_seed=int(generator(ctx.inst.seed, "days").integers(0, 1 << 30)))
    if proposed is None:
        return best
    return max((best, _completed(ctx, proposed, order, feasible)), key=lambda option: len(option.staffed))


def _completed(ctx: SolveContext, proposed: dict[int, int], order: list[int],
               feasible: dict[int, tuple[int, ...]]) -> ExactResult:
    """The proposed dates less the subjects no department's teams can staff on them, repaired."""
    return repair(ctx.inst, staffable_teams(ctx, proposed, proposed), order, feasible)
