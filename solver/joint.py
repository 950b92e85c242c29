"""Which subjects are staffed, without dates: a compact joint model of all departments, solved by CP-SAT.

A subject counts only when every department it needs staffs it, so the departments are coupled:
per-department flows may spend a scarce department's capacity on subjects another department then
cannot staff. This model decides the staffed set for all departments at once, in counts instead of
individual inspectors, which keeps it small enough to solve to (near) optimality in a fraction of a
second even for thousands of subjects:

- A department's inspectors fall into **types**: those holding the same requirements (the tags its
  needs ask for, and "may lead" in the lead department). A type's capacity is its members' total.
- A need's **form** is its size and requirements; subjects with the same forms in every department
  form a **group**, of which the model staffs a number (`staffed[group]`).
- A form is staffed by **patterns**: multisets of `size` requirement classes (what a member holds of
  the form's requirements) that cover every requirement, no class used more often than it has
  members. One member may cover two requirements, so overlapping requirements are exact here.
- Each class's seats in the chosen patterns are spread over the types in that class (`usage`), and a
  type's usage over all forms stays within its capacity.

Every valid assignment of the real problem gives a solution of the model (recusal is ignored, and
members of a type are pooled), so the model's optimum is an **upper bound** on how many subjects any
assignment can staff. The model's staffed counts are then made concrete (`realize` in teams.py): the
subjects of each group taken in seeded order, fewest recusals first, checked department by department
with the exact flows; the few a pooled type or a recusal cannot serve after all are dropped.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .instance import TeamsInstance
from .network import LEAD

if TYPE_CHECKING:  # imported where a model is built: loading CP-SAT (and pandas with it) takes a quarter second
    from ortools.sat.python import cp_model

PATTERN_LIMIT = 20_000  # more patterns than this over all forms: the model is not built
DATES_DETERMINISTIC_TIME = 2.0
DATES_TERM_LIMIT = 300_000  # a counting model with more terms than this is not built (its solve is too slow)
DETERMINISTIC_TIME = 5.0  # CP-SAT's deterministic time budget (seconds of its own clock, not the host's)


@dataclass(frozen=True)
class NeedForm:
    """A need's size and requirements (its tags, plus may-lead in the lead department)."""
    department: int
    size: int
    requirements: frozenset[str]


@dataclass(frozen=True)
class InspectorType:
    """The inspectors of one department holding the same requirements, pooled."""
    department: int
    holds: frozenset[str]
    members: int
    capacity: int  # the members' total capacity (unlimited counts as one visit per need)


@dataclass(frozen=True)
class SubjectGroup:
    """Subjects whose needs have the same forms; the model staffs a number of them."""
    forms: tuple[NeedForm, ...]
    subjects: tuple[int, ...]


@dataclass(frozen=True)
class JointChoice:
    """The model's answer: how many of each group to staff, and what no assignment can exceed."""
    staffed_per_group: tuple[int, ...]  # in the order of the groups given
    upper_bound: int
    proven_optimal: bool


def holds_requirement(inspector, requirement: str) -> bool:
    return inspector.can_lead if requirement == LEAD else requirement in inspector.tags


def need_forms(inst: TeamsInstance, subject: int) -> tuple[NeedForm, ...]:
    lead = (LEAD,) if inst.lead is not None else ()
    return tuple(sorted(
        (NeedForm(n.department, n.size, frozenset(n.tags + (lead if n.department == inst.lead else ())))
         for n in inst.subjects[subject].needs),
        key=lambda f: (f.department, f.size, sorted(f.requirements))))


def subject_groups(inst: TeamsInstance, subjects: list[int]) -> list[SubjectGroup]:
    by_forms: dict[tuple[NeedForm, ...], list[int]] = {}
    for subject_index in subjects:
        by_forms.setdefault(need_forms(inst, subject_index), []).append(subject_index)
    return [SubjectGroup(forms, tuple(members)) for forms, members in by_forms.items()]


