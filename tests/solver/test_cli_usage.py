"""Bad usage of `python -m solver` is bad input too: exit 2 and one Chinese line on standard error, no argparse
English, no traceback; `-h` still shows the help."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def solver(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "solver", *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize(("args", "message"), [
    ([], "缺少参数：command"),
    (["draw"], "缺少参数：problem"),
    (["teams"], "缺少参数：problem"),
    (["check", "p.json"], "缺少参数：result"),
    (["draw", "--bogus", "x"], "无法识别的参数：--bogus"),
    (["draw", "p.json", "extra"], "无法识别的参数：extra"),
    (["check", "p.json", "r.json", "--output", "x"], "无法识别的参数：--output x"),
    (["bogus"], "command 的取值 'bogus' 无效，可选：'draw', 'teams', 'check'"),
    (["draw", "p.json", "-o"], "-o/--output 后面缺少取值"),
    (["teams", "p.json", "--output"], "-o/--output 后面缺少取值"),
    (["draw", "p.json", "--output=x", "--bogus=a\nb"], "无法识别的参数：--bogus=a\\nb"),
    (["draw", "p.json", "x" * 5000], "无法识别的参数：xxx"),
    (["<script>", "../../etc/passwd"], "command 的取值 '<script>' 无效"),
])
def test_bad_usage_is_one_chinese_line_and_exit_2(tmp_path, args, message):
    run = solver(tmp_path, *args)
    assert run.returncode == 2, run.stderr
    assert run.stdout == ""
    assert run.stderr.endswith("\n") and run.stderr.count("\n") == 1, run.stderr
    line = run.stderr.rstrip("\n")
    assert line.startswith("错误：") and message in line and line.endswith("-h）"), line
    assert len(line) < 400
    assert not re.search(r"usage|error|traceback|required|unrecognized|invalid choice|expected", line, re.IGNORECASE)


def test_a_file_that_is_not_there_is_still_bad_input(tmp_path):
    run = solver(tmp_path, "draw", "../../etc/passwd/<script>")
    assert run.returncode == 2 and run.stderr.count("\n") == 1 and run.stderr.startswith("错误：")


@pytest.mark.parametrize("args", [["-h"], ["--help"], ["draw", "-h"], ["check", "--help"]])
def test_help_still_works(tmp_path, args):
    run = solver(tmp_path, *args)
    assert run.returncode == 0 and run.stderr == ""
    assert run.stdout.startswith("usage: python -m solver")
