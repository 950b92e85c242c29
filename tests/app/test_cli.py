"""The command line answers bad usage and hostile values in Chinese — `错误：…` on standard error, exit 2 — and
never with click's English, an English prompt or a traceback (coordinator/clikit.py)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from coordinator import clikit, create_app
from coordinator.auth.models import User
from coordinator.cli import commands
from coordinator.exchange.models import ApiClient
from coordinator.extensions import db
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
ENGLISH = ("Error:", "Usage:", "Invalid value", "Missing argument", "Missing option", "Missing parameter",
           "No such option", "Got unexpected", "Try '", "Aborted", "Warning", "Traceback", "does not take a value",
           "requires an argument")
CJK = re.compile(r"[\u4e00-\u9fff]")
IN, OUT = "in.xlsx", "out.xlsx"  # relative to the working directory the `cwd` fixture makes


@pytest.fixture
def cwd(tmp_path, monkeypatch):
    """A working directory three levels down in tmp_path, holding IN, so `../../etc/passwd` stays in tmp_path."""
    here = tmp_path / "a" / "b" / "c"
    here.mkdir(parents=True)
    (here / IN).write_bytes(b"not a workbook")
    monkeypatch.chdir(here)
    return here


def check(result, code: int = 2, *fragments: str, usage: str | None = None) -> list[str]:
    """Exit `code`; no English, no traceback; refused: stderr is `错误：…` (naming `fragments`), then the usage line
    for `usage` if given, else nothing. Returns stderr's lines."""
    assert result.exit_code == code, result.output
    assert result.exception is None if code == 0 else type(result.exception) is SystemExit, result.exception
    for phrase in ENGLISH:
        assert phrase not in result.output, result.output
    lines = result.stderr.splitlines()
    if code == 2:
        assert lines and lines[0].startswith("错误：") and CJK.search(lines[0][3:]), result.stderr
        for fragment in fragments:
            assert fragment in lines[0], lines[0]
        expected = 1 if usage is None else 2
        assert len(lines) == expected, result.stderr
        if usage is not None:
            assert lines[1].startswith(f"用法：flask --app coordinator {usage}") and lines[1].endswith("（加 --help 查看说明）")
    return lines


# ---- every command: missing argument, wrong type, unknown option, extra argument, option without value ------


@dataclass
class Usage:
    valid: list[str]  # arguments that pass parsing
    missing: list[str] | None = None  # … with a required one left out
    wrong_type: tuple[list[str], str] | None = None  # arguments with a value of the wrong type, and what the message says
    no_value: tuple[list[str], str] | None = None  # an option given without its value, or a flag given one


