"""The command line: exit 2 with one line naming the record on bad input, 1 on a failed check, 0 otherwise."""

import copy
import json
import subprocess
import sys

import pytest

from solver import SolverInputError, solve_teams
from solver.__main__ import main
from tests.solver.solver_kit import teams_problem

GOOD_TEAMS = teams_problem(
    [{"id": "a1", "department": "a", "tags": ["x"], "capacity": 2, "unavailable": ["2024-06-04"]},
     {"id": "a2", "department": "a"}, {"id": "b1", "department": "b"}],
    [{"id": "S1", "needs": [{"department": "a", "size": 1, "tags": ["x"]}, {"department": "b", "size": 1}]}],
    conflicts=[{"inspector": "a2", "subject": "S1", "reason": "近亲属"}],
    days=["2024-06-03", "2024-06-04"], lead_department="a", max_pair_probability=0.5)

GOOD_DRAW = {"seed": "s", "strata": [{"id": "t", "ratio": 0.5}],
             "subjects": [{"id": "x1", "stratum": "t", "weight": 2}, {"id": "x2", "stratum": "t"}]}


def _set(path, value):
    def mutate(p):
        target = p
        for key in path[:-1]:
            target = target[key]
        if value is KeyError:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return mutate


TEAMS_CASES = [
    ("missing seed", _set(["seed"], KeyError), "seed"),
    ("missing departments", _set(["departments"], KeyError), "departments"),
    ("unknown department", _set(["inspectors", 1, "department"], "xx"), "inspectors[1]（id=a2）"),
    ("duplicate inspector", _set(["inspectors", 1, "id"], "a1"), "inspectors[1]（id=a1）"),
    ("duplicate subject", lambda p: p["subjects"].append(copy.deepcopy(p["subjects"][0])), "subjects[1]（id=S1）"),
    ("negative size", _set(["subjects", 0, "needs", 0, "size"], -1), "subjects[0]（id=S1）.needs[0]"),
    ("fractional size", _set(["subjects", 0, "needs", 0, "size"], 1.5), "subjects[0]（id=S1）.needs[0]"),
    ("missing size", _set(["subjects", 0, "needs", 0, "size"], KeyError), "subjects[0]（id=S1）.needs[0]"),
    ("negative capacity", _set(["inspectors", 0, "capacity"], -2), "inspectors[0]（id=a1）"),
    ("string capacity", _set(["inspectors", 0, "capacity"], "3"), "inspectors[0]（id=a1）"),
    ("conflict unknown inspector", _set(["conflicts", 0, "inspector"], "zz"), "conflicts[0]"),
    ("conflict unknown subject", _set(["conflicts", 0, "subject"], "zz"), "conflicts[0]"),
    ("conflict reason not text", _set(["conflicts", 0, "reason"], 5), "conflicts[0]"),
    ("need tag empty", _set(["subjects", 0, "needs", 0, "tags"], ["x", ""]), "subjects[0]（id=S1）.needs[0]"),
    ("need size true", _set(["subjects", 0, "needs", 0, "size"], True), "subjects[0]（id=S1）.needs[0]"),
    ("two needs one department", lambda p: p["subjects"][0]["needs"].append({"department": "a", "size": 1}),
     "subjects[0]（id=S1）.needs[2]"),
    ("bad date", _set(["days", 0], "2024-13-01"), "days[0]"),
    ("bad unavailable", _set(["inspectors", 0, "unavailable"], ["6/4"]), "inspectors[0]（id=a1）.unavailable[0]"),
    ("q above one", _set(["max_pair_probability"], 1.5), "max_pair_probability"),
    ("q zero", _set(["max_pair_probability"], 0), "max_pair_probability"),
    ("bad lead", _set(["lead_department"], "zz"), "lead_department"),
    ("can_lead not bool", _set(["inspectors", 0, "can_lead"], "yes"), "inspectors[0]（id=a1）"),
    ("tags not list", _set(["inspectors", 0, "tags"], "x"), "inspectors[0]（id=a1）"),
    ("daily capacity zero", _set(["daily_capacity"], 0), "daily_capacity"),
    ("empty needs", _set(["subjects", 0, "needs"], []), "subjects[0]（id=S1）"),
]

