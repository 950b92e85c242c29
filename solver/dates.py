"""Dates: the balancing first guess, a naive date-first schedule, and the repair of a schedule.

`assign_dates` gives each subject the feasible day where its departments are least loaded (the flow
rounds start from it). `date_first` is the naive schedule, the floor the dated staffing never falls
below. `repair` puts left-out subjects in, moving one staffed subject to another date where needed.

The naive schedule takes, subject by subject in the seeded order, the first date every department can staff it on with the
inspectors still free that day, each team filled first-fit (a holder for each requirement, then
anyone). It stops at nothing clever, so it is quick and predictable; the solver staffs at least as
many subjects as this does, because it keeps the better of this and its own schedule.
"""

from __future__ import annotations

import numpy as np

from .context import SolveContext
from .cpsat import ExactResult
from .instance import TeamsInstance
from .network import LEAD


def supply(ctx: SolveContext) -> np.ndarray:
    """Visits each department can make per day: available inspectors × daily capacity (capped)."""
    inst = ctx.inst
    out = np.zeros((len(ctx.departments), len(inst.days)))
    for department_index, dept in enumerate(ctx.departments):
        cap = np.where(dept.capacity < 0, inst.daily_capacity, np.minimum(dept.capacity, inst.daily_capacity))
        out[department_index] = (dept.available * cap).sum(axis=1)
    return out


def assign_dates(ctx: SolveContext, subjects: list[int], feasible_days: dict[int, tuple[int, ...]],
                 avoid: dict[int, set[int]] | None = None, keep: dict[int, int] | None = None) -> dict[int, int]:
    """Greedy in seeded order: each subject takes the feasible day where its departments are least
    loaded relative to their supply; `keep` dates stay, `avoid` days are tried last."""
    inst = ctx.inst
    day_supply = np.maximum(supply(ctx), 1e-9)
    load = np.zeros_like(day_supply)
    dates = dict(keep or {})
    for subject_index, day_index in dates.items():
        for n in inst.subjects[subject_index].needs:
            load[n.department, day_index] += n.size
    for subject_index in ctx.in_seeded_order(subjects):
        if subject_index in dates:
            continue
        avoided = (avoid or {}).get(subject_index, ())
        options = ([day_index for day_index in feasible_days[subject_index] if day_index not in avoided]
                   or feasible_days[subject_index])
        needs = inst.subjects[subject_index].needs
        best = min(options, key=lambda day_index: (
            max((load[n.department, day_index] + n.size) / day_supply[n.department, day_index] for n in needs), day_index))
        dates[subject_index] = best
        for n in inst.subjects[subject_index].needs:
            load[n.department, best] += n.size
    return dates


def _holds(inspector, requirement: str) -> bool:
    return inspector.can_lead if requirement == LEAD else requirement in inspector.tags


def date_first(inst: TeamsInstance, order: list[int], feasible_days: dict[int, list[int]]) -> ExactResult:
    """Dates and teams for as many of `order`'s subjects as the greedy pass fits, in that order."""
    members_of: dict[int, list[int]] = {}
    for inspector_index, insp in enumerate(inst.inspectors):
        if insp.capacity != 0:
            members_of.setdefault(insp.department, []).append(inspector_index)
    left = np.array([insp.capacity if insp.capacity is not None else 1 << 40 for insp in inst.inspectors])
    day_load: dict[tuple[int, int], int] = {}
    result = ExactResult(feasible=True)
    for subject_index in order:
        for day_index in feasible_days.get(subject_index, ()):
            teams = {}
            for need in inst.subjects[subject_index].needs:
                free = [inspector_index for inspector_index in members_of.get(need.department, ())
                        if left[inspector_index] > 0
                        and day_load.get((inspector_index, day_index), 0) < inst.daily_capacity
                        and inst.days[day_index] not in inst.inspectors[inspector_index].unavailable
                        and (inspector_index, subject_index) not in inst.conflicts]
                team = _first_fit(inst, free, need.size,
                                  need.tags + ((LEAD,) if need.department == inst.lead else ()))
                if team is None:
                    break
                teams[need.department] = team
            else:
                for department_index, team in teams.items():
                    result.members[subject_index, department_index] = team
                    for inspector_index in team:
                        left[inspector_index] -= 1
                        day_load[inspector_index, day_index] = day_load.get((inspector_index, day_index), 0) + 1
                result.staffed.add(subject_index)
                result.dates[subject_index] = day_index
                break
    return result


def _first_fit(inst: TeamsInstance, free: list[int], size: int, requirements: tuple[str, ...]) -> list[int] | None:
    team: list[int] = []
    for req in requirements:
        if any(_holds(inst.inspectors[inspector_index], req) for inspector_index in team):
            continue
        holder = next((inspector_index for inspector_index in free
                       if inspector_index not in team and _holds(inst.inspectors[inspector_index], req)), None)
        if holder is None:
            return None
        team.append(holder)
    team += [inspector_index for inspector_index in free if inspector_index not in team][:size - len(team)]
    return team if len(team) == size else None


