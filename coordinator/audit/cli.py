"""`flask audit-verify`: check the audit log's hash chain from the command line."""
from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from ..clikit import command
from .services import verify


@command("audit-verify")
@with_appcontext
def audit_verify() -> None:
    """校验审计日志的哈希链；发现被改动或删除的记录时退出码为1，并指出第一条出问题的记录。"""
    verdict = verify()
    if verdict.broken is not None:
        click.echo(f"审计日志校验失败：{verdict.broken.message}（此前{verdict.count}条完好）")
        sys.exit(1)
    click.echo(f"审计日志完好：共{verdict.count}条记录，哈希链连续、无改动。")
