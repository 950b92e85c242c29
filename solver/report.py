"""The result document: teams with their leaders, unstaffed subjects with reasons, the randomness report.

Inspectors and subjects are numbered in id order, so sorting numbers sorts ids. Leaders not fixed by
a may-lead seat are drawn here, in the seeded subject order, among the members who may lead.
"""

from __future__ import annotations

from collections import Counter
from functools import cached_property

import numpy as np
import ortools

from . import network
from .common import SOLVER_VERSION, generator, probability
from .context import SolveContext
from .drawing import Draw
from .instance import lexicographic_order
from .screening import Screening, holder_phrase
from .staffing import Staffing


def result_document(ctx: SolveContext, screening: Screening, staffing: Staffing, draw: Draw) -> dict:
    inst = ctx.inst
    unstaffed = _Reasons(ctx, screening, staffing, draw).unstaffed()
    return {
        "seed": inst.seed,
        "input_sha256": inst.input_sha256,
        "status": "complete" if not unstaffed else "partial",
        "teams": _teams(ctx, staffing, draw),
        "unstaffed": unstaffed,
        "randomness": _randomness(ctx, draw),
        "versions": {"solver": SOLVER_VERSION, "ortools": ortools.__version__, "numpy": np.__version__},
    }


def _teams(ctx: SolveContext, staffing: Staffing, draw: Draw) -> list[dict]:
    """The staffed subjects' teams in subject order (= id order): members listed lead department first,
    then in the departments' order, each department's by id (= number)."""
    inst = ctx.inst
    leaders = _leaders(ctx, draw)
    others = [department_index for department_index in range(len(inst.departments)) if department_index != inst.lead]
    position = np.empty(len(inst.departments), dtype=np.int64)
    position[([inst.lead] if inst.lead is not None else []) + others] = np.arange(len(inst.departments))
    members = draw.members
    listed = np.flatnonzero(np.isin(members.subject, np.array(sorted(draw.staffed), dtype=np.int64)))
    listed = listed[lexicographic_order(members.subject[listed], position[members.department[listed]],
                                        members.inspector[listed])]
    subject, inspector = members.subject[listed], members.inspector[listed]
    inspector_ids = [insp.id for insp in inst.inspectors]
    department_ids = [inst.departments[insp.department].id for insp in inst.inspectors]
    records = [{"inspector": inspector_ids[inspector_index], "department": department_ids[inspector_index]}
               for inspector_index in inspector.tolist()]
    days = inst.days
    teams = []
    for subject_index, start, end in _runs(subject):
        leader = leaders.get(subject_index)
        teams.append({
            "subject": inst.subjects[subject_index].id,
            "date": days[staffing.dates[subject_index]] if days else None,
            "leader": inspector_ids[leader] if leader is not None else None,
            "members": records[start:end],
        })
    return teams


def _leaders(ctx: SolveContext, draw: Draw) -> dict[int, int]:
    """subject → its leader, for every staffed subject that needs the lead department: the member in its
    may-lead seat, or else one drawn among its members who may lead (in the seeded subject order)."""
    inst = ctx.inst
    if inst.lead is None:
        return {}
    members = draw.members
    lead_members = np.flatnonzero(members.department == inst.lead)
    listed = members.inspector[lead_members].tolist()
    in_lead = {subject_index: listed[start:end] for subject_index, start, end in _runs(members.subject[lead_members])}
    leaders = {}
    rng = generator(inst.seed, "leader")
    local = ctx.departments[inst.lead].local
    for subject_index in ctx.in_seeded_order(subject_index for subject_index in draw.staffed if subject_index in in_lead):
        leader = draw.leader.get(subject_index)
        if leader is None:
            able = [inspector_index for inspector_index in in_lead[subject_index]
                    if inst.inspectors[inspector_index].can_lead]
            able.sort(key=local.__getitem__)
            leader = able[int(rng.integers(0, len(able)))]
        leaders[subject_index] = leader
    return leaders