IMPORT = Usage([IN], [], no_value=([IN, "--dry-run=yes"], "选项 --dry-run 后面不能带值"))
EXPORT = Usage([OUT], [])
COMMANDS = {
    "init-db": Usage([]),
    "seed-demo": Usage([], no_value=(["--if-empty=1"], "选项 --if-empty 后面不能带值")),
    "create-user": Usage(["wangwu", "--name", "王五", "--password", PASSWORD], ["--name", "王五"],
                         (["wangwu", "--name", "王五", "--role", "boss"], "选项 --role：“boss”无效，可选：office"),
                         (["wangwu", "--name"], "选项 --name 后面缺少取值")),
    "import-subjects": IMPORT,
    "import-inspectors": IMPORT,
    "import-conflicts": IMPORT,
    "import-risk-classes": IMPORT,
    "import-registration": IMPORT,
    "import-personnel": IMPORT,
    "import-items": Usage([IN, "--department", "yjj"], [IN], no_value=([IN, "--department"], "选项 --department 后面缺少取值")),
    "export-subjects": EXPORT,
    "export-inspectors": EXPORT,
    "export-items": EXPORT,
    "list-campaigns": Usage([]),
    "export-plan": Usage(["2024", OUT], ["2024"], (["abc", OUT], "参数 YEAR：年度应为四位数字")),
    "export-records": Usage(["1", OUT], ["1"], (["abc", OUT], "参数 CAMPAIGN_ID：“abc”不是有效的整数")),
    "export-dispatch": Usage(["1", OUT], ["1"], (["1.5", OUT], "参数 CAMPAIGN_ID：“1.5”不是有效的整数")),
    "replay-draw": Usage(["1"], [], (["abc"], "参数 CAMPAIGN_ID：“abc”不是有效的整数")),
    "replay-monthly-plan": Usage([], wrong_type=(["--month", "2025-13"], "选项 --month：月份应写成 2025-03 的形式"),
                                 no_value=(["--month"], "选项 --month 后面缺少取值")),
    "audit-verify": Usage([], wrong_type=(["--digest", "12:abc"], "选项 --digest：应写成“条号:哈希值”"),
                          no_value=(["--digest"], "选项 --digest 后面缺少取值")),
    "audit-digest": Usage([], wrong_type=(["--date", "2024-13-01"], "选项 --date：日期应写成 2024-06-30 的形式"),
                          no_value=(["--date"], "选项 --date 后面缺少取值")),
    "stats-form": Usage(["--year", "2024", OUT], ["--year", "2024"], (["--year", "abc", OUT], "--year：年度应为四位数字"),
                        ([OUT, "--year"], "选项 --year 后面缺少取值")),
    "export-publicity": Usage(["--year", "2024", OUT], ["--year", "2024"],
                              (["--year", "abc", OUT], "--year：年度应为四位数字"),
                              ([OUT, "--campaign"], "选项 --campaign 后面缺少取值")),
    "issue-api-token": Usage(["县数据共享平台"], []),
    "revoke-api-token": Usage(["1"], [], (["abc"], "参数 CLIENT_ID：“abc”不是有效的整数")),
    "export-subject-file": Usage(["91139901MA0000001X", OUT], ["91139901MA0000001X"]),
    "coverage": Usage(["--year", "2025", OUT], ["--year", "2025"], (["--year", "abc", OUT], "--year：年度应为四位数字"),
                      ([OUT, "--year", "2025", "--department"], "选项 --department 后面缺少取值")),
}
CHECKS_OPTIONS_ITSELF = ("stats-form", "export-publicity")


def usage_cases():
    for name, usage in COMMANDS.items():
        yield pytest.param(name, [*usage.valid, "--bogus"], "没有选项 --bogus", True, id=f"{name}-unknown-option")
        yield pytest.param(name, [*usage.valid, "extra"], "多余的参数：extra", True, id=f"{name}-extra-argument")
        if usage.missing is not None:
            yield pytest.param(name, usage.missing, "缺少", True, id=f"{name}-missing")
        if usage.wrong_type is not None:
            # stats-form checks its options itself, as the web page does: one line, no usage
            yield pytest.param(name, *usage.wrong_type, name not in CHECKS_OPTIONS_ITSELF, id=f"{name}-wrong-type")
        if usage.no_value is not None:
            yield pytest.param(name, *usage.no_value, True, id=f"{name}-no-value")


CHECKED_IN_THE_BODY = {("stats-form", "campaign_id"), ("stats-form", "year"), ("create-user", "password"),
                       ("export-publicity", "campaign_id"), ("export-publicity", "year")}


def test_the_table_covers_every_command_and_every_command_is_ours():
    assert {c.name for c in commands} == set(COMMANDS)
    for command in commands:
        assert isinstance(command, clikit.Command), command.name
        for param in command.params:  # a value of the wrong type meets a Chinese type, never click's English one
            assert isinstance(param.type, clikit.ParamType) or getattr(param, "is_flag", False) \
                or (command.name, param.name) in CHECKED_IN_THE_BODY, (command.name, param.name)


@pytest.mark.parametrize(("name", "args", "message", "usage"), list(usage_cases()))
def test_bad_usage_is_refused_in_chinese(runner, departments, cwd, name, args, message, usage):
    result = runner.invoke(args=[name, *args])
    check(result, 2, message, usage=name if usage else None)


def test_the_message_names_the_parameter_and_shows_the_usage(runner, ctx, cwd):
    result = runner.invoke(args=["replay-draw", "abc"])
    assert result.stderr == ("错误：参数 CAMPAIGN_ID：“abc”不是有效的整数\n"
                             "用法：flask --app coordinator replay-draw CAMPAIGN_ID（加 --help 查看说明）\n")
    assert result.stdout == ""
    result = runner.invoke(args=["import-items", IN])
    assert result.stderr.splitlines() == ["错误：缺少选项 --department",
                                          "用法：flask --app coordinator import-items --department CODE [选项] FILE"
                                          "（加 --help 查看说明）"]
    result = runner.invoke(args=["export-plan", "2024", "--ouput", "x"])
    assert result.stderr.splitlines()[0] == "错误：没有选项 --ouput"


