"""Stage 2: joint teams — who inspects which subject, with whom, on which day — as a seeded random draw.

Data → screening → staffed set (phase A) → capped fractional assignment → dependent rounding → read back.

Phase A decides which subjects are staffed. A subject is staffed only when every department it needs
staffs it, so departments are coupled through the subjects; with `days` also through the date (a team
visits on one date). Each subject first gets a date: a feasible day for every department it needs,
chosen greedily to balance each department's per-day supply (available inspectors × daily capacity).
With dates fixed the departments are independent, and each solves an integral max flow with
priorities (subjects already fully staffed first, then those staffed in more departments, then a
seeded random rank). Subjects that fail anywhere get another date, windowed candidates are widened,
and the round repeats while the staffed count grows. On small instances a CP-SAT model of the whole
problem then confirms or improves the count, so there it is the true maximum.

Phase B draws the inspectors. Per department (independent once dates are fixed), a max flow with a
cap on every inspector–subject pair gives a fractional assignment: the cap is `max_pair_probability`
where the rules allow it, never below a need's natural share (the only expert must go), and is
raised along a ladder only when the department's capacity forces it. Dependent rounding
(`rounding.py`) then samples an integral assignment whose pair marginals equal the fractional values
exactly, so the probabilities reported are the probabilities drawn with. Inspectors are numbered in
a seeded random order before any of this, so inspectors in symmetric positions are equally likely.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import ortools

from . import network as nw
from . import staffing
from .common import SOLVER_VERSION, collection_paused, generator, probability
from .cpsat import ExactResult, solve_exact
from .dates import date_first, repair
from .instance import Need, TeamsInstance, parse_teams
from .rounding import round_flow

BITS = 8  # pair probabilities are multiples of 1/256: fine enough for any cap, and each bit costs a rounding pass
UNIT = 1 << BITS
LADDER = (1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 8.0, None)  # None: any pair may reach probability 1
ROUNDS = 6
EXACT_PAIR_LIMIT = 3000  # instances this small get the CP-SAT confirmation of the maximum
EXACT_DEPARTMENT_PAIRS = 100_000  # a department this small is checked by CP-SAT where its network is not exact


@dataclass(frozen=True)
class TeamsOutcome:
    """The result document, and what goes to standard error beside it."""
    result: dict
    upper_bound: int | None  # no assignment staffs more subjects; None where the joint model did not run


def solve_teams(problem: dict) -> dict:
    return solve_teams_outcome(problem).result


def solve_teams_outcome(problem: dict) -> TeamsOutcome:
    with collection_paused():
        solve = _Solve(parse_teams(problem))
        result = solve.run()
        return TeamsOutcome(result, solve.upper_bound)


def _holder_phrase(req: str) -> str:
    if nw.JOIN in req:
        return "且".join(_holder_phrase(part) for part in req.split(nw.JOIN))
    if req == nw.LEAD:
        return "可担任组长"
    if req.startswith("zone:"):
        zone = req[5:]  # zones are usually named "…片区" already: never "河西镇片区片区"
        return f"属于{zone}" if zone.endswith(("片区", "检查组", "组")) else f"属于{zone}片区"
    return f"具备{req}专长"


class _Solve:
    def __init__(self, inst: TeamsInstance):
        self.inst = inst
        n = len(inst.subjects)
        # One seeded order of subjects: network order and the random tie-breaking rank.
        self.order = generator(inst.seed, "subjects").permutation(n)
        self.rank = np.empty(n, dtype=np.int64)
        self.rank[self.order] = np.arange(n, 0, -1)
        needs: list[dict[int, Need]] = [{} for _ in inst.departments]
        for s, subject in enumerate(inst.subjects):
            for need in subject.needs:
                needs[need.department][s] = need
        self.depts = [nw.Department(inst, d, generator(inst.seed, "inspectors", dep.id), needs[d])
                      for d, dep in enumerate(inst.departments)]
        # Per department, fixed window starts per subject, so a need's candidates stay the same across rounds.
        self.starts = [generator(inst.seed, "windows", dep.id).integers(0, 1 << 40, size=n)
                       for dep in inst.departments]
        self.conflicts: dict[int, set[int]] = {}
        for i, s in inst.conflicts:
            self.conflicts.setdefault(s, set()).add(i)
        self.day_options = list(range(len(inst.days))) or [-1]
        self.frac_cache: dict[int, tuple] = {}  # department → (problem key, network, capped flow)
        self.problems: dict[int, tuple] = {}  # department → (problem key, needs, candidate pairs)
        self.shortfalls: dict[tuple, str | None] = {}  # (department, day, size, tags) → shortfall without recusal
        self.has_need = np.zeros((len(self.depts), n), dtype=bool)  # [d, s]: subject s needs department d
        for d, dept in enumerate(self.depts):
            self.has_need[d, list(dept.need)] = True
        self.n_needs = self.has_need.sum(axis=0)

    # --- screening: what each need can never have ------------------------------------------------

    def shortfall(self, s: int, d: int, day: int) -> str | None:
        """Why this need cannot be staffed on that day even with nobody else to staff, or None."""
        dept = self.depts[d]
        need = dept.need[s]
        recused = [dept.local[i] for i in self.conflicts.get(s, ()) if i in dept.local]
        return self.form_shortfall(d, day, need.size, need.tags, recused)

    def form_shortfall(self, d: int, day: int, size: int, tags: tuple[str, ...],
                       recused: list[int] | None = None) -> str | None:
        """The shortfall of a need of this size and these tags, these inspectors (local) recused."""
        if recused:
            return self._shortfall(d, day, size, tags, recused)
        # Without recusal the answer depends on the need's size and tags only: the same for many subjects.
        key = (d, day, size, tags)
        if key not in self.shortfalls:
            self.shortfalls[key] = self._shortfall(d, day, size, tags, [])
        return self.shortfalls[key]

    def _shortfall(self, d: int, day: int, size: int, tags: tuple[str, ...], recused: list[int]) -> str | None:
        inst, dept = self.inst, self.depts[d]
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
                return f"{prefix}{after}仅剩0名{_holder_phrase(req)}的{name}执法人员，需要至少1名"
        if disjoint and len(kept) > size:
            return f"{name}需要{len(kept)}名分别{'、'.join(_holder_phrase(r) for r in kept)}的不同人员，但只派{size}名"
        return None

    def screen(self) -> tuple[list[int], dict[int, list[int]], dict[int, list[tuple[int, str]]]]:
        """The subjects each department could staff alone on some day (candidates, with those days);
        for the others, why not."""
        inst = self.inst
        # First by need form without recusal, all subjects at once: a subject with no recusal that
        # passes on every day needs no more; the others are checked need by need (`screen_subject`).
        fine = np.ones((len(self.day_options), len(inst.subjects)), dtype=bool)
        for t, day in enumerate(self.day_options):
            for d, dept in enumerate(self.depts):
                bad = np.array([self.form_shortfall(d, day, size, tags) is not None for size, tags in dept.forms],
                               dtype=bool)
                has = self.has_need[d]
                fine[t, has] &= ~bad[dept.need_form[has]]
        unfit = set(np.flatnonzero(~fine.all(axis=0)).tolist())
        closer = unfit | set(np.flatnonzero(self.harmful_recusals()).tolist())
        candidates, feasible_days, reasons = [], {}, {}
        for s in range(len(inst.subjects)):
            ok, why = self.screen_subject(s) if s in closer else (list(self.day_options), None)
            if ok:
                candidates.append(s)
                feasible_days[s] = ok
            else:
                reasons[s] = why
        return candidates, feasible_days, reasons

    def harmful_recusals(self) -> np.ndarray:
        """Per subject, whether some need has at least as many recusals as it can lose on some day and
        still pass screening (more inspectors and more holders of each requirement than recusals);
        the others need no need-by-need screening for their recusals."""
        inst = self.inst
        inspector, subject = inst.conflict_arrays
        recused = np.zeros((len(self.depts), len(inst.subjects)), dtype=np.int64)
        np.add.at(recused, (inst.inspector_departments[inspector], subject), 1)
        harmful = np.zeros(len(inst.subjects), dtype=bool)
        for d, dept in enumerate(self.depts):
            lead = (nw.LEAD,) if inst.lead == d else ()
            margin = np.array([min(min([dept.pool(day).size - size + 1]
                                       + [dept.holder_count(req, day) for req in tags + lead])
                                   for day in self.day_options) for size, tags in dept.forms], dtype=np.int64)
            has = np.flatnonzero(self.has_need[d] & (recused[d] > 0))
            harmful[has] |= recused[d, has] >= margin[dept.need_form[has]]
        return harmful

    def screen_subject(self, s: int) -> tuple[list[int], list[tuple[int, str]] | None]:
        """The days every department could staff this subject alone; if none, (department, why) pairs."""
        subject = self.inst.subjects[s]
        per_day = {day: [(n.department, self.shortfall(s, n.department, day)) for n in subject.needs]
                   for day in self.day_options}
        ok = [day for day, res in per_day.items() if all(r is None for _, r in res)]
        if ok:
            return ok, None
        always = [(d, r) for d, r in per_day[self.day_options[0]]
                  if r is not None and all(dict(per_day[day])[d] is not None for day in self.day_options)]
        if always:
            return [], always
        d = max(subject.needs, key=lambda n: sum(dict(per_day[t])[n.department] is not None
                                                 for t in self.day_options)).department
        return [], [(d, (f"{self.inst.days[0]}至{self.inst.days[-1]}没有一天能同时派齐各部门人员，"
                         f"{self.inst.departments[d].name}可用执法人员不足"))]

    # --- dates --------------------------------------------------------------------------------

    def supply(self) -> np.ndarray:
        """Visits each department can make per day: available inspectors × daily capacity (capped)."""
        inst = self.inst
        out = np.zeros((len(self.depts), len(inst.days)))
        for d, dept in enumerate(self.depts):
            cap = np.where(dept.capacity < 0, inst.daily_capacity, np.minimum(dept.capacity, inst.daily_capacity))
            out[d] = (dept.available * cap).sum(axis=1)
        return out

    def assign_dates(self, subjects: list[int], feasible_days: dict[int, list[int]],
                     avoid: dict[int, set[int]] | None = None, keep: dict[int, int] | None = None) -> dict[int, int]:
        """Greedy in seeded order: each subject takes the feasible day where its departments are least loaded."""
        supply = np.maximum(self.supply(), 1e-9)
        load = np.zeros_like(supply)
        dates = dict(keep or {})
        for s, t in dates.items():
            for n in self.inst.subjects[s].needs:
                load[n.department, t] += n.size
        for s in sorted(subjects, key=lambda s: -self.rank[s]):
            if s in dates:
                continue
            options = [t for t in feasible_days[s] if t not in (avoid or {}).get(s, ())] or feasible_days[s]
            best = min(options, key=lambda t: (max((load[n.department, t] + n.size) / supply[n.department, t]
                                                   for n in self.inst.subjects[s].needs), t))
            dates[s] = best
            for n in self.inst.subjects[s].needs:
                load[n.department, best] += n.size
        return dates

    # --- phase A: which subjects are staffed ---------------------------------------------------

    def day_of(self, dates: dict[int, int]) -> np.ndarray:
        """The dates as an array over subjects, -1 where a subject has none."""
        out = np.full(len(self.inst.subjects), -1, dtype=np.int64)
        out[list(dates)] = list(dates.values())
        return out

    def problem_key(self, d: int, subjects: np.ndarray, day_of: np.ndarray, dense: np.ndarray) -> tuple[np.ndarray, bytes]:
        """The department's subjects among `subjects` (sorted) and a key of all its problem depends on:
        those subjects, their dates, and which of them see every candidate (`dense[d, s]`)."""
        subs = subjects[self.has_need[d, subjects]]
        return subs, subs.tobytes() + day_of[subs].tobytes() + dense[d, subs].tobytes()

    def dept_problem(self, d: int, subjects: np.ndarray, day_of: np.ndarray, dense: np.ndarray):
        subs, key = self.problem_key(d, subjects, day_of, dense)
        cached = self.problems.get(d)
        if cached and cached[0] == key:
            return cached
        subs = subs[np.argsort(-self.rank[subs])]  # network order: the seeded rank (distinct)
        dn = nw.dept_needs(self.inst, self.depts[d], subs, day_of[subs])
        pairs = nw.candidate_pairs(self.inst, self.depts[d], dn, self.starts[d][dn.subjects], dense[d, subs])
        self.problems[d] = (key, dn, pairs)
        return self.problems[d]

    def choose_staffed(self, candidates: list[int], feasible_days: dict[int, list[int]]):
        inst = self.inst
        n = len(inst.subjects)
        dates = self.assign_dates(candidates, feasible_days) if inst.days else {}
        best: set[int] = set()
        best_dates = dict(dates)
        done = np.zeros(n, dtype=np.int64)
        dense = np.zeros((len(self.depts), n), dtype=bool)  # [d, s]: the need sees all its candidates
        tried: dict[int, set[int]] = {}
        settled: dict[int, bytes] = {}
        cand = np.array(sorted(candidates), dtype=np.int64)
        for round_ in range(ROUNDS):
            first = round_ == 0
            ok_in = np.zeros(n, dtype=np.int64)
            failed: list[tuple[int, int]] = []
            day_of = self.day_of(dates)
            for d in range(len(self.depts)):
                subs, key = self.problem_key(d, cand, day_of, dense)
                if settled.get(d) == key:
                    # This department staffed all these needs last round; the same problem needs no re-solve.
                    ok_in[subs] += 1
                    continue
                _, dn, pairs = self.dept_problem(d, cand, day_of, dense)
                if dn.subjects.size == 0:
                    continue
                if first:
                    # Try the capped fractional flow of phase B first: when it staffs every need (the
                    # usual case) phase A is settled for this department and phase B reuses it.
                    frac_net, frac_flow = self.capped_fraction(d, dn, pairs, LADDER[:1])
                    if frac_net is not None:
                        self.frac_cache[d] = (key, frac_net, frac_flow)
                        settled[d] = key
                        ok_in[dn.subjects] += 1
                        continue
                net = nw.build_network(inst, self.depts[d], dn, pairs, np.ones(pairs.need.size, dtype=np.int64), 1)
                if first:
                    flow = nw.max_flow_values(net)
                else:
                    # Keep the staffed subjects, then favour those staffed in more departments. Node
                    # order is already seeded-random, so ties need no random costs (small costs solve fast).
                    in_best = np.array([s in best for s in dn.subjects.tolist()], dtype=bool)
                    weight = np.where(in_best, len(self.depts) + 2, done[dn.subjects])
                    flow = nw.priority_flow_values(net, weight)
                ok = nw.staffed_needs(net, flow, dn.subjects.size, 1)
                if ok.all():
                    settled[d] = key
                ok_in[dn.subjects[ok]] += 1
                failed.extend((int(s), d) for s in dn.subjects[~ok])
            full = set(cand[ok_in[cand] == self.n_needs[cand]].tolist())
            improved = len(full) > len(best)
            if improved:
                best, best_dates = full, dict(dates)
            if len(best) == len(candidates):
                break
            done = ok_in
            new_dense = [(s, d) for s, d in failed if not dense[d, s]]
            for s, d in new_dense:
                dense[d, s] = True
            moved = False
            if inst.days:
                losers = [s for s in candidates if s not in best]
                for s in losers:
                    tried.setdefault(s, set()).add(dates[s])
                keep = {s: best_dates[s] for s in best}
                new_dates = self.assign_dates(candidates, feasible_days, avoid=tried, keep=keep)
                moved = new_dates != dates
                dates = new_dates
            if not (improved or new_dense or moved):
                break
        return best, {s: best_dates[s] for s in best} if inst.days else {}, dense

    # --- phase A, joint: which subjects, all departments at once (no dates) ---------------------

    def joint_staffing(self, candidates: list[int], staffed: set[int]) -> set[int]:
        """The staffed set of the joint model (`staffing.py`) if it staffs more, and its upper bound."""
        inst = self.inst
        groups = staffing.subject_groups(inst, candidates)
        hint = [sum(s in staffed for s in g.subjects) for g in groups]
        choice = staffing.choose_staffed_counts(
            inst, groups, hint, random_seed=int(generator(inst.seed, "joint").integers(0, 1 << 30)))
        if choice is None:
            return staffed
        self.upper_bound = min(len(candidates), choice.upper_bound)
        realized = self.realize(groups, choice)
        return realized if len(realized) > len(staffed) else staffed

    def dated_staffing(self, candidates: list[int], staffed: set[int], dates: dict[int, int]):
        """The best of the flow rounds and a naive date-first schedule, then repaired: left-out subjects
        inserted where one staffed subject can move to another of its dates. Never fewer than either.
        Returns (staffed, dates, teams where they are fixed, or None to keep the rounds' choice)."""
        inst = self.inst
        order = sorted(candidates, key=lambda s: -self.rank[s])
        feasible = {s: self.feasible_days[s] for s in candidates}
        rounds = ExactResult(staffed=set(staffed), dates=dict(dates), feasible=True,
                             members=self.some_members(staffed, dates))
        naive = date_first(inst, order, feasible)
        start = max((rounds, naive), key=lambda option: len(option.staffed))  # the first of equals: the rounds
        repaired = repair(inst, start, order, feasible)
        proposed = staffing.choose_dates(inst, feasible, repaired.dates,
                                         random_seed=int(generator(inst.seed, "dates").integers(0, 1 << 30)))
        if proposed is not None:
            kept = self.flow_staffed(proposed)
            kept_dates = {s: proposed[s] for s in kept}
            second = repair(inst, ExactResult(staffed=kept, dates=kept_dates, feasible=True,
                                              members=self.some_members(kept, kept_dates)), order, feasible)
            if len(second.staffed) > len(repaired.staffed):
                repaired = second
        if len(repaired.staffed) == len(staffed):
            return staffed, dates, None
        return set(repaired.staffed), dict(repaired.dates), repaired

    def flow_staffed(self, dates: dict[int, int]) -> set[int]:
        """The dated subjects every department's flow staffs together on those dates."""
        array = np.array(sorted(dates), dtype=np.int64)
        day_of = self.day_of(dates)
        dense = np.ones((len(self.depts), len(self.inst.subjects)), dtype=bool)
        failed: set[int] = set()
        for d in range(len(self.depts)):
            _, dn, pairs = self.dept_problem(d, array, day_of, dense)
            if dn.subjects.size == 0:
                continue
            net = nw.build_network(self.inst, self.depts[d], dn, pairs, np.ones(pairs.need.size, dtype=np.int64), 1)
            ok = nw.staffed_needs(net, nw.max_flow_values(net), dn.subjects.size, 1)
            failed.update(dn.subjects[~ok].tolist())
        return set(dates) - failed

    def some_members(self, staffed: set[int], dates: dict[int, int]) -> dict[tuple[int, int], list[int]]:
        """One integral assignment of these subjects on these dates (a hint for CP-SAT), by the flows."""
        inst = self.inst
        array = np.array(sorted(staffed), dtype=np.int64)
        day_of = self.day_of(dates)
        dense = np.ones((len(self.depts), len(inst.subjects)), dtype=bool)
        members: dict[tuple[int, int], list[int]] = {}
        for d in range(len(self.depts)):
            _, dn, pairs = self.dept_problem(d, array, day_of, dense)
            if dn.subjects.size == 0:
                continue
            net = nw.build_network(inst, self.depts[d], dn, pairs, np.ones(pairs.need.size, dtype=np.int64), 1)
            chosen = nw.max_flow_values(net)[net.pair_arc] == 1
            glob = self.depts[d].global_ids
            for s, i in zip(dn.subjects[pairs.need[chosen]].tolist(), glob[pairs.insp[chosen]].tolist()):
                members.setdefault((s, d), []).append(i)
        return members

    def realize(self, groups: list[staffing.SubjectGroup], choice: staffing.JointChoice) -> set[int]:
        """Concrete subjects for the model's counts: each group's in seeded order, fewest recusals
        first; those the exact per-department check cannot staff are replaced by the group's next."""
        waiting = []
        for group in groups:
            order = sorted(group.subjects, key=lambda s: (len(self.conflicts.get(s, ())), -self.rank[s]))
            waiting.append(order)
        chosen: set[int] = set()
        wanted = list(choice.staffed_per_group)
        for _ in range(ROUNDS):
            for k, order in enumerate(waiting):
                while wanted[k] > 0 and order:
                    chosen.add(order.pop(0))
                    wanted[k] -= 1
            failed = self.unstaffable(chosen)
            if not failed:
                break
            chosen -= failed
            for k, group in enumerate(groups):
                wanted[k] += len(failed.intersection(group.subjects))
        return chosen

    def unstaffable(self, subjects: set[int]) -> set[int]:
        """The subjects among these that some department cannot staff together with the others."""
        inst = self.inst
        array = np.array(sorted(subjects), dtype=np.int64)
        day_of = self.day_of({})
        dense = np.ones((len(self.depts), len(inst.subjects)), dtype=bool)
        failed: set[int] = set()
        for d in range(len(self.depts)):
            _, dn, pairs = self.dept_problem(d, array, day_of, dense)
            if dn.subjects.size == 0:
                continue
            net = nw.build_network(inst, self.depts[d], dn, pairs, np.ones(pairs.need.size, dtype=np.int64), 1)
            ok = nw.staffed_needs(net, nw.max_flow_values(net), dn.subjects.size, 1)
            if not ok.all() and not dn.exact.all() and pairs.need.size <= EXACT_DEPARTMENT_PAIRS:
                # The network sees only some teams of overlapping requirements: ask the exact model.
                exact = solve_exact(inst, sorted(dn.subjects.tolist()), departments={d},
                                    hint=set(dn.subjects.tolist()))
                ok = np.isin(dn.subjects, sorted(exact.staffed))
            failed.update(dn.subjects[~ok].tolist())
        return failed

    # --- phase B: the random draw of inspectors ----------------------------------------------

    def capped_fraction(self, d: int, dn: nw.DeptNeeds, pairs: nw.Pairs, ladder=LADDER):
        """The fractional assignment: pair caps at q where possible, raised only as far as needed."""
        n_needs = dn.subjects.size
        q = self.inst.max_pair_probability
        count = np.bincount(pairs.need, minlength=n_needs)
        # The starting cap: q if given, else the need's uniform share; never below what the rules
        # force — 1/h for the h holders of a requirement, and for everyone else whatever the holders
        # cannot cover of the need's size.
        share = dn.sizes[pairs.need] / np.maximum(count[pairs.need], 1) if q is None else np.full(pairs.need.size, q)
        holder = np.zeros(pairs.need.size, dtype=bool)
        for r in range(max(map(len, dn.kinds), default=0)):
            holds = ((pairs.mask >> r) & 1) == 1
            holders = np.bincount(pairs.need[holds], minlength=n_needs)
            share[holds] = np.maximum(share[holds], 1.0 / holders[pairs.need[holds]])
            holder |= holds
        covered = np.bincount(pairs.need[holder], weights=np.minimum(1.0, share[holder]), minlength=n_needs)
        others = np.bincount(pairs.need[~holder], minlength=n_needs)
        rest = (dn.sizes - covered) / np.maximum(others, 1)
        share[~holder] = np.maximum(share[~holder], rest[pairs.need[~holder]])
        base = np.ceil(np.minimum(1.0, share) * UNIT - 1e-9)
        if q is not None:
            # Round q down so the cap honoured is never above the one asked for.
            base = np.where(share <= q + 1e-12, np.floor(q * UNIT + 1e-9), base)
        for factor in ladder:
            cap = np.full(base.size, UNIT) if factor is None else np.minimum(UNIT, np.ceil(base * factor - 1e-9))
            net = nw.build_network(self.inst, self.depts[d], dn, pairs, cap.astype(np.int64), UNIT)
            flow = nw.max_flow_values(net)
            if nw.staffed_needs(net, flow, n_needs, UNIT).all():
                return net, flow
        return None, None

    def draw_department(self, d: int, dn: nw.DeptNeeds, pairs: nw.Pairs, key: tuple):
        """Integral members per need, the lead seat's holder if any, and each pair's probability."""
        cached = self.frac_cache.get(d)
        net, flow = cached[1:] if cached and cached[0] == key else self.capped_fraction(d, dn, pairs)
        if net is None:
            return None
        frac = np.flatnonzero(flow % UNIT)
        final = flow // UNIT
        rng = generator(self.inst.seed, "teams", self.inst.departments[d].id)
        final[frac] = round_flow(net.tails[frac], net.heads[frac], flow[frac], BITS, rng)
        chosen = final[net.pair_arc] == 1
        return {
            "need": pairs.need[chosen], "insp": pairs.insp[chosen],
            "prob": flow[net.pair_arc] / UNIT, "pairs": pairs,
            "lead_fill": self._lead_fill(dn, pairs, net, final),
        }

    @staticmethod
    def _lead_fill(dn: nw.DeptNeeds, pairs: nw.Pairs, net: nw.Network, final: np.ndarray) -> dict[int, int]:
        """need → the inspector filling its may-lead seat (only where may-lead is a seat of its own)."""
        lead_pos = dn.position(nw.LEAD)
        if (lead_pos < 0).all():
            return {}
        hit = (final[net.route_arc] == 1) & (lead_pos[pairs.need[net.route_pair]] == net.route_req)
        p = net.route_pair[hit]
        return dict(zip(pairs.need[p].tolist(), pairs.insp[p].tolist()))

    # --- the whole solve -----------------------------------------------------------------------

    def run(self) -> dict:
        inst = self.inst
        candidates, feasible_days, reasons = self.screen()
        self.feasible_days = feasible_days
        staffed, dates, dense = self.choose_staffed(candidates, feasible_days)
        self.upper_bound: int | None = None  # what no assignment can exceed, where the joint model has said
        exact = None
        if not inst.days and len(staffed) < len(candidates):
            staffed = self.joint_staffing(candidates, staffed)
        elif inst.days and len(staffed) < len(candidates):
            staffed, dates, exact = self.dated_staffing(candidates, staffed, dates)
        total_pairs = sum(self.depts[n.department].global_ids.size
                          for s in candidates for n in inst.subjects[s].needs) * max(1, len(inst.days))
        proven = self.upper_bound is not None and len(staffed) >= self.upper_bound
        if len(staffed) < len(candidates) and total_pairs <= EXACT_PAIR_LIMIT and not proven:
            full = solve_exact(inst, candidates, hint=staffed,
                                random_seed=int(generator(inst.seed, "exact").integers(0, 1 << 30)))
            if full.feasible and len(full.staffed) > len(staffed):
                staffed, dates, exact = set(full.staffed), dict(full.dates), full

        members: dict[tuple[int, int], list[int]] = {}
        leader: dict[int, int] = {}
        # (inspector, subject, probability) of every pair drawn with positive probability, per department
        pair_parts = [(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0))]
        seats = candidates_weighted = 0
        dropped: set[int] = set()
        staffed_array = np.array(sorted(staffed), dtype=np.int64)
        day_of = self.day_of(dates)
        for d in range(len(self.depts)):
            key, dn, pairs = self.dept_problem(d, staffed_array, day_of, dense)
            if dn.subjects.size == 0:
                continue
            drawn = self.draw_department(d, dn, pairs, key)
            if drawn is None:
                # Overlapping requirements the network cannot represent: CP-SAT staffs this department.
                fixed = exact or solve_exact(inst, sorted(staffed), fixed_dates=dates if inst.days else None,
                                             departments={d}, hint=staffed)
                for s in dn.subjects.tolist():
                    got = fixed.members.get((s, d))
                    if not got:
                        dropped.add(s)
                        continue
                    members[s, d] = got
                    pair_parts.append((np.array(got, dtype=np.int64), np.full(len(got), s), np.ones(len(got))))
                    if d == inst.lead and s in fixed.leader:
                        leader[s] = fixed.leader[s]
                    seats += len(got)
                    candidates_weighted += len(got)
                continue
            glob = self.depts[d].global_ids
            for s, i in zip(dn.subjects[drawn["need"]].tolist(), glob[drawn["insp"]].tolist()):
                members.setdefault((s, d), []).append(i)
            for j, i in drawn["lead_fill"].items():
                leader[int(dn.subjects[j])] = int(glob[i])
            p = drawn["pairs"]
            positive = drawn["prob"] > 0
            pair_parts.append((glob[p.insp[positive]], dn.subjects[p.need[positive]], drawn["prob"][positive]))
            per_need = np.bincount(p.need[positive], minlength=dn.subjects.size)
            seats += int(dn.sizes.sum())
            candidates_weighted += int((per_need * dn.sizes).sum())
        staffed -= dropped
        pair_probs = tuple(np.concatenate(column) for column in zip(*pair_parts))
        return self.read_back(staffed, dates, members, leader, pair_probs, seats, candidates_weighted,
                              candidates, reasons)

    # --- read back -----------------------------------------------------------------------------

    def read_back(self, staffed, dates, members, leader, pair_probs, seats, candidates_weighted,
                  candidates, reasons) -> dict:
        """The result document. Inspectors and subjects are numbered in id order, so sorting numbers sorts ids."""
        inst = self.inst
        rng = generator(inst.seed, "leader")
        dept_pos = {d: k for k, d in enumerate(([inst.lead] if inst.lead is not None else [])
                                                + [d for d in range(len(inst.departments)) if d != inst.lead])}
        insp_ids = [insp.id for insp in inst.inspectors]
        insp_depts = [inst.departments[insp.department].id for insp in inst.inspectors]
        staffed_array = np.array(sorted(staffed), dtype=np.int64)
        teams = []
        for s in staffed_array[np.argsort(-self.rank[staffed_array])].tolist():  # seeded order for the leader draws
            subject = inst.subjects[s]
            team_members = []
            for need in sorted(subject.needs, key=lambda n: dept_pos[n.department]):
                team_members.extend(sorted(members[s, need.department]))
            lead = None
            if inst.lead is not None and any(n.department == inst.lead for n in subject.needs):
                lead = leader.get(s)
                if lead is None:
                    able = [i for i in members[s, inst.lead] if inst.inspectors[i].can_lead]
                    able.sort(key=lambda i: self.depts[inst.lead].local[i])
                    lead = able[int(rng.integers(0, len(able)))]
            teams.append({
                "subject": subject.id,
                "date": inst.days[dates[s]] if inst.days else None,
                "leader": insp_ids[lead] if lead is not None else None,
                "members": [{"inspector": insp_ids[i], "department": insp_depts[i]} for i in team_members],
            })
        teams.sort(key=lambda t: t["subject"])

        unstaffed = self.unstaffed(staffed, dates, members, candidates, reasons)
        q = inst.max_pair_probability
        insp, subj, prob = pair_probs
        of_staffed = np.isin(subj, staffed_array)  # a subject dropped after some department drew it has none
        insp, subj, prob = insp[of_staffed], subj[of_staffed], prob[of_staffed]
        largest = float(prob.max()) if prob.size else 0.0
        above = np.flatnonzero(prob > q + 1e-12) if q is not None else np.zeros(0, dtype=np.int64)
        above = above[np.lexsort((insp[above], subj[above]))]
        uncapped = [{"inspector": inst.inspectors[i].id, "subject": inst.subjects[s].id, "probability": probability(p)}
                    for i, s, p in zip(insp[above].tolist(), subj[above].tolist(), prob[above].tolist())]
        randomness = {
            "max_pair_probability": q,
            "largest_pair_probability": probability(largest),
            "least_feasible_cap": probability(largest) if prob.size else None,
            "mean_candidates_per_seat": round(candidates_weighted / seats, 2) if seats else None,
            "uncapped_pairs": uncapped,
        }
        if inst.report_pair_probabilities:
            listed = np.lexsort((insp, subj))  # ids sort as their numbers do
            randomness["pair_probabilities"] = [
                {"inspector": inst.inspectors[i].id, "subject": inst.subjects[s].id, "probability": float(p)}
                for i, s, p in zip(insp[listed].tolist(), subj[listed].tolist(), prob[listed].tolist())]
        return {
            "seed": inst.seed,
            "input_sha256": inst.input_sha256,
            "status": "complete" if not unstaffed else "partial",
            "teams": teams,
            "unstaffed": unstaffed,
            "randomness": randomness,
            "versions": {"solver": SOLVER_VERSION, "ortools": ortools.__version__, "numpy": np.__version__},
        }

    def date_conflict(self, s: int, load: np.ndarray, day_load: np.ndarray, cap: np.ndarray) -> tuple[int, str]:
        """Why a subject that some date suits alone was left out: on each such date, which department's
        inspectors the other subjects took."""
        inst = self.inst
        days = self.feasible_days[s]
        short: Counter = Counter()
        for day in days:
            for need in inst.subjects[s].needs:
                d = need.department
                spare = [i for i in self.depts[d].global_ids[self.depts[d].pool(day)].tolist()
                         if i not in self.conflicts.get(s, ()) and load[i] < cap[i]
                         and day_load[day, i] < inst.daily_capacity]
                reqs = need.tags + ((nw.LEAD,) if inst.lead == d else ())
                if len(spare) < need.size or not all(
                        any(req == nw.LEAD and inst.inspectors[i].can_lead or req in inst.inspectors[i].tags
                            for i in spare) for req in reqs):
                    short[d] += 1
                    break
        dates = "、".join(inst.days[t] for t in days)
        if not short:
            d = inst.subjects[s].needs[0].department
            return d, (f"日期冲突：{dates}各部门单独都能派齐，但与同日其他检查对象争用同一批执法人员，"
                       f"为使配齐的检查对象最多而未安排")
        d = max(short, key=lambda k: (short[k], -k))
        return d, (f"日期冲突：{dates}各部门单独都能派齐，但这些日期{inst.departments[d].name}"
                   f"可派的执法人员已排给其他检查对象或容量已满")

    def bound_note(self, n_staffed: int) -> str:
        """How far the staffing is from the best possible, when the joint model has bounded it."""
        if self.upper_bound is None:
            return ""
        if self.upper_bound <= n_staffed:
            return f"（任何安排至多配齐{n_staffed}户，本次已配齐{n_staffed}户：只有增加人员或提高容量才能配齐更多）"
        return f"（任何安排至多配齐{self.upper_bound}户，本次配齐{n_staffed}户）"

    def unstaffed(self, staffed, dates, members, candidates, reasons) -> list[dict]:
        """One entry per blocking department for every subject left out, with a reason to act on."""
        inst = self.inst
        out: list[tuple[int, int, str]] = []
        for s, items in reasons.items():
            out.extend((s, d, r) for d, r in items)
        left_out = [s for s in candidates if s not in staffed]
        if left_out:
            visits = np.array([(dates.get(s, 0) if inst.days else 0, i)
                               for (s, _), insps in members.items() for i in insps], dtype=np.int64).reshape(-1, 2)
            load = np.bincount(visits[:, 1], minlength=len(inst.inspectors))
            day_load = np.zeros((max(1, len(inst.days)), len(inst.inspectors)), dtype=np.int64)
            np.add.at(day_load, (visits[:, 0], visits[:, 1]), 1)
            cap = np.array([ins.capacity if ins.capacity is not None else 1 << 40 for ins in inst.inspectors])
        for s in left_out:
            if inst.days:
                d, reason = self.date_conflict(s, load, day_load, cap)
                out.append((s, d, reason + self.bound_note(len(staffed))))
                continue
            blocked: dict[int, str] = {}
            for day in [-1]:
                for need in inst.subjects[s].needs:
                    d = need.department
                    elig = [i for i in self.depts[d].global_ids[self.depts[d].pool(day)].tolist()
                            if i not in self.conflicts.get(s, ())]
                    spare = [i for i in elig if load[i] < cap[i]
                             and (day < 0 or day_load[day, i] < inst.daily_capacity)]
                    name = inst.departments[d].name
                    if len(spare) < need.size:
                        when = f"{inst.days[0]}至{inst.days[-1]}" if inst.days else ""
                        after = "回避后" if self.conflicts.get(s) else ""
                        blocked.setdefault(d, f"{when}{name}执法人员工作量已满（容量用尽）：{after}可派{len(elig)}名，"
                                              f"仅{len(spare)}名尚有余量，需要{need.size}名")
                        continue
                    for req in need.tags + ((nw.LEAD,) if inst.lead == d else ()):
                        if not any(req == nw.LEAD and inst.inspectors[i].can_lead or req in inst.inspectors[i].tags
                                   for i in spare):
                            blocked.setdefault(d, f"{_holder_phrase(req)}的{name}执法人员工作量已满（容量用尽），"
                                                  f"需要至少1名")
            if not blocked:
                d = inst.subjects[s].needs[0].department
                blocked[d] = (f"与其他检查对象争用同一批{inst.departments[d].name}等部门执法人员，"
                              f"为使配齐的检查对象最多而未安排；增加人员或提高容量可解决")
            out.extend((s, d, r + self.bound_note(len(staffed))) for d, r in blocked.items())
        out.sort(key=lambda item: (inst.subjects[item[0]].id, item[1]))
        return [{"subject": inst.subjects[s].id, "department": inst.departments[d].id, "reason": r}
                for s, d, r in out]
