"""The capped flow's ladder search gives what walking the ladder rung by rung gives, with fewer max flows.

The search tries the next two rungs, then bisects the rest, skips rungs an earlier call found infeasible
for the same problem, and builds the network once (only the pair caps change between rungs). Feasibility
is monotone in the cap, so the least feasible rung — and the flow solved there — must be the walk's.
"""

import random
from unittest import mock

import numpy as np

from solver import drawing, network
from solver.context import SolveContext
from solver.instance import parse_teams
from solver.screening import screen
from solver.teams import solve_teams


def test_first_feasible_finds_the_least_feasible_rung_without_trying_below_the_start():
    for end in range(0, 10):
        for lowest in range(0, end + 1):
            for threshold in range(lowest, end + 2):  # threshold > end - 1: nothing is feasible
                tried = []

                def attempt(rung, threshold=threshold, tried=tried):
                    tried.append(rung)
                    return ("flow", rung) if rung >= threshold else None

                found = drawing.first_feasible(lowest, end, attempt)
                assert found == (("flow", threshold) if threshold < end else None)
                assert all(lowest <= rung < end for rung in tried)
                assert len(tried) == len(set(tried))
                assert len(tried) <= 2 + max(0, end - lowest - 2).bit_length()


def _city(seed: int) -> dict:
    """A small city of the issue's shape, with capacities and caps tight enough to climb the ladder."""
    rnd = random.Random(seed)
    departments = ["a", "b", "c"]
    zones = [f"zone:z{k}" for k in range(3)]
    expertise = ["x", "y", "z"]
    per_department = rnd.choice([6, 10, 16])
    q = rnd.choice([None, 0.15, 0.25, 0.5])
    subjects, conflicts = [], []
    for s in range(rnd.randint(20, 60)):
        needs = []
        for d in rnd.sample(departments, rnd.randint(1, 3)):
            tags = ([rnd.choice(expertise)] if rnd.random() < 0.5 else []) + \
                   ([rnd.choice(zones)] if rnd.random() < 0.3 else [])
            needs.append({"department": d, "size": rnd.choice([1, 2, 2, 3]), "tags": tags})
        subjects.append({"id": f"S{s:03d}", "needs": needs})
        if rnd.random() < 0.1:
            conflicts.append({"inspector": f"{needs[0]['department']}-{rnd.randrange(per_department):02d}",
                              "subject": f"S{s:03d}"})
    inspectors = []
    for d in departments:
        seats = sum(n["size"] for s in subjects for n in s["needs"] if n["department"] == d)
        capacity = max(1, round(seats / per_department * rnd.choice([1.0, 1.1, 1.5])))
        for k in range(per_department):
            inspectors.append({"id": f"{d}-{k:02d}", "department": d, "capacity": capacity,
                               "tags": [zones[k % 3]] + [t for t in expertise if rnd.random() < 0.4],
                               "can_lead": rnd.random() < 0.7})
    problem = {"seed": f"ladder-{seed}", "lead_department": "a", "departments": [{"id": d} for d in departments],
               "inspectors": inspectors, "subjects": subjects, "conflicts": conflicts}
    if q is not None:
        problem["max_pair_probability"] = q
    return problem


def _walked(ctx, department_index, problem):
    """The reference: every rung from the bottom, each network built from scratch, the first that staffs all."""
    base = drawing._base_caps(ctx, problem)
    for rung, factor in enumerate(drawing.LADDER):
        cap = np.full(base.size, drawing.UNIT) if factor is None else np.minimum(drawing.UNIT,
                                                                                np.ceil(base * factor - 1e-9))
        net = network.build_network(ctx.inst, ctx.departments[department_index], problem.needs, problem.pairs,
                                    cap.astype(np.int64), drawing.UNIT)
        flow = network.max_flow_values(net)
        if network.staffed_needs(net, flow, problem.needs.subjects.size, drawing.UNIT).all():
            return rung, net, flow
    return None


def test_the_search_gives_the_walks_rung_and_flow_on_random_cities():
    climbed = set()
    for seed in range(40):
        inst = parse_teams(_city(seed))
        ctx = SolveContext.build(inst)
        subjects = np.array(screen(ctx).candidates, dtype=np.int64)
        for department_index in range(len(ctx.departments)):
            problem = ctx.department_problem(department_index, subjects, ctx.day_array({}), ctx.all_dense())
            if problem.needs.subjects.size == 0:
                continue
            walked = _walked(ctx, department_index, problem)
            first = drawing.capped_fraction(ctx, department_index, problem, rungs=1)  # as phase A asks
            searched = drawing.capped_fraction(ctx, department_index, problem)
            if walked is None:
                assert first is None and searched is None
                continue
            rung, net, flow = walked
            climbed.add(rung)
            assert (first is not None) == (rung == 0)
            assert np.array_equal(searched.net.caps, net.caps) and np.array_equal(searched.flow, flow)
    assert len(climbed) >= 3, climbed  # the instances do climb: the search is not only tried at the bottom


def test_no_capped_network_is_solved_twice_in_one_solve():
    """Phase A finds the bottom rung infeasible; the draw starts above it instead of solving it again (and
    rungs whose caps round to the same are solved once)."""
    solved = []
    plain = network.max_flow_values

    def recording(net):
        if net.caps[net.seat_arcs].min() >= drawing.UNIT:  # a capped flow's network (an integral one has unit 1)
            solved.append((net.tails.tobytes(), net.heads.tobytes(), net.caps.tobytes()))
        return plain(net)

    climbed = 0
    for seed in range(12):
        problem = _city(seed)
        solved.clear()
        with mock.patch.object(network, "max_flow_values", recording):
            result = solve_teams(problem)
        assert len(solved) == len(set(solved)), seed
        q = problem.get("max_pair_probability")
        climbed += q is not None and result["randomness"]["least_feasible_cap"] > q + 1e-9
    assert climbed  # some instance did need a cap above q, so its bottom rung was found infeasible
