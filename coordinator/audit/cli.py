"""`flask audit-verify` and `flask audit-digest`: check the audit chain, print the day's digest."""
from __future__ import annotations

import sys
from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext

from ..clikit import Checkpoint, Day, command
from ..timeutil import today
from .services import digest, digest_lines, verify


@command("audit-verify")
@click.option("--digest", "digests", multiple=True, type=Checkpoint(), metavar="N:HASH",
              help="再核对日摘要上打印的条号和哈希值（可多次给出）")
@with_appcontext
def audit_verify(digests: tuple[tuple[int, str], ...]) -> None:
    """校验审计日志的哈希链（带密钥）、链头和库外检查点文件；发现被改动、删除或截断的记录时退出码为1，
    并指出第一条出问题的记录。"""
    verdict = verify(expected=digests)
    if verdict.broken is not None:
        click.echo(f"审计日志校验失败：{verdict.broken.message}（此前{verdict.count}条完好）")
        sys.exit(1)
    click.echo(f"审计日志完好：共{verdict.count}条记录，哈希链连续、无改动。")


@command("audit-digest")
@click.option("--date", "day", type=Day(), default=None, metavar="YYYY-MM-DD", help="日期（默认今天）")
@with_appcontext
def audit_digest(day: date | None) -> None:
    """打印某一天的审计日志日摘要（截至当日的条数、最后一条的条号和哈希值），供打印留存或公布。"""
    for line in digest_lines(digest(day or today()), current_app.config["COUNTY_NAME"]):
        click.echo(line)
