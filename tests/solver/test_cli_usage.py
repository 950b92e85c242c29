"""Bad usage of `python -m solver` is bad input too: exit 2 and one Chinese line on standard error, no argparse
English, no traceback; `-h` still shows the help."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # each case starts a Python process

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


GOOD_DRAW = '{"seed": "1", "strata": [{"id": "s", "all": true}], "subjects": [{"id": "a", "stratum": "s"}]}'


@pytest.mark.parametrize(("args", "files", "message"), [
    (["draw", "../../etc/passwd/<script>"], {}, "passwd/<script>: 无法读取（"),
    (["draw", "missing.json"], {}, "missing.json: 无法读取（文件或目录不存在）"),
    (["draw", "."], {}, ".: 无法读取（这是一个目录）"),
    (["teams", "x" * 300 + ".json"], {}, "无法读取（文件名过长）"),
    (["draw", "p.json"], {"p.json": b"{\"seed\": 1,\n  oops}"}, "p.json: 不是有效的 JSON（第 2 行第 3 列）"),
    (["draw", "p.json"], {"p.json": b'{"seed": "\xff"}'}, "p.json: 不是 UTF-8 编码的文本（第 11 个字节）"),
    (["draw", "p.json", "-o", "missing/r.json"], {"p.json": GOOD_DRAW.encode()}, "missing/r.json: 无法写入（文件或目录不存在）"),
    (["draw", "p.json", "-o", "."], {"p.json": GOOD_DRAW.encode()}, ".: 无法写入（这是一个目录）"),
])
def test_a_file_it_cannot_use_is_one_chinese_line(tmp_path, args, files, message):
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    run = solver(tmp_path, *args)
    assert run.returncode == 2 and run.stdout == "", run.stderr
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("错误：") and message in run.stderr, run.stderr
    assert not re.search(r"[A-Za-z]{4,} [a-z]{2,}", run.stderr.replace(".json", "")), run.stderr  # no English


def test_the_good_file_of_those_cases_is_drawn(tmp_path):
    (tmp_path / "p.json").write_text(GOOD_DRAW, encoding="utf-8")
    run = solver(tmp_path, "draw", "p.json", "-o", "r.json")
    assert run.returncode == 0, run.stderr
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["drawn"][0]["id"] == "a"


@pytest.mark.parametrize("args", [["-h"], ["--help"], ["draw", "-h"], ["check", "--help"]])
def test_help_still_works(tmp_path, args):
    run = solver(tmp_path, *args)
    assert run.returncode == 0 and run.stderr == ""
    assert run.stdout.startswith("usage: python -m solver")