def _runs(keys: np.ndarray) -> zip:
    """(key, start, end) of each run of equal values in `keys` (sorted)."""
    starts = np.flatnonzero(np.diff(keys, prepend=-1)).tolist()
    return zip(keys[starts].tolist(), starts, starts[1:] + [keys.size])


def _randomness(ctx: SolveContext, draw: Draw) -> dict:
    inst = ctx.inst
    q = inst.max_pair_probability
    pairs = draw.pairs
    # A subject dropped after some department drew it has no planned pairs.
    of_staffed = np.isin(pairs.subject, np.array(sorted(draw.staffed), dtype=np.int64))
    inspector, subject, prob = pairs.inspector[of_staffed], pairs.subject[of_staffed], pairs.probability[of_staffed]
    largest = float(prob.max()) if prob.size else 0.0
    above = np.flatnonzero(prob > q + 1e-12) if q is not None else np.zeros(0, dtype=np.int64)
    above = above[np.lexsort((inspector[above], subject[above]))]
    randomness = {
        "max_pair_probability": q,
        "largest_pair_probability": probability(largest),
        "least_feasible_cap": probability(largest) if prob.size else None,
        "mean_candidates_per_seat": round(draw.candidates_per_seat_total / draw.seats, 2) if draw.seats else None,
        "uncapped_pairs": [{"inspector": inst.inspectors[inspector_index].id, "subject": inst.subjects[subject_index].id,
                            "probability": probability(p)}
                           for inspector_index, subject_index, p in zip(inspector[above].tolist(), subject[above].tolist(),
                                              prob[above].tolist())],
    }
    if inst.report_pair_probabilities:
        listed = np.lexsort((inspector, subject))  # ids sort as their numbers do
        randomness["pair_probabilities"] = [
            {"inspector": inst.inspectors[inspector_index].id, "subject": inst.subjects[subject_index].id,
             "probability": float(p)}
            for inspector_index, subject_index, p in zip(inspector[listed].tolist(), subject[listed].tolist(),
                                                         prob[listed].tolist())]
    return randomness