def inspector_types(inst: TeamsInstance, department: int, requirements: frozenset[str],
                    unlimited: int) -> list[InspectorType]:
    """The department's inspectors able to take a visit, pooled by the requirements they hold."""
    members: Counter = Counter()
    capacity: Counter = Counter()
    for insp in inst.inspectors:
        if insp.department != department or insp.capacity == 0:
            continue
        holds = frozenset(r for r in requirements if holds_requirement(insp, r))
        members[holds] += 1
        capacity[holds] += unlimited if insp.capacity is None else min(insp.capacity, unlimited)
    return [InspectorType(department, holds, members[holds], capacity[holds])
            for holds in sorted(members, key=sorted)]


def patterns(form: NeedForm, class_sizes: dict[frozenset[str], int]) -> list[tuple[frozenset[str], ...]]:
    """Every multiset of `size` classes covering all the form's requirements, within the classes' sizes."""
    out = []
    for combo in itertools.combinations_with_replacement(sorted(class_sizes, key=sorted), form.size):
        counts = Counter(combo)
        if any(n > class_sizes[c] for c, n in counts.items()):
            continue
        if frozenset().union(*combo) >= form.requirements:
            out.append(combo)
    return out


@dataclass(frozen=True)
class ModelData:
    """What the joint model is built from: the need forms, each department's types, each form's patterns."""
    forms: list[NeedForm]
    needs_of_form: Counter
    types: dict[int, list[InspectorType]]
    patterns: dict[NeedForm, list[tuple[frozenset[str], ...]]]


def model_data(inst: TeamsInstance, groups: list[SubjectGroup]) -> ModelData | None:
    """None when the forms have more patterns than PATTERN_LIMIT all together."""
    forms = sorted({f for g in groups for f in g.forms}, key=lambda f: (f.department, f.size, sorted(f.requirements)))
    needs_of_form = Counter(f for g in groups for f in g.forms for _ in g.subjects)
    types = {}
    for department_index in sorted({f.department for f in forms}):
        requirements = frozenset().union(*(f.requirements for f in forms if f.department == department_index))
        unlimited = sum(n for f, n in needs_of_form.items() if f.department == department_index)
        types[department_index] = inspector_types(inst, department_index, requirements, unlimited)
    pattern_sets = {}
    for form in forms:
        class_sizes: Counter = Counter()
        for t in types[form.department]:
            class_sizes[t.holds & form.requirements] += t.members
        pattern_sets[form] = patterns(form, class_sizes)
        if sum(map(len, pattern_sets.values())) > PATTERN_LIMIT:
            return None
    return ModelData(forms, needs_of_form, types, pattern_sets)


def choose_staffed_counts(inst: TeamsInstance, groups: list[SubjectGroup], hint: list[int],
                          random_seed: int) -> JointChoice | None:
    """Solve the joint model; None when it would be too large to build (see PATTERN_LIMIT)."""
    data = model_data(inst, groups)
    if data is None:
        return None
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    staffed = [model.new_int_var(0, len(g.subjects), f"staffed{k}") for k, g in enumerate(groups)]
    staffed_of_form = {f: [] for f in data.forms}
    for k, g in enumerate(groups):
        if any(not data.patterns[f] for f in g.forms):
            model.add(staffed[k] == 0)
        for f in g.forms:
            staffed_of_form[f].append(staffed[k])
    type_usage: dict[InspectorType, list] = {t: [] for types in data.types.values() for t in types}
    for n_form, form in enumerate(data.forms):
        for t, var in _staff_form(model, data, n_form, form, sum(staffed_of_form[form])):
            type_usage[t].append(var)
    for t, usage in type_usage.items():
        if usage:
            model.add(sum(usage) <= t.capacity)
    model.maximize(sum(staffed))
    for var, value in zip(staffed, hint):
        model.add_hint(var, value)

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1  # one worker and a deterministic budget: the same answer on any machine
    solver.parameters.random_seed = random_seed
    solver.parameters.max_deterministic_time = DETERMINISTIC_TIME
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return JointChoice(
        staffed_per_group=tuple(int(solver.value(v)) for v in staffed),
        upper_bound=int(math.floor(solver.best_objective_bound + 1e-6)),
        proven_optimal=status == cp_model.OPTIMAL,
    )


