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
    for d, dept in enumerate(ctx.departments):
        cap = np.where(dept.capacity < 0, inst.daily_capacity, np.minimum(dept.capacity, inst.daily_capacity))
        out[d] = (dept.available * cap).sum(axis=1)
    return out


def assign_dates(ctx: SolveContext, subjects: list[int], feasible_days: dict[int, tuple[int, ...]],
                 avoid: dict[int, set[int]] | None = None, keep: dict[int, int] | None = None) -> dict[int, int]:
    """Greedy in seeded order: each subject takes the feasible day where its departments are least
    loaded relative to their supply; `keep` dates stay, `avoid` days are tried last."""
    inst = ctx.inst
    day_supply = np.maximum(supply(ctx), 1e-9)
    load = np.zeros_like(day_supply)
    dates = dict(keep or {})
    for s, t in dates.items():
        for n in inst.subjects[s].needs:
            load[n.department, t] += n.size
    for s in ctx.in_seeded_order(subjects):
        if s in dates:
            continue
        options = [t for t in feasible_days[s] if t not in (avoid or {}).get(s, ())] or feasible_days[s]
        best = min(options, key=lambda t: (max((load[n.department, t] + n.size) / day_supply[n.department, t]
                                               for n in inst.subjects[s].needs), t))
        dates[s] = best
        for n in inst.subjects[s].needs:
            load[n.department, best] += n.size
    return dates


def _holds(inspector, requirement: str) -> bool:
    return inspector.can_lead if requirement == LEAD else requirement in inspector.tags


def date_first(inst: TeamsInstance, order: list[int], feasible_days: dict[int, list[int]]) -> ExactResult:
    """Dates and teams for as many of `order`'s subjects as the greedy pass fits, in that order."""
    members_of: dict[int, list[int]] = {}
    for i, insp in enumerate(inst.inspectors):
        if insp.capacity != 0:
            members_of.setdefault(insp.department, []).append(i)
    left = np.array([insp.capacity if insp.capacity is not None else 1 << 40 for insp in inst.inspectors])
    day_load: dict[tuple[int, int], int] = {}
    result = ExactResult(feasible=True)
    for s in order:
        for t in feasible_days.get(s, ()):
            teams = {}
            for need in inst.subjects[s].needs:
                free = [i for i in members_of.get(need.department, ())
                        if left[i] > 0 and day_load.get((i, t), 0) < inst.daily_capacity
                        and inst.days[t] not in inst.inspectors[i].unavailable and (i, s) not in inst.conflicts]
                team = _first_fit(inst, free, need.size,
                                  need.tags + ((LEAD,) if need.department == inst.lead else ()))
                if team is None:
                    break
                teams[need.department] = team
            else:
                for d, team in teams.items():
                    result.members[s, d] = team
                    for i in team:
                        left[i] -= 1
                        day_load[i, t] = day_load.get((i, t), 0) + 1
                result.staffed.add(s)
                result.dates[s] = t
                break
    return result


def _first_fit(inst: TeamsInstance, free: list[int], size: int, requirements: tuple[str, ...]) -> list[int] | None:
    team: list[int] = []
    for req in requirements:
        if any(_holds(inst.inspectors[i], req) for i in team):
            continue
        holder = next((i for i in free if i not in team and _holds(inst.inspectors[i], req)), None)
        if holder is None:
            return None
        team.append(holder)
    team += [i for i in free if i not in team][:size - len(team)]
    return team if len(team) == size else None


class _Schedule:
    """A working schedule (dates, teams, loads) that subjects can be placed into and taken out of."""

    def __init__(self, inst: TeamsInstance, start: ExactResult):
        self.inst = inst
        self.members_of: dict[int, list[int]] = {}
        for i, insp in enumerate(inst.inspectors):
            if insp.capacity != 0:
                self.members_of.setdefault(insp.department, []).append(i)
        self.left = [insp.capacity if insp.capacity is not None else 1 << 40 for insp in inst.inspectors]
        self.day_load: dict[tuple[int, int], int] = {}
        self.present: dict[tuple[int, int], list[int]] = {}  # (department, day) → members available that day
        self.dates: dict[int, int] = {}
        self.teams: dict[int, dict[int, list[int]]] = {}
        for s in start.staffed:
            self.place(s, start.dates[s], {n.department: start.members[s, n.department]
                                           for n in inst.subjects[s].needs})

    def fit(self, s: int, t: int) -> dict[int, list[int]] | None:
        """Teams for subject s on day t from the inspectors still free, or None."""
        inst = self.inst
        teams = {}
        for need in inst.subjects[s].needs:
            present = self.present.get((need.department, t))
            if present is None:
                present = self.present[need.department, t] = [
                    i for i in self.members_of.get(need.department, ()) if inst.days[t] not in inst.inspectors[i].unavailable]
            free = [i for i in present if self.left[i] > 0 and self.day_load.get((i, t), 0) < inst.daily_capacity
                    and (i, s) not in inst.conflicts]
            team = _first_fit(inst, free, need.size, need.tags + ((LEAD,) if need.department == inst.lead else ()))
            if team is None:
                return None
            teams[need.department] = team
        return teams

    def place(self, s: int, t: int, teams: dict[int, list[int]]) -> None:
        self.dates[s] = t
        self.teams[s] = teams
        for team in teams.values():
            for i in team:
                self.left[i] -= 1
                self.day_load[i, t] = self.day_load.get((i, t), 0) + 1

    def remove(self, s: int) -> tuple[int, dict[int, list[int]]]:
        t, teams = self.dates.pop(s), self.teams.pop(s)
        for team in teams.values():
            for i in team:
                self.left[i] += 1
                self.day_load[i, t] -= 1
        return t, teams

    def result(self) -> ExactResult:
        out = ExactResult(feasible=True, staffed=set(self.dates), dates=dict(self.dates))
        for s, teams in self.teams.items():
            for d, team in teams.items():
                out.members[s, d] = list(team)
        return out


def repair(inst: TeamsInstance, start: ExactResult, order: list[int], feasible_days: dict[int, list[int]],
           move_limit: int = 20_000) -> ExactResult:
    """Insert left-out subjects into a schedule, moving one staffed subject to another date where needed.

    Each accepted step staffs one more subject and keeps every other one staffed (maybe on another
    date, with another team), so the result never has fewer subjects than `start`. `order` fixes the
    order of every choice (the seeded subject order), so the result depends on the seed alone.
    """
    schedule = _Schedule(inst, start)
    position = {s: k for k, s in enumerate(order)}
    departments_of = {s: {n.department for n in inst.subjects[s].needs} for s in order}
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
                    if _insert(schedule, v, {v: [t for t in feasible_days[v] if t != old_day] + [old_day]}):
                        improved = True
                        break
                    schedule.remove(u)
                schedule.place(v, old_day, old_teams)
    return schedule.result()


def _insert(schedule: _Schedule, s: int, feasible_days: dict[int, list[int]]) -> bool:
    for t in feasible_days[s]:
        teams = schedule.fit(s, t)
        if teams is not None:
            schedule.place(s, t, teams)
            return True
    return False