class _Reasons:
    """One entry per blocking department for every subject not staffed, with a reason to act on."""

    def __init__(self, ctx: SolveContext, screening: Screening, staffing: Staffing, draw: Draw):
        self.ctx, self.screening, self.staffing, self.draw = ctx, screening, staffing, draw

    @cached_property
    def load(self) -> np.ndarray:
        """Visits per inspector (only asked for when some subject some department could staff is left out)."""
        return self.day_load.sum(axis=0)

    @cached_property
    def day_load(self) -> np.ndarray:
        """Visits per day and inspector (one row without dates)."""
        inst = self.ctx.inst
        members = self.draw.members
        day = np.maximum(self.ctx.day_array(self.staffing.dates)[members.subject], 0)
        day_load = np.zeros((max(1, len(inst.days)), len(inst.inspectors)), dtype=np.int64)
        np.add.at(day_load, (day, members.inspector), 1)
        return day_load

    @cached_property
    def capacity(self) -> np.ndarray:
        return np.array([ins.capacity if ins.capacity is not None else 1 << 40 for ins in self.ctx.inst.inspectors])

    def unstaffed(self) -> list[dict]:
        inst = self.ctx.inst
        out: list[tuple[int, int, str]] = []
        for subject_index, items in self.screening.reasons.items():
            out.extend((subject_index, department_index, r) for department_index, r in items)
        n_staffed = len(self.draw.staffed)
        for subject_index in self.screening.candidates:
            if subject_index in self.draw.staffed:
                continue
            if inst.days:
                department_index, reason = self.date_conflict(subject_index)
                out.append((subject_index, department_index, reason + self.bound_note(n_staffed)))
            else:
                out.extend((subject_index, department_index, reason + self.bound_note(n_staffed))
                           for department_index, reason in self.full_workload(subject_index).items())
        out.sort(key=lambda item: (inst.subjects[item[0]].id, item[1]))
        return [{"subject": inst.subjects[subject_index].id, "department": inst.departments[department_index].id, "reason": r}
                for subject_index, department_index, r in out]

    def spare(self, subject_index: int, department_index: int, day: int) -> tuple[list[int], list[int]]:
        """The department's inspectors allowed on this subject that day, and those of them with room left."""
        dept = self.ctx.departments[department_index]
        recused = self.ctx.recused(subject_index)
        allowed = [inspector_index for inspector_index in dept.global_ids[dept.pool(day)].tolist()
                   if inspector_index not in recused]
        room = [inspector_index for inspector_index in allowed if self.load[inspector_index] < self.capacity[inspector_index]
                and (day < 0 or self.day_load[day, inspector_index] < self.ctx.inst.daily_capacity)]
        return allowed, room

    def full_workload(self, subject_index: int) -> dict[int, str]:
        """Without dates: which departments' workload is full for this subject, or that it lost the contest."""
        inst = self.ctx.inst
        blocked: dict[int, str] = {}
        for need in inst.subjects[subject_index].needs:
            department_index = need.department
            allowed, room = self.spare(subject_index, department_index, -1)
            name = inst.departments[department_index].name
            if len(room) < need.size:
                after = "回避后" if self.ctx.recused(subject_index) else ""
                blocked.setdefault(department_index, f"{name}执法人员工作量已满（容量用尽）：{after}可派{len(allowed)}名，"
                                      f"仅{len(room)}名尚有余量，需要{need.size}名")
                continue
            for req in need.tags + ((network.LEAD,) if inst.lead == department_index else ()):
                if not any(req == network.LEAD and inst.inspectors[inspector_index].can_lead
                           or req in inst.inspectors[inspector_index].tags for inspector_index in room):
                    blocked.setdefault(department_index,
                                       f"{holder_phrase(req)}的{name}执法人员工作量已满（容量用尽），需要至少1名")
        if not blocked:
            department_index = inst.subjects[subject_index].needs[0].department
            blocked[department_index] = (f"与其他检查对象争用同一批{inst.departments[department_index].name}等部门执法人员，"
                          f"为使配齐的检查对象最多而未安排；增加人员或提高容量可解决")
        return blocked

    def date_conflict(self, subject_index: int) -> tuple[int, str]:
        """With dates, for a subject some date suits alone: on each such date, which department's
        inspectors the other subjects took."""
        inst = self.ctx.inst
        days = self.screening.feasible_days[subject_index]
        short: Counter = Counter()
        for day in days:
            for need in inst.subjects[subject_index].needs:
                _, room = self.spare(subject_index, need.department, day)
                reqs = need.tags + ((network.LEAD,) if inst.lead == need.department else ())
                if len(room) < need.size or not all(
                        any(req == network.LEAD and inst.inspectors[inspector_index].can_lead
                            or req in inst.inspectors[inspector_index].tags for inspector_index in room)
                        for req in reqs):
                    short[need.department] += 1
                    break
        dates = "、".join(inst.days[t] for t in days)
        if not short:
            department_index = inst.subjects[subject_index].needs[0].department
            return department_index, (f"日期冲突：{dates}各部门单独都能派齐，但与同日其他检查对象争用同一批执法人员，"
                       f"为使配齐的检查对象最多而未安排")
        department_index = max(short, key=lambda k: (short[k], -k))
        return department_index, (f"日期冲突：{dates}各部门单独都能派齐，但这些日期{inst.departments[department_index].name}"
                   f"可派的执法人员已排给其他检查对象或容量已满")

    def bound_note(self, n_staffed: int) -> str:
        """How far the staffing is from the best possible, when a model has bounded it."""
        bound = self.staffing.upper_bound
        if bound is None:
            return ""
        if bound <= n_staffed:
            return f"（任何安排至多配齐{n_staffed}户，本次已配齐{n_staffed}户：只有增加人员或提高容量才能配齐更多）"
        return f"（任何安排至多配齐{bound}户，本次配齐{n_staffed}户）"