class _Schedule:
    """A working schedule (dates, teams, loads) that subjects can be placed into and taken out of."""

    def __init__(self, inst: TeamsInstance, start: ExactResult):
        self.inst = inst
        self.members_of: dict[int, list[int]] = {}
        for inspector_index, insp in enumerate(inst.inspectors):
            if insp.capacity != 0:
                self.members_of.setdefault(insp.department, []).append(inspector_index)
        self.left = [insp.capacity if insp.capacity is not None else 1 << 40 for insp in inst.inspectors]
        self.day_load: dict[tuple[int, int], int] = {}
        self.present: dict[tuple[int, int], list[int]] = {}  # (department, day) → members available that day
        self.dates: dict[int, int] = {}
        self.teams: dict[int, dict[int, list[int]]] = {}
        for subject_index in start.staffed:
            self.place(subject_index, start.dates[subject_index], {n.department: start.members[subject_index, n.department]
                                           for n in inst.subjects[subject_index].needs})

    def fit(self, subject_index: int, day_index: int) -> dict[int, list[int]] | None:
        """Teams for subject s on day t from the inspectors still free, or None."""
        inst = self.inst
        teams = {}
        for need in inst.subjects[subject_index].needs:
            present = self.present.get((need.department, day_index))
            if present is None:
                present = self.present[need.department, day_index] = [
                    inspector_index for inspector_index in self.members_of.get(need.department, ())
                    if inst.days[day_index] not in inst.inspectors[inspector_index].unavailable]
            free = [inspector_index for inspector_index in present
                    if self.left[inspector_index] > 0
                    and self.day_load.get((inspector_index, day_index), 0) < inst.daily_capacity
                    and (inspector_index, subject_index) not in inst.conflicts]
            team = _first_fit(inst, free, need.size, need.tags + ((LEAD,) if need.department == inst.lead else ()))
            if team is None:
                return None
            teams[need.department] = team
        return teams

    def place(self, subject_index: int, day_index: int, teams: dict[int, list[int]]) -> None:
        self.dates[subject_index] = day_index
        self.teams[subject_index] = teams
        for team in teams.values():
            for inspector_index in team:
                self.left[inspector_index] -= 1
                self.day_load[inspector_index, day_index] = self.day_load.get((inspector_index, day_index), 0) + 1

    def remove(self, subject_index: int) -> tuple[int, dict[int, list[int]]]:
        day_index, teams = self.dates.pop(subject_index), self.teams.pop(subject_index)
        for team in teams.values():
            for inspector_index in team:
                self.left[inspector_index] += 1
                self.day_load[inspector_index, day_index] -= 1
        return day_index, teams

    def result(self) -> ExactResult:
        out = ExactResult(feasible=True, staffed=set(self.dates), dates=dict(self.dates))
        for subject_index, teams in self.teams.items():
            for department_index, team in teams.items():
                out.members[subject_index, department_index] = list(team)
        return out


def repair(inst: TeamsInstance, start: ExactResult, order: list[int], feasible_days: dict[int, list[int]],
           move_limit: int = 20_000) -> ExactResult:
    """Insert left-out subjects into a schedule, moving one staffed subject to another date where needed.

    Each accepted step staffs one more subject and keeps every other one staffed (maybe on another
    date, with another team), so the result never has fewer subjects than `start`. `order` fixes the
    order of every choice (the seeded subject order), so the result depends on the seed alone.
    """
    schedule = _Schedule(inst, start)
    position = {subject_index: k for k, subject_index in enumerate(order)}
    departments_of = {subject_index: {n.department for n in inst.subjects[subject_index].needs} for subject_index in order}
    moves = 0
    improved = True
    while improved and moves < move_limit:
        improved = False
        for u in order:
            if u in schedule.dates or not feasible_days.get(u):
                continue
            if _insert(schedule, u, feasible_days):
                improved = True
                continue
            # Move one subject that shares a department with u: those on u's possible days first.
            days = set(feasible_days[u])
            others = sorted((v for v in schedule.dates if departments_of[v] & departments_of[u]),
                            key=lambda v: (schedule.dates[v] not in days, position[v]))
            for v in others:
                moves += 1
                if moves >= move_limit:
                    break
                old_day, old_teams = schedule.remove(v)
                if _insert(schedule, u, feasible_days):
                    other_days = [day_index for day_index in feasible_days[v] if day_index != old_day]
                    if _insert(schedule, v, {v: other_days + [old_day]}):
                        improved = True
                        break
                    schedule.remove(u)
                schedule.place(v, old_day, old_teams)
    return schedule.result()


def _insert(schedule: _Schedule, subject_index: int, feasible_days: dict[int, list[int]]) -> bool:
    for day_index in feasible_days[subject_index]:
        teams = schedule.fit(subject_index, day_index)
        if teams is not None:
            schedule.place(subject_index, day_index, teams)
            return True
    return False