# ---- hostile values in every parameter that takes one -------------------------------------------------


HOSTILE = {"empty": "", "long": "x" * 5000, "script": "<script>alert(1)</script>", "traversal": "../../etc/passwd",
           "missing-dir": "missing/dir/x.xlsx", "control": "a\nb\x1b[31m"}
# Where a hostile value is nonetheless a valid one (a user may be named "<script>…"), and the command succeeds.
SLOTS = [
    ("create-user", ["{}", "--name", "王五", "--password", PASSWORD], ()),
    ("create-user", ["wangwu", "--name", "{}", "--password", PASSWORD], ("script", "traversal", "missing-dir")),
    ("create-user", ["wangwu", "--name", "王五", "--role", "{}", "--password", PASSWORD], ()),
    ("create-user", ["wangwu", "--name", "王五", "--role", "admin", "--department", "{}", "--password", PASSWORD], ()),
    ("create-user", ["wangwu", "--name", "王五", "--password", "{}"], ("script", "control")),  # strong enough
    ("import-subjects", ["{}"], ()),
    ("import-inspectors", ["{}", "--dry-run"], ()),
    ("import-conflicts", ["{}"], ()),
    ("import-risk-classes", ["{}"], ()),
    ("import-registration", ["{}", "--dry-run"], ()),
    ("import-personnel", ["{}"], ()),
    ("import-items", ["{}", "--department", "yjj"], ()),
    ("import-items", [IN, "--department", "{}"], ()),
    ("export-subjects", ["{}"], ()),
    ("export-inspectors", ["{}"], ()),
    ("export-items", ["{}"], ()),
    ("export-plan", ["{}", OUT], ()),
    ("export-plan", ["2024", "{}"], ()),
    ("export-records", ["{}", OUT], ()),
    ("export-records", ["1", "{}"], ()),  # no campaign 1: refused whatever the file
    ("export-dispatch", ["{}", OUT], ()),
    ("export-dispatch", ["1", "{}"], ()),
    ("replay-draw", ["{}"], ()),
    ("replay-monthly-plan", ["--month", "{}"], ()),
    ("stats-form", ["--campaign", "{}", OUT], ()),
    ("stats-form", ["--year", "{}", OUT], ()),
    ("stats-form", ["--year", "2024", "{}"], ()),
    ("export-publicity", ["--campaign", "{}", OUT], ()),
    ("export-publicity", ["--year", "{}", OUT], ()),
    ("export-publicity", ["--year", "2024", "{}"], ()),
    ("issue-api-token", ["{}"], ("script", "traversal", "missing-dir")),  # a name may read so
    ("revoke-api-token", ["{}"], ()),
    ("export-subject-file", ["{}", OUT], ()),
    ("export-subject-file", ["91139901MA0000001X", "{}"], ()),
    ("coverage", ["--year", "{}", OUT], ()),
    ("coverage", ["--year", "2025", "--department", "{}", OUT], ()),
    ("coverage", ["--year", "2025", "{}"], ()),
]


def slot_id(name: str, args: list[str]) -> str:
    at = args.index("{}")
    return f"{name}-{args[at - 1] if at and args[at - 1].startswith('--') else f'argument{at + 1}'}"


@pytest.mark.parametrize(("name", "args", "accepted"), [pytest.param(*slot, id=slot_id(*slot[:2])) for slot in SLOTS])
@pytest.mark.parametrize("kind", list(HOSTILE))
def test_hostile_values_are_refused_in_chinese_or_taken_as_they_are(runner, departments, cwd, name, args, accepted,
                                                                    kind):
    value = HOSTILE[kind]
    result = runner.invoke(args=[name, *(value if a == "{}" else a for a in args)])
    if kind in accepted:
        check(result, 0)
        if name == "issue-api-token":
            assert db.session.scalar(sa.select(ApiClient.name)) == value
        else:
            assert db.session.scalar(sa.select(User).where(User.username == "wangwu")) is not None
        return
    lines = result.stderr.splitlines()
    check(result, 2, usage=name if len(lines) == 2 else None)
    assert all(len(line) < 400 for line in lines)  # a 5,000-character value is cut, not echoed whole
    assert "\x1b" not in result.stderr  # nor are control characters passed to the terminal
    assert not (cwd / OUT).exists() and sorted(p.name for p in cwd.iterdir()) == [IN]
    assert not (cwd.parent.parent / "etc").exists()


