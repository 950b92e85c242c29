"""Benchmark of the solver against a naive platform-style draw and a plain CP-SAT model, on seeded instances.

Run: `.venv/bin/python bench/bench_solver.py [--quick]`. Prints one table (Markdown) to standard output.
Each row runs in a fresh process so peak RSS is that row's own; "load" is the machine's 1-minute load
average as the row ends (other work on a shared machine slows every row).
"""

from __future__ import annotations

import argparse
import gc
import json
import multiprocessing as mp
import os
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's solver, not an installed one

DEPT_IDS = ["yjj", "scj", "swj", "xfj", "hbj", "zjj", "jtj", "nyj", "wjj", "sljj"]
DEPT_NAMES = ["应急管理局", "市场监督管理局", "商务局", "消防救援大队", "生态环境局",
              "住房和城乡建设局", "交通运输局", "农业农村局", "卫生健康委员会", "水利局"]
TAGS = ["危险化学品", "烟花爆竹", "工贸", "成品油"]
CPSAT_PAIR_LIMIT = 2_000_000  # beyond this the plain model does not fit in the 2 GB budget


def teams_instance(n_subjects: int, n_depts: int, n_inspectors: int, *, seed: int, days: int = 0,
                   capacity: int | None = None, capacity_share: float = 1.25, q: float | None = 0.35) -> dict:
    """Seeded synthetic county/city: 2–4 departments per subject, expertise and zone tags, a recusal for 30% of subjects."""
    rnd = random.Random(seed)
    depts = DEPT_IDS[:n_depts]
    zones = [f"zone:片区{k}" for k in range(4)]
    per_dept = n_inspectors // n_depts
    day_list = [f"2024-06-{3 + k:02d}" for k in range(days)]
    subjects, conflicts = [], []
    for s in range(n_subjects):
        sid = f"9113{s:014d}"
        needed = [depts[0]] + rnd.sample(depts[1:], rnd.randint(1, 3))
        needs = []
        for d in needed:
            tags = [rnd.choice(zones)] if rnd.random() < 0.5 else []
            if d == depts[0] and rnd.random() < 0.3:
                tags.append(rnd.choice(TAGS))
            needs.append({"department": d, "size": 2, "tags": tags})
        subjects.append({"id": sid, "needs": needs})
        if rnd.random() < 0.3:
            d = rnd.choice(needed)
            conflicts.append({"inspector": f"{d}-{rnd.randrange(per_dept):04d}", "subject": sid, "reason": "近亲属"})
    inspectors = []
    for d in depts:
        # 25% slack over the department's seats (capacity_share 1.25) unless a capacity is imposed.
        seats = sum(n["size"] for s in subjects for n in s["needs"] if n["department"] == d)
        cap = capacity or int(seats / per_dept * capacity_share) + 1
        for k in range(per_dept):
            tags = [zones[k % len(zones)]]  # every zone has its own group in every department
            if k % 3 == 0:
                tags.append(TAGS[(k // 3) % len(TAGS)])
            record = {"id": f"{d}-{k:04d}", "department": d, "tags": tags, "capacity": cap,
                      "can_lead": rnd.random() < 0.7}
            if day_list and rnd.random() < 0.3:
                record["unavailable"] = [rnd.choice(day_list)]
            inspectors.append(record)
    problem = {"seed": f"bench-{seed}", "lead_department": depts[0],
               "departments": [{"id": d, "name": DEPT_NAMES[k]} for k, d in enumerate(depts)],
               "inspectors": inspectors, "subjects": subjects, "conflicts": conflicts}
    if q is not None:
        problem["max_pair_probability"] = q
    if day_list:
        problem["days"] = day_list
        problem["daily_capacity"] = 2
    return problem


def city_instance(n_subjects: int = 50_000, n_depts: int = 10, n_inspectors: int = 3000, *, seed: int = 4,
                  expertise_share: float = 0.5, zone_share: float = 1 / 3, capacity_share: float = 1.3,
                  recusal_rate: float = 0.002, q: float | None = 0.35) -> dict:
    """The city of issue 15: 2–4 departments per subject, half the needs with an expertise tag, a third
    with a zone tag, capacities 1.3× the department's average load, 0.2 % of the subject–inspector pairs
    of the departments a subject needs recused."""
    rnd = random.Random(seed)
    depts = DEPT_IDS[:n_depts]
    zones = [f"zone:片区{k}" for k in range(8)]
    expertise = [f"专长{k}" for k in range(6)]
    per_dept = n_inspectors // n_depts
    subjects, conflicts = [], []
    for s in range(n_subjects):
        sid = f"9112{s:014d}"
        needs = []
        for d in sorted(rnd.sample(depts, rnd.randint(2, 4)), key=depts.index):
            tags = ([rnd.choice(expertise)] if rnd.random() < expertise_share else []) + \
                   ([rnd.choice(zones)] if rnd.random() < zone_share else [])
            needs.append({"department": d, "size": 2, "tags": tags})
            for k in range(per_dept):
                if rnd.random() < recusal_rate:
                    conflicts.append({"inspector": f"{d}-{k:04d}", "subject": sid})
        subjects.append({"id": sid, "needs": needs})
    inspectors = []
    for d in depts:
        seats = sum(n["size"] for s in subjects for n in s["needs"] if n["department"] == d)
        cap = int(seats / per_dept * capacity_share) + 1
        for k in range(per_dept):
            tags = [zones[k % len(zones)]] + [t for t in expertise if rnd.random() < 0.25]
            inspectors.append({"id": f"{d}-{k:04d}", "department": d, "tags": tags, "capacity": cap,
                               "can_lead": rnd.random() < 0.7})
    problem = {"seed": f"city-{seed}", "lead_department": depts[0],
               "departments": [{"id": d, "name": DEPT_NAMES[k]} for k, d in enumerate(depts)],
               "inspectors": inspectors, "subjects": subjects, "conflicts": conflicts}
    if q is not None:
        problem["max_pair_probability"] = q
    return problem


def planted_dated_instance(n_subjects: int, *, seed: int, n_depts: int = 3, per_dept: int = 12, n_days: int = 10,
                           away: float = 0.6) -> dict:
    """A dated instance with a full schedule planted: each subject gets a day and a whole team free that day
    (one visit a day), its tags are held by that team, capacities equal the planted loads, and every
    inspector is away on each day the plant leaves them free with probability `away`."""
    rnd = random.Random(seed)
    depts = DEPT_IDS[:n_depts]
    day_list = [f"2024-06-{3 + k:02d}" for k in range(n_days)]
    zones = [f"zone:片区{k}" for k in range(3)]
    inspectors = {d: [{"id": f"{d}-{k:03d}", "department": d,
                       "tags": [zones[k % 3]] + ([TAGS[k % len(TAGS)]] if rnd.random() < 0.4 else []),
                       "can_lead": rnd.random() < 0.6} for k in range(per_dept)] for d in depts}
    busy: set[tuple[str, int]] = set()
    load: dict[str, int] = {}
    subjects = []
    for s in range(n_subjects):
        needed = [depts[0]] + rnd.sample(depts[1:], rnd.randint(1, n_depts - 1))
        for _attempt in range(50):
            day = rnd.randrange(n_days)
            teams = {}
            for d in needed:
                free = [i for i in inspectors[d] if (i["id"], day) not in busy]
                size = rnd.choice((1, 2, 2))
                if len(free) < size:
                    break
                team = rnd.sample(free, size)
                if d == depts[0] and not any(i["can_lead"] for i in team):
                    leaders = [i for i in free if i["can_lead"] and i not in team]
                    if not leaders:
                        break
                    team[0] = rnd.choice(leaders)
                teams[d] = team
            else:
                break
        else:
            continue  # no day had room: the subject is left out of the instance
        needs = []
        for d, team in teams.items():
            held = sorted({t for i in team for t in i["tags"]})
            tags = rnd.sample(held, min(len(held), rnd.choice((0, 1, 1, 2))))
            needs.append({"department": d, "size": len(team), "tags": tags})
            for i in team:
                busy.add((i["id"], day))
                load[i["id"]] = load.get(i["id"], 0) + 1
        subjects.append({"id": f"9113{s:014d}", "needs": needs})
    records = []
    for d in depts:
        for i in inspectors[d]:
            away_days = [day_list[t] for t in range(n_days) if (i["id"], t) not in busy and rnd.random() < away]
            records.append({**i, "capacity": load.get(i["id"], 0), "unavailable": away_days})
    return {"seed": f"planted-{seed}", "lead_department": depts[0],
            "departments": [{"id": d, "name": DEPT_NAMES[k]} for k, d in enumerate(depts)],
            "inspectors": records, "subjects": subjects, "conflicts": [], "days": day_list, "daily_capacity": 1,
            "max_pair_probability": 0.5}


def draw_instance(n: int, strata: int, seed: int) -> dict:
    rnd = random.Random(seed)
    ratios = [0.02, 0.2, 0.8, 0.2, 0.05, 0.5, 0.1, 0.3, 0.02, 0.2]
    return {"seed": f"bench-draw-{seed}",
            "strata": [{"id": f"层{k}", "ratio": ratios[k % len(ratios)]} for k in range(strata)],
            "subjects": [{"id": f"91{k:016d}", "stratum": f"层{rnd.randrange(strata)}",
                          "weight": float(rnd.choice([0.5, 1, 1, 2, 4])), "must": rnd.random() < 0.001}
                         for k in range(n)]}


# --- the two baselines --------------------------------------------------------------------------

def naive_draw(problem: dict, seed: int = 0, date_first: bool = False) -> int:
    """Platform style: per subject, per department, shuffle the list and take the first eligible.

    With `date_first`, each subject takes the first of the days (in order) on which every department
    finds a team so (the naive date-first schedule); otherwise one random day.
    """
    rnd = random.Random(seed)
    by_dept: dict[str, list[dict]] = {}
    for i in problem["inspectors"]:
        by_dept.setdefault(i["department"], []).append(i)
    conflicts = {(c["inspector"], c["subject"]) for c in problem.get("conflicts", [])}
    lead = problem.get("lead_department")
    days = problem.get("days") or [None]
    load: dict[str, int] = {}
    day_load: dict[tuple[str, str], int] = {}

    def attempt(subject: dict, day: str | None) -> bool:
        taken: list[str] = []
        for need in subject["needs"]:
            pool = by_dept[need["department"]][:]
            rnd.shuffle(pool)

            def free(i):
                if (i["id"], subject["id"]) in conflicts or load.get(i["id"], 0) >= (i.get("capacity") or 10**9):
                    return False
                return day is None or (day not in (i.get("unavailable") or [])
                                       and day_load.get((i["id"], day), 0) < problem.get("daily_capacity", 1))
            # First eligible holder of each tag, then the first eligible for the remaining seats.
            team = []
            for tag in need.get("tags", []):
                if not any(tag in m.get("tags", []) for m in team):
                    team += [i for i in pool if free(i) and tag in i.get("tags", []) and i not in team][:1]
            team += [i for i in pool if free(i) and i not in team][:max(0, need["size"] - len(team))]
            covered = all(any(t in m.get("tags", []) for m in team) for t in need.get("tags", []))
            leads = need["department"] != lead or any(m.get("can_lead", True) for m in team)
            if len(team) < need["size"] or not covered or not leads:
                for m in taken:  # released: the subject fails
                    load[m] -= 1
                    day_load[m, day] -= 1
                return False
            taken.extend(m["id"] for m in team)
            for m in team:  # held while the other departments are drawn
                load[m["id"]] = load.get(m["id"], 0) + 1
                day_load[m["id"], day] = day_load.get((m["id"], day), 0) + 1
        return True

    staffed = 0
    for subject in problem["subjects"]:
        tries = days if date_first else [rnd.choice(days)]
        staffed += any(attempt(subject, day) for day in tries)
    return staffed


def bench_instance(kind: str, **params) -> dict:
    return {"teams": teams_instance, "planted": planted_dated_instance, "city": city_instance}[kind](**params)


# --- rows ---------------------------------------------------------------------------------------

def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _row(kind: str, name: str, params: dict, out: mp.Queue) -> None:
    import solver
    from solver.cpsat import solve_exact
    from solver.instance import parse_teams
    from solver.teams import solve_teams_outcome

    if kind == "draw":
        problem = draw_instance(**params)
        text = json.dumps(problem, ensure_ascii=False)
        gc.collect()
        base = _rss_mb()
        t0 = time.perf_counter()
        loaded = json.loads(text)
        t1 = time.perf_counter()
        result = solver.draw_subjects(loaded)
        t2 = time.perf_counter()
        out.put({"name": name, "method": "ours (draw)", "time": t2 - t1, "extra": f"JSON 解析另计 {t1 - t0:.2f} s",
                 "rss": _rss_mb(), "base": base, "staffed": f"{len(result['drawn'])} 抽中", "pmax": "精确 π"})
        return
    limit = params.pop("cpsat_limit", None)
    problem = bench_instance(**params)
    gc.collect()
    base = _rss_mb()
    n = len(problem["subjects"])
    if kind == "ours":
        t0 = time.perf_counter()
        outcome = solve_teams_outcome(problem)
        elapsed = time.perf_counter() - t0
        result = outcome.result
        violations = solver.check_teams(problem, result)
        r = result["randomness"]
        bound = f", bound {outcome.upper_bound}" if outcome.upper_bound is not None else ""
        out.put({"name": name, "method": "ours", "time": elapsed, "rss": _rss_mb(), "base": base,
                 "staffed": f"{len(result['teams'])}/{n}{bound}",
                 "pmax": f"{r['largest_pair_probability']:.3f} (cand/seat {r['mean_candidates_per_seat']})",
                 "extra": f"check: {len(violations)} violations, uncapped {len(r['uncapped_pairs'])}"})
    elif kind == "naive":
        t0 = time.perf_counter()
        dated = bool(problem.get("days"))
        staffed = naive_draw(problem, date_first=dated)
        out.put({"name": name, "method": "naive date-first" if dated else "naive shuffle",
                 "time": time.perf_counter() - t0, "rss": _rss_mb(),
                 "base": base, "staffed": f"{staffed}/{n} (fails {n - staffed})", "pmax": "not controlled",
                 "extra": ""})
    elif kind == "cpsat":
        pairs = sum(1 for s in problem["subjects"] for nd in s["needs"]) * (len(problem["inspectors"])
                                                                           // len(problem["departments"]))
        if pairs > CPSAT_PAIR_LIMIT:
            out.put({"name": name, "method": "CP-SAT", "time": None, "rss": None, "base": base,
                     "staffed": "skipped", "pmax": "-",
                     "extra": f"{pairs / 1e6:.0f}M pair variables: model not built (> 2M)"})
            return
        inst = parse_teams(problem)
        t0 = time.perf_counter()
        res = solve_exact(inst, list(range(n)), deterministic_time=None, wall_time=limit, workers=2)
        out.put({"name": name, "method": f"CP-SAT ({limit} s limit, 2 workers)",
                 "time": time.perf_counter() - t0, "rss": _rss_mb(), "base": base,
                 "staffed": f"{len(res.staffed)}/{n}" if res.feasible else "no solution",
                 "pmax": "deterministic (1.0)", "extra": "optimal" if res.optimal else "time limit"})


def run(kind: str, name: str, params: dict) -> dict:
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_row, args=(kind, name, params, q))
    p.start()
    row = q.get(timeout=1800)
    p.join()
    row["load"] = os.getloadavg()[0]  # the machine may be shared: its 1-minute load average as the row ends
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="skip the city and the 1M draw")
    parser.add_argument("--only", help="run only the instances whose name contains this")
    args = parser.parse_args()
    plan = [
        ("county 2,500×4×120", dict(kind="teams", n_subjects=2500, n_depts=4, n_inspectors=120, seed=1)),
        ("county, capacity tight", dict(kind="teams", n_subjects=2500, n_depts=4, n_inspectors=120, seed=2,
                                        capacity=55)),
        ("county 800×4×14, capacity ⅓ of demand", dict(kind="teams", n_subjects=800, n_depts=4, n_inspectors=56,
                                                      seed=6, capacity_share=1 / 3)),
        ("county 300 subjects, 10 days", dict(kind="teams", n_subjects=300, n_depts=4, n_inspectors=120, seed=3,
                                              days=10)),
        ("planted dated, 100 asked (seed 1)", dict(kind="planted", n_subjects=100, per_dept=12, seed=1)),
        ("planted dated, 100 asked (seed 2)", dict(kind="planted", n_subjects=100, per_dept=12, seed=2)),
        ("planted dated, 200 asked (seed 1)", dict(kind="planted", n_subjects=200, per_dept=22, seed=1)),
        ("planted dated, 200 asked (seed 2)", dict(kind="planted", n_subjects=200, per_dept=22, seed=2)),
        ("planted dated, 300 asked (seed 2)", dict(kind="planted", n_subjects=300, per_dept=32, seed=2)),
        ("planted dated, 400 asked (seed 1)", dict(kind="planted", n_subjects=400, per_dept=42, seed=1)),
    ]
    if not args.quick:
        plan.append(("city 50,000×10×3,000 (issue 15 shape)", dict(kind="city")))
    if args.only:
        plan = [(name, params) for name, params in plan if args.only in name]
    rows = []
    for name, params in plan:
        rows.append(run("ours", name, params))
        rows.append(run("naive", name, params))
        rows.append(run("cpsat", name, {**params, "cpsat_limit": 30}))
    if not args.quick and not args.only:
        rows.append(run("draw", "draw 1,000,000 × 10 strata", dict(n=1_000_000, strata=10, seed=5)))
    print("| instance | method | time (s) | peak RSS (MB) | staffed | largest pair prob. | load | note |")
    print("|---|---|---:|---:|---|---|---:|---|")
    for r in rows:
        t = f"{r['time']:.2f}" if r["time"] is not None else "-"
        rss = f"{r['rss']:.0f}" if r["rss"] is not None else "-"
        print(f"| {r['name']} | {r['method']} | {t} | {rss} | {r['staffed']} | {r['pmax']} | {r['load']:.1f} | "
              f"{r['extra']} |", flush=True)


if __name__ == "__main__":
    main()
