"""What every `flask --app coordinator …` command shares: Chinese errors instead of click's English ones.

`command()` makes a command of class `Command`, which
- turns click's usage errors (missing argument or option, unknown option, an option without its value, a
  flag given a value, extra arguments, a bad value) into one line `错误：…` naming the parameter and a
  line `用法：…`, on standard error, exit 2;
- turns an unreachable database into `错误：无法连接数据库：…`, exit 2;
and `Group` (the app's `app.cli`) refuses an unknown command name the same way.
The parameter types below reject wrong-type and hostile values with Chinese messages, and `fail()` (exit 2,
one line) and `writing()` (an export that cannot be written) are what command bodies use.
"""
from __future__ import annotations

import difflib
import os
import re
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import NoReturn

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from solver.common import one_line, os_reason

PROGRAM = "flask --app coordinator"
LONGEST_SHOWN = 80  # a value echoed in a message is cut to this many characters
LARGEST_ID = 2**31 - 1  # an INTEGER primary key


def shown(value: str, limit: int = LONGEST_SHOWN) -> str:
    """`value` as it may appear in a one-line message (see solver.common.one_line)."""
    return one_line(value, limit)


# ---- errors --------------------------------------------------------------------------------------


class CliError(click.ClickException):
    """A refusal the command explains in one line: `错误：…` on standard error, exit 2."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"错误：{self.message}", err=True)


def fail(message: str) -> NoReturn:
    raise CliError(message)


class CliUsageError(click.UsageError):
    """A usage error already put into Chinese: the message, then how the command is used."""

    def show(self, file=None) -> None:
        click.echo(f"错误：{self.message}", err=True)
        if self.ctx is not None:
            words = [PROGRAM, self.ctx.command.name, *self.ctx.command.collect_usage_pieces(self.ctx)]
            click.echo(f"用法：{' '.join(words)}（加 --help 查看说明）", err=True)


class BadValue(click.BadParameter):
    """Raised by the types below: the message is already Chinese."""




@contextmanager
def writing(path: str) -> Iterator[None]:
    """Around writing an export to `path`: any way the file cannot be written becomes `错误：无法写入文件：…`.

    The file is tried first, so that a bad path is refused before the work (and before a spreadsheet writer,
    which finds out only when it closes, is left half done)."""
    from xlsxwriter.exceptions import XlsxFileError

    try:
        existed = os.path.lexists(path)
        with open(path, "ab"):
            pass
        if not existed:
            os.remove(path)
        yield
    except (OSError, XlsxFileError) as error:
        cause = error.args[0] if isinstance(error, XlsxFileError) and error.args else error
        fail(f"无法写入文件：{shown(path)}（{os_reason(cause)}）")
    _log_export(path)


def _log_export(path: str) -> None:
    """An export from the command line is a download too: the audit log says which, and into which file."""
    from .audit.services import log_event

    context = click.get_current_context(silent=True)
    log_event("export", "file", None, {"command": context.info_name if context else "", "file": str(path)[:300]})


def _parameter(param: click.Parameter | None) -> str:
    if isinstance(param, click.Option):
        return f"选项 {max(param.opts, key=len)}"
    if isinstance(param, click.Parameter):
        return f"参数 {param.human_readable_name}"
    return "参数"


def _option(ctx: click.Context, name: str) -> click.Option | None:
    return next((p for p in ctx.command.get_params(ctx) if isinstance(p, click.Option) and name in p.opts), None)


def chinese(error: click.UsageError, ctx: click.Context) -> str:
    """What went wrong, in Chinese, read from the exception's type and attributes."""
    if isinstance(error, click.MissingParameter):
        return f"缺少{_parameter(error.param)}"
    if isinstance(error, BadValue):
        return f"{_parameter(error.param)}：{error.message}"
    if isinstance(error, click.BadParameter):
        return f"{_parameter(error.param)} 的值无效"
    if isinstance(error, click.NoSuchOption):
        name = error.option_name
        if re.fullmatch(r"-\d+", name):
            return f"“{name}”无效：不能是负数"
        message = f"没有选项 {shown(name)}"
        if error.possibilities:
            message += f"（是否想输入 {'、'.join(error.possibilities)}？）"
        return message
    if isinstance(error, click.BadOptionUsage):
        option = _option(ctx, error.option_name)
        if option is not None and option.is_flag:
            return f"选项 {error.option_name} 后面不能带值"
        return f"选项 {error.option_name} 后面缺少取值"
    return "命令用法不正确"


