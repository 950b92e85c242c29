"""The solver as an outside auditor calls it: statement by statement of `../shared/contracts/solver.md`.

The result's fields and types, standard output versus `-o`, timings on standard error only, the input hash
of the contract, `check` on malformed results (violations and exit 1, never a traceback), very large
numbers, null standing for a default, and one line per error whatever an id holds.
"""

import copy
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from solver import SolverInputError, check_teams, draw_subjects, solve_teams
from solver.__main__ import main
from solver.common import dumps
from tests.solver.solver_kit import teams_problem

ROOT = Path(__file__).resolve().parents[2]

TEAMS = teams_problem(
    [{"id": "应急-01", "department": "a", "tags": ["危险化学品"], "capacity": 8, "can_lead": True,
      "unavailable": ["2024-06-10"]},
     {"id": "应急-02", "department": "a"}, {"id": "应急-03", "department": "a", "can_lead": False},
     {"id": "市场-01", "department": "b"}, {"id": "市场-02", "department": "b"}, {"id": "市场-03", "department": "b"}],
    [{"id": "91131126MA0D12345X", "needs": [{"department": "a", "size": 2, "tags": ["危险化学品"]},
                                            {"department": "b", "size": 2, "tags": []}]},
     {"id": "清河县某某商店", "needs": [{"department": "b", "size": 1}]}],
    seed="2024-清河-联合-001-teams", lead_department="a",
    conflicts=[{"inspector": "应急-01", "subject": "清河县某某商店", "reason": "近亲属"}],
    days=["2024-06-03", "2024-06-04"], daily_capacity=2, max_pair_probability=0.5, report_pair_probabilities=True)

DRAW = {"seed": "2024-清河-联合-001",
        "strata": [{"id": "重点", "all": True}, {"id": "一般", "ratio": 0.5}, {"id": "专项", "count": 2}],
        "subjects": [{"id": f"S{k:02d}", "stratum": ["重点", "一般", "专项", "无配额"][k % 4], "weight": 1 + k % 3,
                      "must": k == 6} for k in range(16)]}


def _write(tmp_path, name, value) -> str:
    path = tmp_path / name
    path.write_text(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False), encoding="utf-8")
    return str(path)