@pytest.mark.parametrize(("text", "message"), [
    ("0", "编号应为正整数：0"), ("-1", "“-1”无效：不能是负数"), ("2147483648", "太大了，编号不超过 2147483647"),
    ("9" * 5000, "太大了"), ("²", "不是有效的整数"), ("١", "不是有效的整数"), ("0x10", "不是有效的整数"), (" ", "不是有效的整数"),
])
def test_ids_are_positive_integers_that_fit_the_database(runner, ctx, text, message):
    check(runner.invoke(args=["replay-draw", text]), 2, message, usage="replay-draw")


def test_the_largest_id_is_looked_up(runner, ctx):
    check(runner.invoke(args=["replay-draw", "2147483647"]), 2, "联合抽查 2147483647 不存在")
    check(runner.invoke(args=["replay-draw", "--", "-5"]), 2, "编号应为正整数：-5", usage="replay-draw")


@pytest.mark.parametrize(("year", "message"), [("24", "四位数字"), ("１９９９", "四位数字"), ("²⁰²⁴", "四位数字"),
                                               ("1999", "2000～2100"), ("2101", "2000～2100")])
def test_years_have_four_digits_in_a_sane_range(runner, ctx, cwd, year, message):
    check(runner.invoke(args=["export-plan", year, OUT]), 2, "参数 YEAR", message, usage="export-plan")
    check(runner.invoke(args=["stats-form", "--year", year, OUT]), 2, "--year", message)
    assert not (cwd / OUT).exists()


@pytest.mark.parametrize("campaign", ["²", "9" * 30, "0"])
def test_stats_form_checks_the_campaign_number_in_one_line(runner, ctx, cwd, campaign):
    check(runner.invoke(args=["stats-form", "--campaign", campaign, OUT]), 2, "--campaign")


# ---- files: what an export cannot write, what an import cannot read ---------------------------------------


EXPORTS = [["export-subjects"], ["export-inspectors"], ["export-items"], ["export-plan", "2024"],
           ["stats-form", "--year", "2024"], ["export-publicity", "--year", "2024"], ["coverage", "--year", "2024"]]


@pytest.mark.parametrize("export", EXPORTS, ids=lambda e: e[0])
@pytest.mark.parametrize(("target", "reason"), [
    ("missing/x.xlsx", "文件或目录不存在"), (".", "这是一个目录"), ("y" * 300 + ".xlsx", "文件名过长"),
    (f"{IN}/x.xlsx", "路径中有一段不是目录"), ("/proc/cli_helper.xlsx", ""),
])
def test_an_export_it_cannot_write_is_one_line(runner, departments, cwd, export, target, reason):
    lines = check(runner.invoke(args=[*export, target]), 2, "无法写入文件：", reason)
    assert lines[0].startswith("错误：无法写入文件：")
    assert sorted(p.name for p in cwd.iterdir()) == [IN]


@pytest.mark.parametrize("export", EXPORTS, ids=lambda e: e[0])
def test_exports_still_write(runner, departments, cwd, export):
    check(runner.invoke(args=[*export, "ok.xlsx"]), 0)
    assert (cwd / "ok.xlsx").read_bytes()[:2] == b"PK"


@pytest.mark.parametrize("command", ["import-subjects", "import-inspectors", "import-conflicts", "import-items",
                                     "import-risk-classes", "import-registration", "import-personnel"])
@pytest.mark.parametrize(("path", "message", "usage"), [
    ("missing.xlsx", "文件不存在：missing.xlsx", True), (".", "是一个目录，不是文件", True), ("", "未指定文件", True),
    ("x" * 300, "无法读取文件", True), ("empty.xlsx", "无法读取该文件：文件是空的", False),
    (IN, "找不到表头", False),  # not a workbook: read as CSV text, in which no header is found
])
def test_an_import_it_cannot_read_is_refused_in_chinese(runner, departments, cwd, command, path, message, usage):
    (cwd / "empty.xlsx").write_bytes(b"")
    extra = ["--department", "yjj"] if command == "import-items" else []
    check(runner.invoke(args=[command, path, *extra]), 2, message, usage=command if usage else None)


# ---- create-user asks for the password itself, in Chinese ------------------------------------------------


