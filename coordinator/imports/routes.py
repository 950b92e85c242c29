"""Import pages for every directory: upload an Excel or CSV file → preview (each refused row, why) → confirm."""
from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, render_template, request, url_for
from flask_login import current_user

from ..access import ensure_can_edit_department, own_department_id, roles_required
from ..auth.models import Department
from ..directories.importers import ConflictImporter, InspectorImporter, SubjectImporter
from ..excel.importing import Importer, run_import
from ..excel.reader import SUFFIXES, FileRefused
from ..exchange.importers import PersonnelImporter, RegistrationImporter, RiskClassImporter
from ..experts.services import ExpertImporter
from ..extensions import db
from ..items.services import ItemImporter

bp = Blueprint("imports", __name__, url_prefix="/import")
KEEP_UPLOADS_SECONDS = 24 * 3600


@dataclass(frozen=True)
class ImportKind:
    label: str
    roles: tuple[str, ...]
    importer: type[Importer]
    make: Callable[[Department | None], Importer]
    back: str  # endpoint of the list the import fills
    per_department: bool = False


KINDS = {
    "subjects": ImportKind("检查对象名录库", ("office",), SubjectImporter, lambda _d: SubjectImporter(current_user.id),
                           "directories.subjects"),
    "inspectors": ImportKind("执法检查人员名录库", ("office", "admin"), InspectorImporter,
                             lambda _d: InspectorImporter(own_department_id()), "directories.inspectors"),
    "conflicts": ImportKind("回避关系", ("office", "admin"), ConflictImporter, lambda _d: ConflictImporter(own_department_id()),
                            "directories.conflicts"),
    "items": ImportKind("随机抽查事项清单", ("office", "admin"), ItemImporter, lambda d: ItemImporter(d, current_user.id),
                        "items.index", per_department=True),
    # The lists other systems send (coordinator.exchange): the regulator's, the registration system's, the
    # justice bureau's.
    "risk-classes": ImportKind("信用风险分类", ("office",), RiskClassImporter,
                               lambda _d: RiskClassImporter(current_user.id), "exchange.index"),
    "registration": ImportKind("登记状态变更", ("office",), RegistrationImporter,
                               lambda _d: RegistrationImporter(current_user.id), "exchange.index"),
    "personnel": ImportKind("执法人员执法证（司法局）", ("office", "admin"), PersonnelImporter,
                            lambda _d: PersonnelImporter(own_department_id(), current_user.id),
                            "directories.inspectors"),
    "experts": ImportKind("专家库", ("office", "admin"), ExpertImporter, lambda _d: ExpertImporter(own_department_id()),
                          "experts.index"),
}


def _kind(name: str) -> ImportKind:
    kind = KINDS.get(name)
    if kind is None:
        abort(404)
    return kind


def _kind_roles(kind_name: str) -> tuple[str, ...]:
    """Who imports the kind the URL names (declared on the views, asked by the templates' links: `may`)."""
    return _kind(kind_name).roles


IMPORTERS = tuple(dict.fromkeys(role for kind in KINDS.values() for role in kind.roles))


def _department(kind: ImportKind) -> Department | None:
    if not kind.per_department:
        return None
    # A posted department is checked, never silently swapped for the user's own: another one's id is a 403.
    department_id = request.form.get("department_id", type=int) or own_department_id()
    department = db.session.get(Department, department_id) if department_id else None
    if department is None:
        return None
    ensure_can_edit_department(department.id)
    return department


def _upload_path(token: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{32}", token or ""):
        abort(400)
    return Path(current_app.config["UPLOAD_FOLDER"]) / f"{current_user.id}-{token}.xlsx"


def _forget_old_uploads() -> None:
    cutoff = time.time() - KEEP_UPLOADS_SECONDS
    for path in Path(current_app.config["UPLOAD_FOLDER"]).glob("*.xlsx"):
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def _page(kind_name: str, kind: ImportKind, **context):
    departments = db.session.scalars(sa.select(Department).where(Department.active).order_by(Department.id)).all()
    return render_template("imports/upload.html", kind_name=kind_name, kind=kind, departments=departments,
                           own_department=own_department_id(), **context)


@bp.route("/<kind_name>", methods=["GET", "POST"])
@roles_required(*IMPORTERS, by_url=_kind_roles)
def upload(kind_name):
    kind = _kind(kind_name)
    if request.method == "GET":
        return _page(kind_name, kind)
    upload = request.files.get("file")
    department = _department(kind)
    if kind.per_department and department is None:
        return _page(kind_name, kind, error="请选择事项清单所属的部门")
    if upload is None or not upload.filename:
        return _page(kind_name, kind, error="请选择要导入的 Excel 或 CSV 文件")
    if not upload.filename.lower().endswith(SUFFIXES):
        return _page(kind_name, kind,
                     error=f"“{upload.filename}”不是 Excel 或 CSV 文件，请上传 .xlsx、.xls 或 .csv 文件")
    _forget_old_uploads()
    token = uuid.uuid4().hex
    path = _upload_path(token)
    upload.save(path)
    try:
        report = run_import(kind.make(department), path, dry_run=True, filename=upload.filename)
    except FileRefused as error:
        path.unlink(missing_ok=True)
        return _page(kind_name, kind, error=str(error))
    return render_template("imports/preview.html", kind_name=kind_name, kind=kind, report=report, token=token,
                           department=department)


@bp.post("/<kind_name>/confirm")
@roles_required(*IMPORTERS, by_url=_kind_roles)
def confirm(kind_name):
    kind = _kind(kind_name)
    department = _department(kind)
    token = request.form.get("token", "")
    path = _upload_path(token)
    if not path.exists():
        flash("预检文件已过期或已导入，请重新上传", "warning")
        return _page(kind_name, kind)
    try:
        # The token is spent in the import's own transaction: a double click's second confirm is refused.
        report = run_import(kind.make(department), path, dry_run=False, token=token,
                            filename=request.form.get("filename") or path.name)
    except FileRefused as error:
        return _page(kind_name, kind, error=str(error))
    finally:
        path.unlink(missing_ok=True)
    flash(report.summary(), "success" if not report.refused else "warning")
    return render_template("imports/preview.html", kind_name=kind_name, kind=kind, report=report, token=None,
                           department=department, back=url_for(kind.back))
