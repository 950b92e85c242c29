"""The flow network merges a need's candidates that hold the same of its requirements into one holder class.

The reference is the network as it was before (solver 0.1): one node per (need, inspector) pair that holds a
requirement, an arc from it to each requirement seat it may fill and one to the general seat. Both networks
must reach the same maximum flow at every cap of the ladder and with unit caps (the integral flows of
phase A), so they staff the same needs and find the same least feasible cap; the class network is much
smaller (that is what makes the city's ten max flows cheaper).
"""

import numpy as np
from ortools.graph.python import max_flow

from solver import drawing, network
from solver.context import SolveContext
from solver.instance import parse_teams
from solver.screening import screen
from solver.teams import solve_teams

from .test_solver_ladder import _city


def _reference_max_flow(needs: network.DeptNeeds, pairs: network.Pairs, capacity: np.ndarray,
                        pair_cap: np.ndarray, unit: int) -> int:
    """The maximum flow of the per-pair network (no dates)."""
    n_needs, n_insp = needs.subjects.size, capacity.size
    n_reqs = needs.n_reqs()
    general = needs.sizes - n_reqs
    representable = general >= 0
    n_reqs = np.where(representable, n_reqs, 0)
    req_base = np.cumsum(n_reqs) - n_reqs
    seat_base = 2 + n_insp
    req_seat_base = seat_base + n_needs
    pair_base = req_seat_base + int(n_reqs.sum())
    solver = max_flow.SimpleMaxFlow()
    cap = np.where(capacity < 0, n_needs, np.minimum(capacity, n_needs))
    for i in range(n_insp):
        solver.add_arc_with_capacity(0, 2 + i, int(cap[i]) * unit)
    for p in range(pairs.need.size):
        j, mask = int(pairs.need[p]), int(pairs.mask[p])
        if mask == 0 or not representable[j]:
            solver.add_arc_with_capacity(2 + int(pairs.insp[p]), seat_base + j, int(pair_cap[p]))
            continue
        solver.add_arc_with_capacity(2 + int(pairs.insp[p]), pair_base + p, int(pair_cap[p]))
        if general[j] > 0:
            solver.add_arc_with_capacity(pair_base + p, seat_base + j, unit)
        for r in range(int(n_reqs[j])):
            if (mask >> r) & 1:
                solver.add_arc_with_capacity(pair_base + p, req_seat_base + int(req_base[j]) + r, unit)
    for j in range(n_needs):
        if general[j] > 0:
            solver.add_arc_with_capacity(seat_base + j, 1, int(general[j]) * unit)
        for r in range(int(n_reqs[j])):
            solver.add_arc_with_capacity(req_seat_base + int(req_base[j]) + r, 1, unit)
    assert solver.solve(0, 1) == solver.OPTIMAL
    return solver.optimal_flow()


def _flow_value(net: network.Network, flow: np.ndarray) -> int:
    return int(flow[net.seat_arcs].sum())


def test_holder_classes_reach_the_per_pair_networks_maximum_at_every_cap():
    merged = 0
    for seed in range(25):
        inst = parse_teams(_city(seed))
        ctx = SolveContext.build(inst)
        subjects = np.array(screen(ctx).candidates, dtype=np.int64)
        for department_index, dept in enumerate(ctx.departments):
            problem = ctx.department_problem(department_index, subjects, ctx.day_array({}), ctx.all_dense())
            needs, pairs = problem.needs, problem.pairs
            if needs.subjects.size == 0:
                continue
            base = drawing._base_caps(ctx, problem)
            caps = [(np.ones(pairs.need.size, dtype=np.int64), 1)] + [
                ((np.full(base.size, drawing.UNIT) if factor is None
                  else np.minimum(drawing.UNIT, np.ceil(base * factor - 1e-9))).astype(np.int64), drawing.UNIT)
                for factor in drawing.LADDER]
            for pair_cap, unit in caps:
                net = network.build_network(inst, dept, needs, pairs, pair_cap, unit)
                flow = network.max_flow_values(net)
                assert _flow_value(net, flow) == _reference_max_flow(needs, pairs, dept.capacity, pair_cap, unit), seed
                # Every pair within its cap, every inspector within its capacity, conservation at every node.
                assert (flow >= 0).all() and (flow <= net.caps).all()
                balance = np.bincount(net.heads, weights=flow, minlength=net.n_nodes) - \
                    np.bincount(net.tails, weights=flow, minlength=net.n_nodes)
                assert not balance[2:].any()
            holders = int(((pairs.mask != 0) & net.representable[pairs.need]).sum())
            classes = int((net.pair_class.max() + 1) if net.pair_class.size else 0)
            assert classes <= holders
            merged += holders - classes
            # One node per holder class, none per pair.
            assert net.n_nodes == 2 + dept.global_ids.size + needs.subjects.size + \
                int(np.where(net.representable, needs.n_reqs(), 0).sum()) + classes
    assert merged > 0  # the instances do have pairs of one need holding the same requirements


def test_the_lead_seat_goes_to_a_drawn_member_who_may_lead_and_every_one_of_them_can_get_it():
    """The class filling a lead seat hands it to one of its drawn members at random: over seeds, more than one
    member of a team takes it, and always one who may lead."""
    problem = {"seed": "s", "lead_department": "a", "departments": [{"id": "a"}],
               "inspectors": [{"id": f"a-{k}", "department": "a", "can_lead": k < 4, "tags": ["x"] if k % 2 else []}
                              for k in range(8)],
               "subjects": [{"id": "S", "needs": [{"department": "a", "size": 3, "tags": ["x"]}]}]}
    leaders = set()
    for seed in range(60):
        result = solve_teams({**problem, "seed": f"lead-{seed}"})
        (team,) = result["teams"]
        assert team["leader"] in {m["inspector"] for m in team["members"]}
        assert int(team["leader"].split("-")[1]) < 4
        leaders.add(team["leader"])
    assert leaders == {f"a-{k}" for k in range(4)}