@pytest.mark.parametrize(("typed", "code", "message"), [
    ("", 2, "未输入密码"), ("\n", 2, "未输入密码"), (f"{PASSWORD}\n", 2, "两次输入的密码不一致"),
    (f"{PASSWORD}\nOther123\n", 2, "两次输入的密码不一致"), ("short\nshort\n", 2, "密码强度不足"),
    (f"{PASSWORD}\n{PASSWORD}\n", 0, ""),
])
def test_create_user_asks_for_the_password_twice(runner, departments, typed, code, message):
    result = runner.invoke(args=["create-user", "wangwu", "--name", "王五"], input=typed)
    check(result, code, message)
    assert PASSWORD not in result.output  # never echoed
    created = db.session.scalar(sa.select(User).where(User.username == "wangwu"))
    assert (created is not None) == (code == 0)
    if created:
        assert created.check_password(PASSWORD) and "账号“wangwu”已建立" in result.stdout


def test_create_user_refuses_a_name_taken_before_asking(runner, departments):
    check(runner.invoke(args=["create-user", "wangwu", "--name", "王五", "--password", PASSWORD]), 0)
    check(runner.invoke(args=["create-user", "wangwu", "--name", "王五"], input=""), 2, "用户名“wangwu”已存在")


# ---- a database that cannot be reached -----------------------------------------------------------------


@pytest.mark.parametrize("args", [["list-campaigns"], ["replay-draw", "1"], ["audit-verify"], ["seed-demo"],
                                  ["export-subjects", OUT], ["create-user", "wangwu", "--name", "王五"],
                                  ["stats-form", "--year", "2024", OUT]])
def test_an_unreachable_database_is_one_line(tmp_path, cwd, args):
    unreachable = create_app({"TESTING": True, "SECRET_KEY": "x", "UPLOAD_FOLDER": str(tmp_path / "uploads"),
                              "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}"})
    result = unreachable.test_cli_runner().invoke(args=args, input="")
    check(result, 2, "无法连接数据库：")


@pytest.mark.slow
def test_an_unreachable_server_is_one_line(tmp_path):
    env = {**os.environ, "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x", "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "flask", "--app", "coordinator", "list-campaigns"], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith("错误：无法连接数据库：") and run.stderr.count("\n") == 1, run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""


@pytest.mark.parametrize(("name", "hint"), [("nosuch", "--help 列出全部命令"), ("<script>", "--help 列出全部命令"),
                                          ("x" * 5000, "--help 列出全部命令"),
                                          ("import_subjects", "是否想输入 import-subjects？")])
def test_an_unknown_command_is_refused_in_chinese(runner, name, hint):
    lines = check(runner.invoke(args=[name]), 2, "没有命令“", hint)
    assert len(lines[0]) < 200


@pytest.mark.slow
def test_an_unknown_command_through_the_flask_program_is_one_line_too(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    run = subprocess.run([sys.executable, "-m", "flask", "--app", "coordinator", "import-subject", "a.xlsx"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and run.stdout == "", run.stderr
    assert run.stderr == "错误：没有命令“import-subject”（是否想输入 import-subjects？）\n"


def test_a_database_without_tables_says_so(tmp_path):
    empty = create_app({"TESTING": True, "SECRET_KEY": "x", "UPLOAD_FOLDER": str(tmp_path / "uploads"),
                        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.db'}"})
    result = empty.test_cli_runner().invoke(args=["list-campaigns"])
    with empty.app_context():
        db.engine.dispose()
    check(result, 2, "数据库操作失败", "init-db")


def test_api_tokens_are_issued_and_revoked_from_the_command_line(runner, ctx, client):
    issued = runner.invoke(args=["issue-api-token", "省级数据共享平台"])
    assert issued.exit_code == 0 and "只显示这一次" in issued.output
    token = issued.output.splitlines()[-1]
    assert client.get("/api/v1/items", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    client_id = db.session.scalar(sa.select(ApiClient.id))
    assert runner.invoke(args=["revoke-api-token", str(client_id)]).exit_code == 0
    assert client.get("/api/v1/items", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    check(runner.invoke(args=["revoke-api-token", str(client_id)]), 2, "已于")
    check(runner.invoke(args=["revoke-api-token", "99"]), 2, "调用单位 99 不存在")


def test_help_is_still_there(runner, ctx):
    for name in COMMANDS:
        result = runner.invoke(args=[name, "--help"])
        assert result.exit_code == 0 and CJK.search(result.output), name