DRAW_CASES = [
    ("ratio above one", _set(["strata", 0, "ratio"], 1.2), "strata[0]（id=t）"),
    ("negative count", lambda p: p["strata"].__setitem__(0, {"id": "t", "count": -1}), "strata[0]（id=t）"),
    ("two quotas", _set(["strata", 0, "count"], 3), "strata[0]（id=t）"),
    ("zero weight", _set(["subjects", 1, "weight"], 0), "subjects[1]（id=x2）"),
    ("string weight", _set(["subjects", 0, "weight"], "2"), "subjects[0]（id=x1）"),
    ("missing stratum", _set(["subjects", 1, "stratum"], KeyError), "subjects[1]（id=x2）"),
    ("duplicate id", _set(["subjects", 1, "id"], "x1"), "subjects[1]（id=x1）"),
    ("must not bool", _set(["subjects", 0, "must"], 1), "subjects[0]（id=x1）"),
]


def _run(tmp_path, capsys, command, problem):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(problem, ensure_ascii=False), encoding="utf-8")
    code = main([command, str(path)])
    return code, capsys.readouterr()


@pytest.mark.parametrize("name,mutate,names", TEAMS_CASES, ids=[c[0] for c in TEAMS_CASES])
def test_bad_teams_input_exits_2_naming_the_record(tmp_path, capsys, name, mutate, names):
    problem = copy.deepcopy(GOOD_TEAMS)
    mutate(problem)
    code, out = _run(tmp_path, capsys, "teams", problem)
    assert code == 2 and out.out == ""
    assert out.err.count("\n") == 1 and out.err.startswith("错误：") and names in out.err, out.err
    with pytest.raises(SolverInputError):
        solve_teams(problem)


@pytest.mark.parametrize("name,mutate,names", DRAW_CASES, ids=[c[0] for c in DRAW_CASES])
def test_bad_draw_input_exits_2_naming_the_record(tmp_path, capsys, name, mutate, names):
    problem = copy.deepcopy(GOOD_DRAW)
    mutate(problem)
    code, out = _run(tmp_path, capsys, "draw", problem)
    assert code == 2 and out.err.count("\n") == 1 and names in out.err, out.err


def test_not_json_exits_2(tmp_path, capsys):
    path = tmp_path / "p.json"
    path.write_text("{nope", encoding="utf-8")
    assert main(["teams", str(path)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_teams_then_check_round_trip_and_tamper(tmp_path, capsys):
    problem_path, result_path = tmp_path / "p.json", tmp_path / "r.json"
    problem_path.write_text(json.dumps(GOOD_TEAMS, ensure_ascii=False), encoding="utf-8")
    assert main(["teams", str(problem_path), "-o", str(result_path)]) == 0
    assert main(["check", str(problem_path), str(result_path)]) == 0
    assert "OK" in capsys.readouterr().out
    result = json.loads(result_path.read_text(encoding="utf-8"))
    assert result["teams"][0]["date"] == "2024-06-03" and result["teams"][0]["leader"] == "a1"
    result["teams"][0]["date"] = "2024-06-04"
    result_path.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    assert main(["check", str(problem_path), str(result_path)]) == 1
    assert "不可用" in capsys.readouterr().out


@pytest.mark.slow
def test_cli_subprocess_bad_input_has_no_traceback(tmp_path):
    path = tmp_path / "p.json"
    problem = copy.deepcopy(GOOD_TEAMS)
    problem["inspectors"][0]["department"] = "xx"
    path.write_text(json.dumps(problem, ensure_ascii=False), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "solver", "teams", str(path)], capture_output=True, text=True)
    assert run.returncode == 2 and "Traceback" not in run.stderr and run.stderr.count("\n") == 1


def test_a_lone_surrogate_exits_2_with_one_line(tmp_path, capsys):
    path = tmp_path / "p.json"
    text = json.dumps(GOOD_TEAMS, ensure_ascii=True).replace('"S1"', '"\\ud800"')
    path.write_text(text, encoding="utf-8")
    assert main(["teams", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("错误：") and "UTF-8" in err and "\n" not in err