def _contract_hash(problem) -> str:
    text = json.dumps(problem, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- results: fields, types, where they go ------------------------------------------------------

def test_a_teams_result_has_the_contract_fields_and_types():
    result = solve_teams(copy.deepcopy(TEAMS))
    assert list(result) == ["seed", "input_sha256", "status", "teams", "unstaffed", "randomness", "versions"]
    assert result["seed"] == TEAMS["seed"] and result["input_sha256"] == _contract_hash(TEAMS)
    assert result["status"] in ("complete", "partial")
    assert set(result["versions"]) == {"solver", "ortools", "numpy"}
    for team in result["teams"]:
        assert set(team) == {"subject", "date", "leader", "members"} and team["date"] in TEAMS["days"]
        assert all(set(m) == {"inspector", "department"} for m in team["members"])
    randomness = result["randomness"]
    assert {"max_pair_probability", "mean_candidates_per_seat", "uncapped_pairs", "least_feasible_cap",
            "pair_probabilities"} <= set(randomness)
    for pair in randomness["uncapped_pairs"] + randomness["pair_probabilities"]:
        assert set(pair) == {"inspector", "subject", "probability"} and isinstance(pair["probability"], float)
    assert check_teams(TEAMS, result) == []


def test_a_draw_result_has_the_contract_fields_and_types():
    result = draw_subjects(copy.deepcopy(DRAW))
    assert list(result) == ["seed", "input_sha256", "versions", "drawn", "strata"]
    assert result["input_sha256"] == _contract_hash(DRAW) and set(result["versions"]) == {"solver", "numpy"}
    assert all(set(d) == {"id", "stratum", "probability", "must"} for d in result["drawn"])
    assert result["strata"] == [{"id": "重点", "population": 4, "drawn": 4}, {"id": "一般", "population": 4, "drawn": 2},
                                {"id": "专项", "population": 4, "drawn": 2}]
    assert not any(d["stratum"] == "无配额" for d in result["drawn"])


@pytest.mark.parametrize("command,problem,solve", [("teams", TEAMS, solve_teams), ("draw", DRAW, draw_subjects)])
def test_standard_output_or_the_file_hold_the_same_bytes_and_timings_go_to_standard_error(
        tmp_path, capsys, command, problem, solve):
    path = _write(tmp_path, "p.json", problem)
    assert main([command, path]) == 0
    shown = capsys.readouterr()
    assert shown.out == dumps(solve(copy.deepcopy(problem))) and "秒" in shown.err
    assert main([command, path, "-o", str(tmp_path / "r.json")]) == 0
    written = capsys.readouterr()
    assert written.out == "" and (tmp_path / "r.json").read_text(encoding="utf-8") == shown.out
    assert "秒" not in shown.out and "time" not in shown.out


def test_mean_candidates_per_seat_counts_the_candidates_of_each_seat():
    problem = teams_problem([{"id": f"a{k}", "department": "a"} for k in range(3)],
                            [{"id": "S", "needs": [{"department": "a", "size": 1}]}], departments=("a",))
    assert solve_teams(problem)["randomness"]["mean_candidates_per_seat"] == 3.0


def test_check_exits_0_on_a_valid_result_1_on_a_violation_and_2_on_bad_input(tmp_path, capsys):
    problem = _write(tmp_path, "p.json", TEAMS)
    result = solve_teams(copy.deepcopy(TEAMS))
    assert main(["check", problem, _write(tmp_path, "r.json", result)]) == 0
    result["teams"][0]["members"].pop()
    assert main(["check", problem, _write(tmp_path, "r.json", result)]) == 1
    bad = copy.deepcopy(TEAMS)
    bad["subjects"][0]["needs"][0]["size"] = -1
    capsys.readouterr()
    assert main(["check", _write(tmp_path, "bad.json", bad), str(tmp_path / "r.json")]) == 2
    assert capsys.readouterr().err.count("\n") == 1


# --- check on results that are not what the contract gives ---------------------------------------

def _tamper(change):
    def apply(result):
        change(result)
        return result
    return apply


MALFORMED = [
    ("team not an object", _tamper(lambda r: r["teams"].append("x")), "teams[2] 应为 JSON 对象"),
    ("subject a list", _tamper(lambda r: r["teams"][0].update(subject=["x"])), "teams[0].subject"),
    ("members a string", _tamper(lambda r: r["teams"][0].update(members="x")), "teams[0].members"),
    ("member not an object", _tamper(lambda r: r["teams"][0]["members"].append(3)), "teams[0].members[4]"),
    ("date an object", _tamper(lambda r: r["teams"][0].update(date={})), "teams[0].date"),
    ("unstaffed not an object", _tamper(lambda r: r["unstaffed"].append("x")), "unstaffed[0]"),
    ("randomness a string", _tamper(lambda r: r.update(randomness="x")), "randomness"),
    ("uncapped pair not an object", _tamper(lambda r: r["randomness"]["uncapped_pairs"].append("x")),
     "randomness.uncapped_pairs"),
    ("probability a string", _tamper(lambda r: r["randomness"]["uncapped_pairs"].append(
        {"inspector": "市场-01", "subject": "清河县某某商店", "probability": "0.9"})), "probability"),
    ("probability beyond every float", _tamper(lambda r: r["randomness"].update(least_feasible_cap=10 ** 400)),
     "least_feasible_cap"),
    ("no versions", _tamper(lambda r: r.pop("versions")), "versions"),
    ("forged uncapped pair", _tamper(lambda r: r["randomness"]["uncapped_pairs"].append(
        {"inspector": "市场-03", "subject": "清河县某某商店", "probability": 0.9})), "与所列配对概率"),
    ("least feasible cap below a pair", _tamper(lambda r: r["randomness"].update(least_feasible_cap=0.1)),
     "least_feasible_cap"),
    ("unstaffed under a department not needed", _tamper(lambda r: (
        r["teams"].pop(), r["unstaffed"].append({"subject": "清河县某某商店", "department": "a", "reason": "x"}),
        r.update(status="partial"))), "不是它需要的部门"),
    ("pair of a department the subject does not need", _tamper(lambda r: r["randomness"]["pair_probabilities"].append(
        {"inspector": "应急-02", "subject": "清河县某某商店", "probability": 0.5})), "检查对象不需要部门 a"),
    ("blank reason", _tamper(lambda r: (
        r["teams"].pop(), r["unstaffed"].append({"subject": "清河县某某商店", "department": "b", "reason": " "}),
        r.update(status="partial"))), "缺少原因"),
]


@pytest.mark.parametrize("name,tamper,complaint", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_check_names_what_is_wrong_with_a_malformed_result(tmp_path, capsys, name, tamper, complaint):
    result = tamper(solve_teams(copy.deepcopy(TEAMS)))
    violations = check_teams(TEAMS, result)
    assert any(complaint in line for line in violations), violations
    assert main(["check", _write(tmp_path, "p.json", TEAMS), _write(tmp_path, "r.json", result)]) == 1
    assert "Traceback" not in capsys.readouterr().err


def test_check_rejects_pair_probabilities_the_input_did_not_ask_for():
    without = {k: v for k, v in TEAMS.items() if k != "report_pair_probabilities"}
    result = solve_teams(copy.deepcopy(without))
    result["randomness"]["pair_probabilities"] = solve_teams(copy.deepcopy(TEAMS))["randomness"]["pair_probabilities"]
    assert any("未要求报告配对概率" in line for line in check_teams(without, result))


# --- input: very large numbers, null as the default, what is no list ----------------------------

def _with(change, base=TEAMS):
    problem = copy.deepcopy(base)
    change(problem)
    return problem


def test_capacities_beyond_64_bits_are_as_good_as_unlimited():
    unlimited = _with(lambda p: [i.pop("capacity", None) for i in p["inspectors"]])
    huge = _with(lambda p: ([i.update(capacity=10 ** 30) for i in p["inspectors"]], p.update(daily_capacity=10 ** 30)))
    plain = _with(lambda p: p.update(daily_capacity=2), unlimited)
    a, b = solve_teams(huge), solve_teams(plain)
    assert a["teams"] == b["teams"] and a["status"] == "complete" and check_teams(huge, a) == []


def test_a_size_beyond_64_bits_is_unstaffed_with_its_own_number_in_the_reason():
    problem = _with(lambda p: p["subjects"][1]["needs"][0].update(size=10 ** 30))
    result = solve_teams(problem)
    assert [u["subject"] for u in result["unstaffed"]] == ["清河县某某商店"] and result["status"] == "partial"
    assert str(10 ** 30) in result["unstaffed"][0]["reason"] and check_teams(problem, result) == []


def test_a_count_beyond_every_float_is_capped_at_the_population_and_a_weight_is_bad_input():
    result = draw_subjects(_with(lambda p: p["strata"][2].update(count=10 ** 400), DRAW))
    assert result["strata"][2] == {"id": "专项", "population": 4, "drawn": 4}
    with pytest.raises(SolverInputError, match=r"subjects\[1\]（id=S01）"):
        draw_subjects(_with(lambda p: p["subjects"][1].update(weight=10 ** 400), DRAW))


@pytest.mark.parametrize("weight", [1e308, 1e-320])
def test_weights_at_the_ends_of_the_float_range_draw_the_quota_as_equal_weights_do(weight):
    extreme = draw_subjects(_with(lambda p: [s.update(weight=weight) for s in p["subjects"]], DRAW))
    equal = draw_subjects(_with(lambda p: [s.update(weight=1) for s in p["subjects"]], DRAW))
    assert extreme["strata"] == equal["strata"]
    assert [d["probability"] for d in extreme["drawn"]] == [d["probability"] for d in equal["drawn"]]


def test_null_weight_and_must_are_the_defaults():
    nulls = _with(lambda p: p["subjects"][1].update(weight=None, must=None), DRAW)
    absent = _with(lambda p: [p["subjects"][1].pop(key) for key in ("weight", "must")], DRAW)
    assert draw_subjects(nulls)["drawn"] == draw_subjects(absent)["drawn"]


def test_a_null_department_name_is_its_id():
    named = _with(lambda p: p["departments"][0].update(name=None))
    assert solve_teams(named)["teams"] == solve_teams(_with(lambda p: p["departments"][0].pop("name")))["teams"]


@pytest.mark.parametrize("change,names", [
    (lambda p: p.update(conflicts={}), "conflicts"),
    (lambda p: p.update(conflicts=0), "conflicts"),
    (lambda p: p["inspectors"][0].update(unavailable={}), "inspectors[0]（id=应急-01）.unavailable"),
    (lambda p: p["inspectors"][0].update(unavailable=False), "inspectors[0]（id=应急-01）.unavailable"),
], ids=["conflicts {}", "conflicts 0", "unavailable {}", "unavailable false"])
def test_what_is_no_list_is_bad_input_not_an_empty_one(change, names):
    with pytest.raises(SolverInputError) as raised:
        solve_teams(_with(change))
    assert str(raised.value).startswith(names)


# --- one line per error, whatever the file or the ids hold --------------------------------------

@pytest.mark.parametrize("text,message", [
    ('{"seed": "s", "strata": [], "subjects": [], "x": ' + "9" * 5000 + "}", "位数过多"),
    ('{"seed": "s", "strata": [], "subjects": [], "x": ' + "[" * 100000 + "]" * 100000 + "}", "嵌套层数过深"),
], ids=["5000 digits", "nested 100000 deep"])
def test_a_file_python_cannot_read_as_json_is_one_line_and_exit_2(tmp_path, capsys, text, message):
    assert main(["draw", _write(tmp_path, "p.json", text)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_an_id_with_a_line_break_keeps_the_message_on_one_line(tmp_path, capsys):
    problem = _with(lambda p: p["inspectors"][0].update(id="应急\n01", capacity=-1))
    assert main(["teams", _write(tmp_path, "p.json", problem)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "应急\\n01" in err


def test_every_violation_is_one_line(tmp_path, capsys):
    result = solve_teams(copy.deepcopy(TEAMS))
    result["teams"][0]["members"].append({"inspector": "来自\n别处", "department": "a"})
    assert main(["check", _write(tmp_path, "p.json", TEAMS), _write(tmp_path, "r.json", result)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert any("来自\\n别处" in line for line in lines) and not any(line == "别处" or line.startswith("别处") for line in lines)


@pytest.mark.slow  # starts Python processes
@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_results_and_lines_are_utf8_whatever_the_locale(tmp_path, encoding):
    """The same bytes on every machine: a terminal that says ASCII or Latin-1 gets UTF-8 all the same (before,
    a partial result — its reasons are Chinese — exited 2 with a wrong message about lone surrogates)."""
    problem = _with(lambda p: p["subjects"][1]["needs"][0].update(tags=["无人具备"]))
    path = _write(tmp_path, "p.json", problem)
    env = {**os.environ, "PYTHONIOENCODING": encoding, "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "solver", "teams", path], capture_output=True, env=env, cwd=tmp_path)
    assert run.returncode == 0 and run.stdout == dumps(solve_teams(problem)).encode("utf-8")
    result = _write(tmp_path, "r.json", run.stdout.decode("utf-8"))
    check = subprocess.run([sys.executable, "-m", "solver", "check", path, result], capture_output=True, env=env,
                           cwd=tmp_path)
    assert check.returncode == 0 and check.stdout.decode("utf-8").startswith("OK：")


def test_a_conflicts_reason_does_not_change_the_draw():
    """The app leaves reasons out of stored inputs: with them, without them, or some of each (the column-by-column
    parse of 64 or more recusals and the record-by-record one), only the input hash differs."""
    inspectors = [{"id": f"{d}-{k:02d}", "department": d, "capacity": 6} for d in ("a", "b") for k in range(10)]
    subjects = [{"id": f"S{s:03d}", "needs": [{"department": "a", "size": 2}, {"department": "b", "size": 1}]}
                for s in range(30)]
    conflicts = [{"inspector": inspectors[(7 * s + k) % 20]["id"], "subject": f"S{s:03d}", "reason": "近亲属"}
                 for s in range(30) for k in range(3)]
    problem = teams_problem(inspectors, subjects, conflicts=conflicts, max_pair_probability=0.4,
                            report_pair_probabilities=True)
    without = _with(lambda p: [c.pop("reason") for c in p["conflicts"]], problem)
    mixed = _with(lambda p: [c.pop("reason") for c in p["conflicts"][::2]], problem)
    results = [solve_teams(p) for p in (problem, without, mixed)]
    assert len({r.pop("input_sha256") for r in results}) == 3
    assert results[0] == results[1] == results[2]
