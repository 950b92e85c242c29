"""What every phase of one stage-2 solve shares: the instance, its seeded orders, and each department's
flow problem for a set of subjects (built once per set, reused by the phases that ask for it again)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import network
from .common import generator
from .instance import Need, TeamsInstance, lexicographic_order


@dataclass(frozen=True)
class DepartmentProblem:
    """One department's needs among a set of subjects (in network order) and their candidate pairs."""
    key: bytes  # all the problem depends on: the subjects, their dates, which needs see every candidate
    needs: network.DeptNeeds
    pairs: network.Pairs


@dataclass(frozen=True)
class SolveContext:
    """Fixed before anything is decided; every random order here comes from the seed alone."""
    inst: TeamsInstance
    subject_rank: np.ndarray  # per subject, its place in the seeded order (larger: earlier)
    departments: tuple[network.Department, ...]  # each with its inspectors in a seeded order
    window_starts: tuple[np.ndarray, ...]  # per department, per subject: where its candidate window starts
    recusal_subjects: np.ndarray  # the recusals sorted by subject (then inspector): their subjects,
    recusal_inspectors: np.ndarray  # and their inspectors
    day_options: tuple[int, ...]  # day indices; (-1,) without dates
    needs_department: np.ndarray  # [department, subject]: the subject needs the department
    need_count: np.ndarray  # per subject, how many departments it needs
    # Per department, its last problem: the phases ask for the same subject set several times.
    _problems: dict[int, DepartmentProblem] = field(default_factory=dict, compare=False, repr=False)
    # Per department, (problem key, r): the capped flow's rungs below r cannot staff that problem (drawing.py).
    infeasible_rungs: dict[int, tuple[bytes, int]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(cls, inst: TeamsInstance) -> SolveContext:
        n = len(inst.subjects)
        order = generator(inst.seed, "subjects").permutation(n)
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.arange(n, 0, -1)
        needs: list[dict[int, Need]] = [{} for _ in inst.departments]
        for subject_index, subject in enumerate(inst.subjects):
            for need in subject.needs:
                needs[need.department][subject_index] = need
        departments = tuple(network.Department(inst, department_index, generator(inst.seed, "inspectors", dep.id),
                                               needs[department_index])
                            for department_index, dep in enumerate(inst.departments))
        # Fixed window starts per subject, so a need's candidates stay the same from one round to the next.
        starts = tuple(generator(inst.seed, "windows", dep.id).integers(0, 1 << 40, size=n)
                       for dep in inst.departments)
        inspector, subject = inst.conflict_arrays
        by_subject = lexicographic_order(subject, inspector)
        needs_department = np.zeros((len(departments), n), dtype=bool)
        for department_index, dept in enumerate(departments):
            needs_department[department_index, list(dept.need)] = True
        return cls(inst=inst, subject_rank=rank, departments=departments, window_starts=starts,
                   recusal_subjects=subject[by_subject], recusal_inspectors=inspector[by_subject],
                   day_options=tuple(range(len(inst.days))) or (-1,),
                   needs_department=needs_department, need_count=needs_department.sum(axis=0))

    def recused(self, subject_index: int) -> frozenset[int]:
        """The inspectors recused from this subject."""
        start, end = np.searchsorted(self.recusal_subjects, (subject_index, subject_index + 1))
        return frozenset(self.recusal_inspectors[start:end].tolist())

    def in_seeded_order(self, subjects) -> list[int]:
        return sorted(subjects, key=lambda subject_index: -self.subject_rank[subject_index])

    def day_array(self, dates: dict[int, int]) -> np.ndarray:
        """The dates as an array over subjects, -1 where a subject has none."""
        out = np.full(len(self.inst.subjects), -1, dtype=np.int64)
        out[list(dates)] = list(dates.values())
        return out

    def all_dense(self) -> np.ndarray:
        """Every need sees all its candidates (no windows)."""
        return np.ones((len(self.departments), len(self.inst.subjects)), dtype=bool)

    def problem_key(self, department_index: int, subjects: np.ndarray, day_of: np.ndarray,
                    dense: np.ndarray) -> tuple[np.ndarray, bytes]:
        """The department's subjects among `subjects` (sorted) and the key of its problem (which needs see
        every candidate matters only where the others see a window)."""
        mine = subjects[self.needs_department[department_index, subjects]]
        key = mine.tobytes() + day_of[mine].tobytes()
        if network.windowed(self.departments[department_index], day_of[mine]):
            key += dense[department_index, mine].tobytes()
        return mine, key

    def department_problem(self, department_index: int, subjects: np.ndarray, day_of: np.ndarray,
                           dense: np.ndarray) -> DepartmentProblem:
        """Department d's needs among these subjects (sorted numbers) on their dates, with candidates."""
        mine, key = self.problem_key(department_index, subjects, day_of, dense)
        cached = self._problems.get(department_index)
        if cached and cached.key == key:
            return cached
        mine = mine[np.argsort(-self.subject_rank[mine])]  # network order: the seeded rank (distinct)
        dept = self.departments[department_index]
        needs = network.dept_needs(self.inst, dept, mine, day_of[mine])
        pairs = network.candidate_pairs(self.inst, dept, needs, self.window_starts[department_index][needs.subjects],
                                        dense[department_index, mine])
        self._problems[department_index] = DepartmentProblem(key, needs, pairs)
        return self._problems[department_index]

    def integral_flow(self, department_index: int, problem: DepartmentProblem) -> tuple[network.Network, np.ndarray]:
        """An integral max flow of the department's problem (every pair at most once)."""
        net = network.build_network(self.inst, self.departments[department_index], problem.needs, problem.pairs,
                               np.ones(problem.pairs.need.size, dtype=np.int64), 1)
        return net, network.max_flow_values(net)

    def some_members(self, subjects, dates: dict[int, int]) -> dict[tuple[int, int], list[int]]:
        """One integral assignment of these subjects on these dates, by the flows: (subject, department)
        → inspectors (where a flow staffs the need only partly, the part)."""
        array = np.array(sorted(subjects), dtype=np.int64)
        day_of, dense = self.day_array(dates), self.all_dense()
        members: dict[tuple[int, int], list[int]] = {}
        for department_index in range(len(self.departments)):
            problem = self.department_problem(department_index, array, day_of, dense)
            if problem.needs.subjects.size == 0:
                continue
            net, flow = self.integral_flow(department_index, problem)
            chosen = flow[net.pair_arc] == 1
            glob = self.departments[department_index].global_ids
            for subject_index, inspector_index in zip(problem.needs.subjects[problem.pairs.need[chosen]].tolist(),
                            glob[problem.pairs.insp[chosen]].tolist()):
                members.setdefault((subject_index, department_index), []).append(inspector_index)
        return members
