"""Screening: which subjects each department could staff alone on some day, and for the others why not.

A need fails screening when, on a day, its department has fewer inspectors left than its size (after
recusal, unavailability and zero capacity), no holder of one of its requirements, or more disjoint
requirements than members. These are the reasons a coordinator can act on without knowing the rest
of the draw; what other subjects take is told later (`report.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import network
from .common import UNBOUNDED
from .context import SolveContext


@dataclass(frozen=True)
class Screening:
    candidates: tuple[int, ...]  # subjects every department could staff alone on some day, in number order
    feasible_days: dict[int, tuple[int, ...]]  # candidate → those days (-1 without dates)
    reasons: dict[int, tuple[tuple[int, str], ...]]  # the others → (department, why) pairs


def holder_phrase(requirement: str) -> str:
    """How a reason names the holders of a requirement: 具备…专长, 属于…片区, 可担任组长."""
    if network.JOIN in requirement:
        return "且".join(holder_phrase(part) for part in requirement.split(network.JOIN))
    if requirement == network.LEAD:
        return "可担任组长"
    if requirement.startswith("zone:"):
        zone = requirement[5:]  # zones are usually named "…片区" already: never "河西镇片区片区"
        return f"属于{zone}" if zone.endswith(("片区", "检查组", "组")) else f"属于{zone}片区"
    return f"具备{requirement}专长"


def screen(ctx: SolveContext) -> Screening:
    return _Screener(ctx).screen()


class _Screener:
    def __init__(self, ctx: SolveContext):
        self.ctx = ctx
        self.form_shortfalls: dict[tuple, str | None] = {}  # (department, day, size, tags) → without recusal

    def screen(self) -> Screening:
        ctx, inst = self.ctx, self.ctx.inst
        # First by need form without recusal, all subjects at once: a subject that passes on every day
        # and whose recusals cannot matter needs no more; the others are checked need by need.
        fine = np.ones((len(ctx.day_options), len(inst.subjects)), dtype=bool)
        for day_index, day in enumerate(ctx.day_options):
            for department_index, dept in enumerate(ctx.departments):
                bad = np.array([self.form_shortfall(department_index, day, size, tags) is not None for size, tags in dept.forms],
                               dtype=bool)
                has = ctx.needs_department[department_index]
                fine[day_index, has] &= ~bad[dept.need_form[has]]
        closer = set(np.flatnonzero(~fine.all(axis=0)).tolist()) | set(np.flatnonzero(self.harmful_recusals()).tolist())
        candidates, feasible_days, reasons = [], {}, {}
        for subject_index in range(len(inst.subjects)):
            days, why = self.screen_subject(subject_index) if subject_index in closer else (ctx.day_options, None)
            if days:
                candidates.append(subject_index)
                feasible_days[subject_index] = tuple(days)
            else:
                reasons[subject_index] = tuple(why)
        return Screening(tuple(candidates), feasible_days, reasons)

    def harmful_recusals(self) -> np.ndarray:
        """Per subject, whether some need has at least as many recusals as it can lose on some day and
        still pass (more inspectors, and more holders of each requirement, than recusals)."""
        ctx, inst = self.ctx, self.ctx.inst
        inspector, subject = inst.conflict_arrays
        recused = np.zeros((len(ctx.departments), len(inst.subjects)), dtype=np.int64)
        np.add.at(recused, (inst.inspector_departments[inspector], subject), 1)
        harmful = np.zeros(len(inst.subjects), dtype=bool)
        for department_index, dept in enumerate(ctx.departments):
            lead = (network.LEAD,) if inst.lead == department_index else ()
            margin = np.array([min(min([dept.pool(day).size - min(size, UNBOUNDED) + 1]
                                       + [dept.holder_count(req, day) for req in tags + lead])
                                   for day in ctx.day_options) for size, tags in dept.forms], dtype=np.int64)
            has = np.flatnonzero(ctx.needs_department[department_index] & (recused[department_index] > 0))
            harmful[has] |= recused[department_index, has] >= margin[dept.need_form[has]]
        return harmful

    def screen_subject(self, subject_index: int) -> tuple[list[int], list[tuple[int, str]] | None]:
        """The days every department could staff this subject alone; if none, (department, why) pairs."""
        ctx, inst = self.ctx, self.ctx.inst
        subject = inst.subjects[subject_index]
        per_day = {day: [(n.department, self.shortfall(subject_index, n.department, day)) for n in subject.needs]
                   for day in ctx.day_options}
        ok = [day for day, res in per_day.items() if all(r is None for _, r in res)]
        if ok:
            return ok, None
        always = [(department_index, r) for department_index, r in per_day[ctx.day_options[0]]
                  if r is not None and all(dict(per_day[day])[department_index] is not None for day in ctx.day_options)]
        if always:
            return [], always
        department_index = max(subject.needs, key=lambda n: sum(dict(per_day[day_index])[n.department] is not None
                                                 for day_index in ctx.day_options)).department
        return [], [(department_index, (f"{inst.days[0]}至{inst.days[-1]}没有一天能同时派齐各部门人员，"
                         f"{inst.departments[department_index].name}可用执法人员不足"))]

    def shortfall(self, subject_index: int, department_index: int, day: int) -> str | None:
        """Why this need cannot be staffed on that day even with nobody else to staff, or None."""
        dept = self.ctx.departments[department_index]
        need = dept.need[subject_index]
        recused = [dept.local[inspector_index] for inspector_index in self.ctx.recused(subject_index)
                   if inspector_index in dept.local]
        if recused:
            return self.need_shortfall(department_index, day, need.size, need.tags, recused)
        return self.form_shortfall(department_index, day, need.size, need.tags)

    def form_shortfall(self, department_index: int, day: int, size: int, tags: tuple[str, ...]) -> str | None:
        """Without recusal the answer depends on the need's size and tags only: the same for many subjects."""
        key = (department_index, day, size, tags)
        if key not in self.form_shortfalls:
            self.form_shortfalls[key] = self.need_shortfall(department_index, day, size, tags, [])
        return self.form_shortfalls[key]

    def need_shortfall(self, department_index: int, day: int, size: int, tags: tuple[str, ...], recused: list[int]) -> str | None:
        """The shortfall of a need of this size and these tags, these inspectors (local numbers) recused."""
        inst, dept = self.ctx.inst, self.ctx.departments[department_index]
        name = inst.departments[department_index].name
        prefix = f"{inst.days[0]}至{inst.days[-1]}每天" if day >= 0 else ""
        pool = dept.pool(day)
        after = "回避后" if recused else ""
        if recused:
            in_pool = np.zeros(dept.global_ids.size, dtype=bool)
            in_pool[pool] = True
            in_pool[recused] = False
            count = int(in_pool.sum())
        else:
            in_pool, count = None, int(pool.size)
        if count < size:
            return f"{prefix}{after}{name}仅剩{count}名可派执法人员，需要{size}名"
        raw = tags + ((network.LEAD,) if inst.lead == department_index else ())
        kept, disjoint = network.reduce_requirements(dept, day, raw, size)
        for req in raw:
            holders = dept.holder_count(req, day) if in_pool is None else int((in_pool & dept.holds(req)).sum())
            if holders == 0:
                return f"{prefix}{after}仅剩0名{holder_phrase(req)}的{name}执法人员，需要至少1名"
        if disjoint and len(kept) > size:
            return f"{name}需要{len(kept)}名分别{'、'.join(holder_phrase(r) for r in kept)}的不同人员，但只派{size}名"
        return None
