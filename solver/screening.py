"""Screening: which subjects each department could staff alone on some day, and for the others why not.

A need fails screening when, on a day, its department has fewer inspectors left than its size (after
recusal, unavailability and zero capacity), no holder of one of its requirements, or more disjoint
requirements than members. These are the reasons a coordinator can act on without knowing the rest
of the draw; what other subjects take is told later (`report.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import network as nw
from .context import SolveContext


@dataclass(frozen=True)
class Screening:
    candidates: tuple[int, ...]  # subjects every department could staff alone on some day, in number order
    feasible_days: dict[int, tuple[int, ...]]  # candidate → those days (-1 without dates)
    reasons: dict[int, tuple[tuple[int, str], ...]]  # the others → (department, why) pairs


def holder_phrase(requirement: str) -> str:
    """How a reason names the holders of a requirement: 具备…专长, 属于…片区, 可担任组长."""
    if nw.JOIN in requirement:
        return "且".join(holder_phrase(part) for part in requirement.split(nw.JOIN))
    if requirement == nw.LEAD:
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
        for t, day in enumerate(ctx.day_options):
            for d, dept in enumerate(ctx.departments):
                bad = np.array([self.form_shortfall(d, day, size, tags) is not None for size, tags in dept.forms],
                               dtype=bool)
                has = ctx.needs_department[d]
                fine[t, has] &= ~bad[dept.need_form[has]]
        closer = set(np.flatnonzero(~fine.all(axis=0)).tolist()) | set(np.flatnonzero(self.harmful_recusals()).tolist())
        candidates, feasible_days, reasons = [], {}, {}
        for s in range(len(inst.subjects)):
            days, why = self.screen_subject(s) if s in closer else (ctx.day_options, None)
            if days:
                candidates.append(s)
                feasible_days[s] = tuple(days)
            else:
                reasons[s] = tuple(why)
        return Screening(tuple(candidates), feasible_days, reasons)

    def harmful_recusals(self) -> np.ndarray:
        """Per subject, whether some need has at least as many recusals as it can lose on some day and
        still pass (more inspectors, and more holders of each requirement, than recusals)."""
        ctx, inst = self.ctx, self.ctx.inst
        inspector, subject = inst.conflict_arrays
        recused = np.zeros((len(ctx.departments), len(inst.subjects)), dtype=np.int64)
        np.add.at(recused, (inst.inspector_departments[inspector], subject), 1)
        harmful = np.zeros(len(inst.subjects), dtype=bool)
        for d, dept in enumerate(ctx.departments):
            lead = (nw.LEAD,) if inst.lead == d else ()
            margin = np.array([min(min([dept.pool(day).size - size + 1]
                                       + [dept.holder_count(req, day) for req in tags + lead])
                                   for day in ctx.day_options) for size, tags in dept.forms], dtype=np.int64)
            has = np.flatnonzero(ctx.needs_department[d] & (recused[d] > 0))
            harmful[has] |= recused[d, has] >= margin[dept.need_form[has]]
        return harmful

    def screen_subject(self, s: int) -> tuple[list[int], list[tuple[int, str]] | None]:
        """The days every department could staff this subject alone; if none, (department, why) pairs."""
        ctx, inst = self.ctx, self.ctx.inst
        subject = inst.subjects[s]
        per_day = {day: [(n.department, self.shortfall(s, n.department, day)) for n in subject.needs]
                   for day in ctx.day_options}
        ok = [day for day, res in per_day.items() if all(r is None for _, r in res)]
        if ok:
            return ok, None
        always = [(d, r) for d, r in per_day[ctx.day_options[0]]
                  if r is not None and all(dict(per_day[day])[d] is not None for day in ctx.day_options)]
        if always:
            return [], always
        d = max(subject.needs, key=lambda n: sum(dict(per_day[t])[n.department] is not None
                                                 for t in ctx.day_options)).department
        return [], [(d, (f"{inst.days[0]}至{inst.days[-1]}没有一天能同时派齐各部门人员，"
                         f"{inst.departments[d].name}可用执法人员不足"))]

    def shortfall(self, s: int, d: int, day: int) -> str | None:
        """Why this need cannot be staffed on that day even with nobody else to staff, or None."""
        dept = self.ctx.departments[d]
        need = dept.need[s]
        recused = [dept.local[i] for i in self.ctx.recused.get(s, ()) if i in dept.local]
        if recused:
            return self.need_shortfall(d, day, need.size, need.tags, recused)
        return self.form_shortfall(d, day, need.size, need.tags)

    def form_shortfall(self, d: int, day: int, size: int, tags: tuple[str, ...]) -> str | None:
        """Without recusal the answer depends on the need's size and tags only: the same for many subjects."""
        key = (d, day, size, tags)
        if key not in self.form_shortfalls:
            self.form_shortfalls[key] = self.need_shortfall(d, day, size, tags, [])
        return self.form_shortfalls[key]

    def need_shortfall(self, d: int, day: int, size: int, tags: tuple[str, ...], recused: list[int]) -> str | None:
        """The shortfall of a need of this size and these tags, these inspectors (local numbers) recused."""
        inst, dept = self.ctx.inst, self.ctx.departments[d]
        name = inst.departments[d].name
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
        raw = tags + ((nw.LEAD,) if inst.lead == d else ())
        kept, disjoint = nw.reduce_requirements(dept, day, raw, size)
        for req in raw:
            holders = dept.holder_count(req, day) if in_pool is None else int((in_pool & dept.holds(req)).sum())
            if holders == 0:
                return f"{prefix}{after}仅剩0名{holder_phrase(req)}的{name}执法人员，需要至少1名"
        if disjoint and len(kept) > size:
            return f"{name}需要{len(kept)}名分别{'、'.join(holder_phrase(r) for r in kept)}的不同人员，但只派{size}名"
        return None
