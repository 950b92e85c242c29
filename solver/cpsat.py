"""The whole stage-2 problem as one CP-SAT model: exact on every rule, used where flows cannot decide.

It serves three purposes: proving the maximum number of staffable subjects on small instances (the
flow heuristic across coupled departments is not always optimal), staffing a department whose
overlapping requirements the flow network cannot represent, and the "straightforward CP-SAT"
baseline of the benchmark. Runs single-threaded under a deterministic time budget so the result
does not depend on the machine's speed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .instance import TeamsInstance

if TYPE_CHECKING:  # imported where a model is built: loading CP-SAT (and pandas with it) takes a quarter second
    from ortools.sat.python import cp_model


@dataclass
class ExactResult:
    staffed: set[int] = field(default_factory=set)
    dates: dict[int, int] = field(default_factory=dict)  # subject → day index
    members: dict[tuple[int, int], list[int]] = field(default_factory=dict)  # (subject, dept) → inspectors
    leader: dict[int, int] = field(default_factory=dict)
    optimal: bool = False
    feasible: bool = False


def eligible(inst: TeamsInstance, subject: int, dept: int, day: int | None) -> list[int]:
    """Inspectors allowed on this need by department, recusal, capacity and (if given) the day."""
    out = []
    for i, insp in enumerate(inst.inspectors):
        if insp.department != dept or insp.capacity == 0 or (i, subject) in inst.conflicts:
            continue
        if day is not None and inst.days[day] in insp.unavailable:
            continue
        if day is None and inst.days and all(d in insp.unavailable for d in inst.days):
            continue
        out.append(i)
    return out


def solve_exact(inst: TeamsInstance, subjects: list[int], *, weights: dict[int, int] | None = None,
                fixed_dates: dict[int, int] | None = None, departments: set[int] | None = None,
                require_all: bool = False, hint: set[int] | None = None, random_seed: int = 0,
                deterministic_time: float | None = 20.0, wall_time: float | None = None,
                workers: int = 1) -> ExactResult:
    from ortools.sat.python import cp_model

    # --- data ---
    by_dept: dict[int, list[int]] = {}
    for i, insp in enumerate(inst.inspectors):
        by_dept.setdefault(insp.department, []).append(i)
    days = range(len(inst.days))

    # --- model ---
    model = cp_model.CpModel()
    y = {s: (model.new_constant(1) if require_all else model.new_bool_var(f"y{s}")) for s in subjects}
    z: dict[tuple[int, int], cp_model.IntVar] = {}
    if inst.days and fixed_dates is None:
        for s in subjects:
            for t in days:
                z[s, t] = model.new_bool_var(f"z{s}_{t}")
            model.add(sum(z[s, t] for t in days) == y[s])
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    leads: dict[int, list[tuple[int, cp_model.IntVar]]] = {}
    for s in subjects:
        day = fixed_dates.get(s) if fixed_dates is not None else None
        for need in inst.subjects[s].needs:
            if departments is not None and need.department not in departments:
                continue
            cand = eligible(inst, s, need.department, day)
            for i in cand:
                x[i, s] = model.new_bool_var(f"x{i}_{s}")
            # --- constraints: rule 1, size and tags ---
            model.add(sum(x[i, s] for i in cand) == need.size * y[s])
            for tag in need.tags:
                model.add(sum(x[i, s] for i in cand if tag in inst.inspectors[i].tags) >= y[s])
            # rule 4, the leader
            if inst.lead == need.department:
                leads[s] = []
                for i in cand:
                    if inst.inspectors[i].can_lead:
                        lv = model.new_bool_var(f"l{i}_{s}")
                        model.add_implication(lv, x[i, s])
                        leads[s].append((i, lv))
                model.add(sum(lv for _, lv in leads[s]) == y[s])
            # rule 5, availability on the chosen date
            if z:
                for i in cand:
                    for t in days:
                        if inst.days[t] in inst.inspectors[i].unavailable:
                            model.add_bool_or([x[i, s].Not(), z[s, t].Not()])
    # rule 3, capacity; rule 5, visits per day
    per_insp: dict[int, list[int]] = {}
    for i, s in x:
        per_insp.setdefault(i, []).append(s)
    for i, subs in per_insp.items():
        cap = inst.inspectors[i].capacity
        if cap is not None and cap < len(subs):
            model.add(sum(x[i, s] for s in subs) <= cap)
        if not inst.days or len(subs) <= inst.daily_capacity:
            continue
        for t in days:
            if inst.days[t] in inst.inspectors[i].unavailable:
                continue
            if fixed_dates is not None:
                on_day = [x[i, s] for s in subs if fixed_dates.get(s) == t]
            else:
                on_day = []
                for s in subs:
                    v = model.new_bool_var(f"v{i}_{s}_{t}")
                    model.add_bool_or([x[i, s].Not(), z[s, t].Not(), v])
                    on_day.append(v)
            if len(on_day) > inst.daily_capacity:
                model.add(sum(on_day) <= inst.daily_capacity)

    # --- objective ---
    if not require_all:
        model.maximize(sum((weights or {}).get(s, 1) * y[s] for s in subjects))
        if hint:
            for s in subjects:
                model.add_hint(y[s], s in hint)

    # --- solve ---
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = random_seed
    if deterministic_time is not None:
        solver.parameters.max_deterministic_time = deterministic_time
    if wall_time is not None:
        solver.parameters.max_time_in_seconds = wall_time
    status = solver.solve(model)

    # --- read back ---
    result = ExactResult(optimal=status == cp_model.OPTIMAL,
                         feasible=status in (cp_model.OPTIMAL, cp_model.FEASIBLE))
    if not result.feasible:
        return result
    for s in subjects:
        if solver.boolean_value(y[s]) if not require_all else True:
            result.staffed.add(s)
    for (s, t), var in z.items():
        if solver.boolean_value(var):
            result.dates[s] = t
    if fixed_dates is not None:
        result.dates.update({s: t for s, t in fixed_dates.items() if s in result.staffed})
    for (i, s), var in x.items():
        if s in result.staffed and solver.boolean_value(var):
            result.members.setdefault((s, inst.inspectors[i].department), []).append(i)
    for s, options in leads.items():
        for i, lv in options:
            if solver.boolean_value(lv):
                result.leader[s] = i
    return result

