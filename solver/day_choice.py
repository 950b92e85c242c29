"""Dates for as many subjects as possible: a MIP in which only the choice of day is integral.

For every candidate subject s and feasible day t, `on_day[s, t]` ∈ {0, 1} (at most one day per subject).
Every inspector i allowed on a need of s on day t (its department, available that day, not recused,
capacity not 0) gets a continuous share `share[i, s, t]` ∈ [0, 1]:

- per need: the shares sum to its size × on_day[s, t]; for each of its requirements (tags, and
  "may lead" in the lead department) the holders' shares sum to at least on_day[s, t] (a share need
  not stay below on_day[s, t]: that holds anyway once on_day is integral, and the rows would double
  the LP for a bound that is no better on the instances measured);
- per inspector and day: shares sum to at most `daily_capacity`; per inspector: at most `capacity`.

Maximise the number of subjects given a day. With the days fixed each department is a flow problem,
integral wherever a flow represents the needs' requirements (the contract's condition), so an
integral choice of days comes with integral teams; the per-department flows check every proposal
(`staffing.py`), and the repair in `dates.py` completes it. Every valid schedule is a solution of
this model, so its LP relaxation bounds what any schedule can staff.

Two solves, both deterministic (one thread, no time limits, a node limit instead):
1. the **relaxation** (GLOP) over every feasible (subject, day): its optimum is the upper bound, and
   the days it gives a positive value are where good schedules lie;
2. the **MIP** (HiGHS) over those days and the days of the best schedule so far (so that schedule is
   among its solutions). Variables are created in the seeded subject order and HiGHS gets a seeded
   random seed, so which of the maximum schedules comes out depends on the seed alone. HiGHS gets no
   start: OR-Tools 9.15 hands it hints through a zero-length vector and crashes; the caller keeps the
   better of the MIP's schedule and the one it had, so the MIP never makes things worse.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .instance import Need, TeamsInstance
from .joint import holds_requirement
from .network import LEAD

if TYPE_CHECKING:  # imported where a model is built, like CP-SAT: most solves never build one
    from ortools.linear_solver import pywraplp

SHARE_LIMIT = 120_000  # a model with more inspector shares than this is not built (too slow to solve)
MIP_NODE_LIMIT = 200  # HiGHS branch-and-bound nodes: a deterministic budget (the planted instances need 1)


@dataclass(frozen=True)
class Relaxation:
    """The LP relaxation's answer."""
    upper_bound: int  # no schedule staffs more subjects
    support: frozenset[tuple[int, int]]  # (subject, day) pairs with a positive value


@dataclass(frozen=True)
class _Model:
    solver: pywraplp.Solver
    on_day: dict[tuple[int, int], pywraplp.Variable]


def present_by_day(inst: TeamsInstance) -> dict[tuple[int, int], list[int]]:
    """(department, day) → its inspectors available that day with a capacity above 0."""
    present: dict[tuple[int, int], list[int]] = {}
    for inspector_index, insp in enumerate(inst.inspectors):
        if insp.capacity == 0:
            continue
        for day_index, day in enumerate(inst.days):
            if day not in insp.unavailable:
                present.setdefault((insp.department, day_index), []).append(inspector_index)
    return present


def share_count(inst: TeamsInstance, options: list[tuple[int, int]]) -> int:
    """How many inspector shares the model over these (subject, day) options has (recusal aside)."""
    present = present_by_day(inst)
    return sum(len(present.get((need.department, day_index), ()))
               for subject_index, day_index in options for need in inst.subjects[subject_index].needs)


def relax(inst: TeamsInstance, options: list[tuple[int, int]]) -> Relaxation | None:
    """The LP relaxation over these options; None if GLOP does not reach an optimum."""
    from ortools.linear_solver import pywraplp

    model = _build(inst, options, "GLOP")
    if model.solver.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    value = model.solver.Objective().Value()
    support = frozenset(option for option, var in model.on_day.items() if var.solution_value() > 1e-6)
    return Relaxation(upper_bound=int(math.floor(value + 1e-6)), support=support)


def choose_days(inst: TeamsInstance, options: list[tuple[int, int]], random_seed: int) -> dict[int, int] | None:
    """Subject → day for as many subjects as the MIP over these options finds; None if it finds nothing."""
    from ortools.linear_solver import pywraplp

    model = _build(inst, options, "HIGHS")
    # HiGHS options, one line, no trailing newline (OR-Tools reads an empty line's first character);
    # its banner and log would go to standard output, where the result goes.
    model.solver.SetSolverSpecificParametersAsString(
        f"output_flag=false,log_to_console=false,threads=1,random_seed={random_seed},mip_max_nodes={MIP_NODE_LIMIT}")
    if model.solver.Solve() not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        return None
    return {subject_index: day_index for (subject_index, day_index), var in model.on_day.items()
            if var.solution_value() > 0.5}


def _build(inst: TeamsInstance, options: list[tuple[int, int]], backend: str) -> _Model:
    """The model over these (subject, day) options, in their order; continuous days for GLOP."""
    from ortools.linear_solver import pywraplp

    solver = pywraplp.Solver.CreateSolver(backend)
    integral = backend != "GLOP"
    on_day = {option: solver.IntVar(0, 1, "") if integral else solver.NumVar(0, 1, "") for option in options}
    days_of: dict[int, list[pywraplp.Variable]] = {}
    for (subject_index, _), var in on_day.items():
        days_of.setdefault(subject_index, []).append(var)
    for variables in days_of.values():
        if len(variables) > 1:
            solver.Add(solver.Sum(variables) <= 1)
    present = present_by_day(inst)
    by_inspector_day: dict[tuple[int, int], list[pywraplp.Variable]] = {}
    by_inspector: dict[int, list[pywraplp.Variable]] = {}
    for (subject_index, day_index), var in on_day.items():
        for need in inst.subjects[subject_index].needs:
            allowed = [inspector_index for inspector_index in present.get((need.department, day_index), ())
                       if (inspector_index, subject_index) not in inst.conflicts]
            shares = _staff_need(solver, inst, need, allowed, var)
            for inspector_index, share in zip(allowed, shares):
                by_inspector_day.setdefault((inspector_index, day_index), []).append(share)
                by_inspector.setdefault(inspector_index, []).append(share)
    for shares in by_inspector_day.values():
        if len(shares) > inst.daily_capacity:
            solver.Add(solver.Sum(shares) <= inst.daily_capacity)
    for inspector_index, shares in by_inspector.items():
        capacity = inst.inspectors[inspector_index].capacity
        if capacity is not None and len(shares) > capacity:
            solver.Add(solver.Sum(shares) <= capacity)
    solver.Maximize(solver.Sum(list(on_day.values())))
    return _Model(solver, on_day)


def _staff_need(solver: pywraplp.Solver, inst: TeamsInstance, need: Need, allowed: list[int],
                on_day: pywraplp.Variable) -> list[pywraplp.Variable]:
    """The shares of the allowed inspectors in one need on one day: `size` seats, each requirement held."""
    shares = [solver.NumVar(0, 1, "") for _ in allowed]
    solver.Add(solver.Sum(shares) == need.size * on_day)
    requirements = need.tags + ((LEAD,) if need.department == inst.lead else ())
    for requirement in requirements:
        holders = [share for inspector_index, share in zip(allowed, shares)
                   if holds_requirement(inst.inspectors[inspector_index], requirement)]
        solver.Add(solver.Sum(holders) >= on_day)
    return shares