def _staff_form(model: cp_model.CpModel, data: ModelData, n_form: int, form: NeedForm,
                staffed: cp_model.LinearExpr) -> list[tuple[InspectorType, cp_model.IntVar]]:
    """The staffed needs of a form take one pattern each; each class's seats are spread over its
    types. Returns each type's usage variable."""
    bound = data.needs_of_form[form]
    chosen = [model.new_int_var(0, bound, f"pattern{n_form}_{p}") for p in range(len(data.patterns[form]))]
    model.add(sum(chosen) == staffed)
    seats_of_class: dict[frozenset[str], list] = {}
    for var, pattern in zip(chosen, data.patterns[form]):
        for cls, n in Counter(pattern).items():
            seats_of_class.setdefault(cls, []).append(n * var)
    usage = []
    for cls, seats in seats_of_class.items():
        in_class = [t for t in data.types[form.department] if t.holds & form.requirements == cls]
        spread = [model.new_int_var(0, min(t.capacity, bound * form.size), f"usage{n_form}_{m}")
                  for m, t in enumerate(in_class)]
        model.add(sum(spread) == sum(seats))
        usage.extend(zip(in_class, spread))
    return usage


def dated_model_terms(inst: TeamsInstance, feasible_days: dict[int, list[int]]) -> int:
    """How many terms `choose_dates` would write: each (subject, day) once per seat count it enters
    (every seat, and each requirement) and per run of days holding the day."""
    n_days = len(inst.days)
    runs_through = [(t + 1) * (n_days - t) for t in range(n_days)]
    lead = 1 if inst.lead is not None else 0
    terms = 0
    for subject_index, days in feasible_days.items():
        counts = sum(1 + len(n.tags) + (lead if n.department == inst.lead else 0) for n in inst.subjects[subject_index].needs)
        terms += counts * sum(runs_through[t] for t in days)
    return terms


def choose_dates(inst: TeamsInstance, feasible_days: dict[int, list[int]], hint: dict[int, int],
                 random_seed: int) -> dict[int, int] | None:
    """Dates for as many subjects as a counting model allows: per department and per run of days, the
    seats asked for stay within what its inspectors can give on those days (capacity and daily
    capacity), also counted for each requirement's holders. The flows then staff the dated subjects;
    the model only sees counts, so it proposes, the flows decide. None if CP-SAT finds nothing."""
    n_days = len(inst.days)
    lead = (LEAD,) if inst.lead is not None else ()
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    on_day = {(subject_index, t): model.new_bool_var(f"z{subject_index}_{t}")
              for subject_index, days in feasible_days.items() for t in days}
    for subject_index, days in feasible_days.items():
        model.add_at_most_one(on_day[subject_index, t] for t in days)
    runs = [range(a, b) for a in range(n_days) for b in range(a + 1, n_days + 1)]
    departments = sorted({n.department for subject_index in feasible_days for n in inst.subjects[subject_index].needs})
    for department_index in departments:
        members = [insp for insp in inst.inspectors if insp.department == department_index and insp.capacity != 0]
        asks: dict[str | None, list[tuple[int, int, int]]] = {}  # requirement (None: any seat) → (s, size)
        for subject_index in feasible_days:
            for n in inst.subjects[subject_index].needs:
                if n.department == department_index:
                    asks.setdefault(None, []).append((subject_index, n.size))
                    for r in n.tags + (lead if department_index == inst.lead else ()):
                        asks.setdefault(r, []).append((subject_index, 1))
        for requirement, wanted in asks.items():
            holders = [insp for insp in members if requirement is None or holds_requirement(insp, requirement)]
            for run in runs:
                days = [inst.days[t] for t in run]
                supply = sum(min(insp.capacity if insp.capacity is not None else 1 << 30,
                                 inst.daily_capacity * sum(day not in insp.unavailable for day in days))
                             for insp in holders)
                terms = [size * on_day[subject_index, t]
                         for subject_index, size in wanted for t in run if (subject_index, t) in on_day]
                if terms:
                    model.add(sum(terms) <= supply)
    model.maximize(sum(on_day.values()))
    for (subject_index, t), var in on_day.items():
        model.add_hint(var, hint.get(subject_index) == t)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = random_seed
    solver.parameters.max_deterministic_time = DATES_DETERMINISTIC_TIME
    solver.parameters.cp_model_probing_level = 0  # probing costs more than it saves on this model
    if solver.solve(model) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return {subject_index: t for (subject_index, t), var in on_day.items() if solver.boolean_value(var)}
