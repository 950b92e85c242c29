"""Command line: `python -m solver draw|teams|check …` — exit 2 on bad input, 1 on a failed check."""

from __future__ import annotations

import argparse
import gc
import json
import re
import sys
import time

from .common import SolverInputError, dumps, one_line, os_reason


def _load(path: str) -> object:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError as exc:
        raise SolverInputError(f"{path}: 无法读取（{os_reason(exc)}）") from None
    except UnicodeDecodeError as exc:
        raise SolverInputError(f"{path}: 不是 UTF-8 编码的文本（第 {exc.start + 1} 个字节）") from None
    except json.JSONDecodeError as exc:
        raise SolverInputError(f"{path}: 不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列）") from None
    except ValueError:  # an integer of more digits than Python converts (4300)
        raise SolverInputError(f"{path}: 含有位数过多的整数（超过 {sys.get_int_max_str_digits()} 位）") from None
    except RecursionError:
        raise SolverInputError(f"{path}: JSON 嵌套层数过深") from None


def _write(text: str, path: str | None) -> None:
    if path is None:
        sys.stdout.write(text)
        return
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as exc:
        raise SolverInputError(f"{path}: 无法写入（{os_reason(exc)}）") from None


MESSAGE_LIMIT = 1000  # characters of an error message or a violation; a longer one loses its middle

# argparse's usage errors, which reach `error()` only as English text
_USAGE_ERRORS = (
    (r"the following arguments are required: (.+)", "缺少参数：{0}"),
    (r"unrecognized arguments: (.+)", "无法识别的参数：{0}"),
    (r"argument (.+?): invalid choice: (.+?) \(choose from (.+)\)", "{0} 的取值 {1} 无效，可选：{2}"),
    (r"argument (.+?): expected one argument", "{0} 后面缺少取值"),
    (r"argument (.+?): ignored explicit argument (.+)", "{0} 不能带值：{1}"),
    (r"ambiguous option: (.+?) could match (.+)", "选项 {0} 不明确，可能是：{1}"),
)


class _Parser(argparse.ArgumentParser):
    """Usage errors as one Chinese line on standard error, exit 2, like bad input (help stays argparse's)."""

    def error(self, message: str):
        for pattern, chinese in _USAGE_ERRORS:
            if match := re.fullmatch(pattern, message, re.DOTALL):
                message = chinese.format(*match.groups())
                break
        else:
            message = "命令用法不正确"
        self.exit(2, one_line(f"错误：{message}（用法见 {self.prog} -h）", 300) + "\n")


def _utf8(stream, errors: str) -> None:
    """Write UTF-8 whatever the locale says: a result is the same bytes on every machine, and Chinese lines are
    not refused by an ASCII or Latin-1 terminal."""
    if (stream.encoding or "").lower().replace("-", "") != "utf8" and hasattr(stream, "reconfigure"):
        stream.reconfigure(encoding="utf-8", errors=errors)


def main(argv: list[str] | None = None) -> int:
    _utf8(sys.stdout, "strict")
    _utf8(sys.stderr, "backslashreplace")
    parser = _Parser(prog="python -m solver", description="联查通求解器")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("draw", "第一阶段：抽取检查对象"), ("teams", "第二阶段：组建联合检查组")):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("problem")
        p.add_argument("-o", "--output")
    p = sub.add_parser("check", help="复核第二阶段结果")
    p.add_argument("problem")
    p.add_argument("result")
    p = sub.add_parser("verify-seed", help="核对下载的抽取记录：每个承诺与揭示，以及按规则复算的种子")
    p.add_argument("problem", metavar="DRAW")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    # One command, then the process ends: the cyclic collector would only walk the parsed input again
    # and again (nothing here makes reference cycles), so it stays off.
    gc.disable()
    try:
        # Each command imports only what it runs.
        if args.command == "teams":
            from .teams import solve_teams_outcome

            # The parsed input is handed over, not kept here: the solve lets go of it once the instance
            # is built (about 90 MB less at the peak on the city of BENCHMARKS.md).
            outcome = solve_teams_outcome(_load(args.problem))
            _write(dumps(outcome.result), args.output)
            staffed = len(outcome.result["teams"])
            print(f"配齐 {staffed} 户，共 {staffed + len({u['subject'] for u in outcome.result['unstaffed']})} 户"
                  + (f"；任何安排至多配齐 {outcome.upper_bound} 户" if outcome.upper_bound is not None else ""),
                  file=sys.stderr)
        else:
            problem = _load(args.problem)
            if args.command == "verify-seed":
                from .seed import verify_download

                problems = verify_download(problem)
                for line in problems:
                    print(one_line(line, MESSAGE_LIMIT))
                if not problems:
                    print("OK：输入哈希一致，每个揭示值都与承诺相符，种子按规则复算一致")
                return 1 if problems else 0
            if args.command == "check":
                from .check import check_teams

                result = _load(args.result)
                violations = check_teams(problem, result)
                for line in violations:
                    print(one_line(line, MESSAGE_LIMIT))  # one line each, whatever the ids hold
                if not violations:
                    print("OK：所有硬性规则均满足")
                return 1 if violations else 0
            from .draw import draw_subjects

            _write(dumps(draw_subjects(problem)), args.output)
    except SolverInputError as exc:
        print(f"错误：{one_line(exc, MESSAGE_LIMIT)}", file=sys.stderr)  # one line, even if an id holds a line break
        return 2
    except UnicodeEncodeError:  # JSON may spell a lone surrogate ("\ud800"), which no UTF-8 text can hold
        print(f"错误：{args.problem}: 含有无法编码为 UTF-8 的字符（孤立的代理项，如 \\ud800）", file=sys.stderr)
        return 2
    print(f"用时 {time.perf_counter() - started:.2f} 秒", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
