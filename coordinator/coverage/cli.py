"""`flask coverage --year YYYY [--department CODE] FILE`: the coverage workbook."""
from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..auth.services import department_by_code, unknown_department
from ..clikit import FileName, Text, Year, command, fail, writing
from ..stats.services import EARLIEST_YEAR, LATEST_YEAR


@command("coverage")
@click.option("--year", required=True, type=Year(EARLIEST_YEAR, LATEST_YEAR), help="年度")
@click.option("--department", default=None, type=Text(32), metavar="CODE", help="部门代码（不给时为全部部门）")
@click.argument("path", metavar="FILE", type=FileName())
@with_appcontext
def coverage_command(year, department, path) -> None:
    """导出年度抽查覆盖情况（每条规则每个期间一行，另附尚未覆盖的对象名单）。"""
    from .services import write_workbook

    department_id = None
    if department:
        found = department_by_code(department)
        if found is None:
            fail(unknown_department(department))
        department_id = found.id
    with writing(path):
        write_workbook(path, year, department_id)
    click.echo(f"已导出到 {path}")