class Command(click.Command):
    """A command whose every refusal is Chinese; see the module's docstring."""

    allow_extra_args = True  # so that extra arguments reach parse_args below, which refuses them in Chinese

    def __init__(self, *args, options_metavar: str | None = "[选项]", **kwargs) -> None:
        super().__init__(*args, options_metavar=options_metavar, **kwargs)

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        """Required options spelt out, `[选项]` only if there are others than --help, then the arguments."""
        options = [p for p in self.params if isinstance(p, click.Option)]
        pieces = [f"{max(p.opts, key=len)} {p.make_metavar(ctx)}" for p in options if p.required]
        if self.options_metavar and any(not p.required for p in options):
            pieces.append(self.options_metavar)
        for param in self.params:
            if isinstance(param, click.Argument):
                pieces.extend(param.get_usage_pieces(ctx))
        return pieces

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            extra = super().parse_args(ctx, args)
        except click.UsageError as error:
            raise CliUsageError(chinese(error, ctx), ctx) from None
        if extra and not ctx.resilient_parsing:
            raise CliUsageError(f"多余的参数：{' '.join(shown(a) for a in extra)}", ctx)
        return extra

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except sa.exc.OperationalError as error:
            detail = shown(next(iter(str(error.orig).strip().splitlines()), ""), limit=200)
            if error.statement is None:  # refused before any statement: no connection
                fail(f"无法连接数据库：{detail}")
            fail(f"数据库操作失败：{detail}（数据库结构是否已建立？可先运行 {PROGRAM} init-db）")


def command(name: str, **kwargs):
    """`click.command` for this app: every command is a `Command`."""
    return click.command(name, cls=Command, **kwargs)


class Group(AppGroup):
    """The app's command group (`app.cli`): a command name it does not know is refused in Chinese as well."""

    def get_command(self, ctx: click.Context, name: str):
        found = super().get_command(ctx, name)
        if found is None and not ctx.resilient_parsing:
            close = difflib.get_close_matches(name, self.list_commands(ctx), n=1)
            hint = f"是否想输入 {close[0]}？" if close else f"{PROGRAM} --help 列出全部命令"
            fail(f"没有命令“{shown(name)}”（{hint}）")
        return found


def _answer(prompt: str) -> str:
    """A line typed without echo; piped in (no terminal), a line read as it is. Empty at end of input."""
    if sys.stdin.isatty():
        try:
            return click.prompt(prompt, hide_input=True, default="", show_default=False)
        except click.Abort:  # Ctrl-C or Ctrl-D
            return ""
    return sys.stdin.readline().rstrip("\r\n")


def ask_password(prompt: str = "密码", again: str = "再次输入密码") -> str:
    """Ask twice without echoing; no answer (end of input, Ctrl-C, an empty line) or two different ones exit 2."""
    password = _answer(prompt)
    if not password:
        fail("未输入密码")
    if _answer(again) != password:
        fail("两次输入的密码不一致")
    return password


# ---- parameter types -----------------------------------------------------------------------------


class ParamType(click.ParamType):
    """A type whose `parse` raises ValueError with a Chinese message; click sees a `BadValue`."""

    def parse(self, text: str):
        raise NotImplementedError

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value  # a default, already converted
        try:
            return self.parse(value)
        except ValueError as error:
            raise BadValue(str(error), ctx, param) from None


def _integer(text: str, digits: int) -> int:
    stripped = text.strip()
    if not re.fullmatch(r"[+-]?[0-9]+", stripped, re.ASCII):
        raise ValueError(f"“{shown(text)}”不是有效的整数")
    if len(stripped.lstrip("+-").lstrip("0")) > digits:
        raise ValueError(f"“{shown(text)}”太大了")
    return int(stripped)


class Id(ParamType):
    """A record number: a whole number from 1 to the largest INTEGER key."""

    name = "id"

    def parse(self, text: str) -> int:
        number = _integer(text, len(str(LARGEST_ID)))
        if number < 1:
            raise ValueError(f"编号应为正整数：{shown(text)}")
        if number > LARGEST_ID:
            raise ValueError(f"“{shown(text)}”太大了，编号不超过 {LARGEST_ID}")
        return number


