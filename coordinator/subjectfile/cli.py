"""`flask export-subject-file CREDIT_CODE FILE`: an enterprise's whole file (一企一档) as one .xlsx."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from ..clikit import FileName, Text, command, fail, writing
from ..directories.models import Subject
from ..extensions import db


@command("export-subject-file")
@click.argument("credit_code", metavar="CREDIT_CODE", type=Text(18))
@click.argument("path", metavar="FILE", type=FileName())
@with_appcontext
def export_subject_file(credit_code, path) -> None:
    """导出一户检查对象的完整检查档案（一企一档，办公室可见的全部内容）。"""
    from .services import write_file

    subject = db.session.scalar(sa.select(Subject).where(Subject.credit_code == credit_code.strip().upper()))
    if subject is None:
        fail(f"检查对象“{credit_code}”不存在")
    with writing(path):
        write_file(path, subject, _Office())
    click.echo(f"已导出到 {path}")


class _Office:
    """The command runs as the office: it reads the whole file."""

    is_office = True
    is_inspector = False
    department_id = None
