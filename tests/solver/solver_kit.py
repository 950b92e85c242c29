"""Test helpers for the solver: tiny instance builders and a brute-force maximum for cross-checking."""

from __future__ import annotations

import itertools

from hypothesis import strategies as st


def teams_problem(inspectors, subjects, *, departments=("a", "b"), seed="s", **extra) -> dict:
    problem = {
        "seed": seed,
        "departments": [{"id": d, "name": f"{d}局"} for d in departments],
        "inspectors": inspectors,
        "subjects": subjects,
    }
    problem.update(extra)
    return problem


def brute_force_max(problem: dict) -> int:
    """The most subjects any valid assignment staffs, by enumerating every team of every subject."""
    insp = problem["inspectors"]
    conflicts = {(c["inspector"], c["subject"]) for c in problem.get("conflicts") or []}
    days = problem.get("days") or [None]
    lead = problem.get("lead_department")
    daily = problem.get("daily_capacity") or 1

    def options(subject):
        out = []
        for day in days:
            per_need = []
            for need in subject["needs"]:
                pool = [i for i in insp if i["department"] == need["department"]
                        and (i["id"], subject["id"]) not in conflicts and i.get("capacity") != 0
                        and (day is None or day not in (i.get("unavailable") or []))]
                combos = []
                for team in itertools.combinations(pool, need["size"]):
                    if not all(any(t in (m.get("tags") or []) for m in team) for t in need.get("tags") or []):
                        continue
                    if need["department"] == lead and not any(m.get("can_lead", True) for m in team):
                        continue
                    combos.append(tuple(m["id"] for m in team))
                per_need.append(combos)
            for pick in itertools.product(*per_need):
                out.append((day, [i for team in pick for i in team]))
        return out

    subjects = [options(s) for s in problem["subjects"]]
    cap = {i["id"]: i.get("capacity") for i in insp}
    best = 0

    def go(k, load, day_load, count):
        nonlocal best
        best = max(best, count)
        if k == len(subjects) or count + len(subjects) - k <= best:
            return
        for day, members in subjects[k]:
            if any(cap[i] is not None and load.get(i, 0) >= cap[i] for i in members):
                continue
            if day is not None and any(day_load.get((i, day), 0) >= daily for i in members):
                continue
            for i in members:
                load[i] = load.get(i, 0) + 1
                day_load[i, day] = day_load.get((i, day), 0) + 1
            go(k + 1, load, day_load, count + 1)
            for i in members:
                load[i] -= 1
                day_load[i, day] -= 1
        go(k + 1, load, day_load, count)

    go(0, {}, {}, 0)
    return best


@st.composite
def tiny_problems(draw, max_subjects=3):
    """Small random instances touching every rule: tags, recusal, capacity, leader, days."""
    departments = draw(st.sampled_from([("a",), ("a", "b")]))
    tags = ["危险化学品", "zone:城关镇"]
    use_days = draw(st.booleans())
    days = ["2024-06-03", "2024-06-04"] if use_days else None
    inspectors = []
    for d in departments:
        for k in range(draw(st.integers(1, 4))):
            record = {"id": f"{d}-{k}", "department": d,
                      "tags": draw(st.lists(st.sampled_from(tags), max_size=2, unique=True))}
            if draw(st.booleans()):
                record["capacity"] = draw(st.integers(0, 3))
            if draw(st.booleans()):
                record["can_lead"] = draw(st.booleans())
            if days and draw(st.booleans()):
                record["unavailable"] = [draw(st.sampled_from(days))]
            inspectors.append(record)
    subjects = []
    for s in range(draw(st.integers(1, max_subjects))):
        needed = draw(st.lists(st.sampled_from(departments), min_size=1, max_size=len(departments), unique=True))
        subjects.append({"id": f"S{s}", "needs": [
            {"department": d, "size": draw(st.integers(1, 2)),
             "tags": draw(st.lists(st.sampled_from(tags), max_size=2, unique=True))} for d in needed]})
    conflicts = []
    for subject in subjects:
        for i in inspectors:
            if draw(st.integers(0, 5)) == 0:
                conflicts.append({"inspector": i["id"], "subject": subject["id"], "reason": "近亲属"})
    problem = teams_problem(inspectors, subjects, departments=departments,
                            seed=draw(st.sampled_from(["s1", "s2", "第三"])), conflicts=conflicts)
    if draw(st.booleans()):
        problem["lead_department"] = "a"
    if days:
        problem["days"] = days
        problem["daily_capacity"] = draw(st.integers(1, 2))
    if draw(st.booleans()):
        problem["max_pair_probability"] = draw(st.sampled_from([0.3, 0.5, 1.0]))
    return problem