class Year(ParamType):
    """A year of four digits within [low, high]."""

    name = "year"

    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = low, high

    def parse(self, text: str) -> int:
        if not re.fullmatch(r"[0-9]{4}", text.strip(), re.ASCII):
            raise ValueError(f"年度应为四位数字，如 2024：“{shown(text)}”")
        year = int(text)
        if not self.low <= year <= self.high:
            raise ValueError(f"年度应在 {self.low}～{self.high} 之间：{year}")
        return year


class Day(ParamType):
    """A calendar day written YYYY-MM-DD, in the years the app knows (2000–2100)."""

    name = "day"

    def parse(self, text: str) -> date:
        try:
            day = date.fromisoformat(text.strip())
        except ValueError:
            raise ValueError(f"日期应写成 2024-06-30 的形式：“{shown(text)}”") from None
        if not 2000 <= day.year <= 2100:
            raise ValueError(f"日期应在 2000～2100 年之间：{day}")
        return day


class Month(ParamType):
    """A month written YYYY-MM, in the years the app knows (2000–2100); kept as that text."""

    name = "month"

    def parse(self, text: str) -> str:
        month = text.strip()
        if not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", month, re.ASCII):
            raise ValueError(f"月份应写成 2025-03 的形式：“{shown(text)}”")
        if not 2000 <= int(month[:4]) <= 2100:
            raise ValueError(f"月份应在 2000～2100 年之间：{month}")
        return month


class Checkpoint(ParamType):
    """An entry number and its hash as a digest prints them: `N:HASH` (the hash may be written in groups)."""

    name = "checkpoint"

    def parse(self, text: str) -> tuple[int, str]:
        number, _, digest = text.partition(":")
        digest = re.sub(r"[\s-]", "", digest).lower()
        if not re.fullmatch(r"[0-9]{1,10}", number.strip(), re.ASCII) or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise ValueError(f"应写成“条号:哈希值”，如 1024:3fa5…（64位十六进制）：“{shown(text)}”")
        return int(number), digest


class Text(ParamType):
    """Non-empty text of at most `max_length` characters (surrounding spaces dropped), optionally of a pattern."""

    name = "text"

    def __init__(self, max_length: int, pattern: str | None = None, rule: str = "") -> None:
        self.max_length, self.pattern, self.rule = max_length, pattern, rule

    def parse(self, text: str) -> str:
        value = text.strip()
        if not value:
            raise ValueError("不能为空")
        if not value.isprintable():
            raise ValueError(f"不能含有控制字符（“{shown(value)}”）")
        if len(value) > self.max_length:
            raise ValueError(f"不能超过{self.max_length}个字符（“{shown(value)}”）")
        if self.pattern and not re.fullmatch(self.pattern, value):
            raise ValueError(f"{self.rule}：“{shown(value)}”")
        return value


class Choice(ParamType):
    """One of `choices` (value → Chinese label)."""

    name = "choice"

    def __init__(self, choices: dict[str, str]) -> None:
        self.choices = choices

    def get_metavar(self, param, ctx) -> str:
        return "|".join(self.choices)

    def parse(self, text: str) -> str:
        if text not in self.choices:
            listed = "、".join(f"{value}（{label}）" for value, label in self.choices.items())
            raise ValueError(f"“{shown(text)}”无效，可选：{listed}")
        return text


class FileName(ParamType):
    """A file name that is not empty; for an export, whether it can be written is found out by writing (`writing`)."""

    name = "file"

    def parse(self, text: str) -> str:
        if not text.strip():
            raise ValueError("未指定文件")
        if not text.isprintable():
            raise ValueError(f"文件路径不能含有控制字符：{shown(text)}")
        return text


class ExistingFile(FileName):
    """An existing, readable file (not a directory): what an import reads."""

    def parse(self, text: str) -> str:
        path = super().parse(text)
        try:
            mode = os.stat(path).st_mode
        except (FileNotFoundError, NotADirectoryError):
            raise ValueError(f"文件不存在：{shown(path)}") from None
        except OSError as error:
            raise ValueError(f"无法读取文件：{shown(path)}（{os_reason(error)}）") from None
        if stat.S_ISDIR(mode):
            raise ValueError(f"“{shown(path)}”是一个目录，不是文件")
        if not os.access(path, os.R_OK):
            raise ValueError(f"无法读取文件：{shown(path)}（没有权限）")
        return path
