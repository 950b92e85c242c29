"""Pages of the two directories and the recusal list."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from .. import once
from ..access import ensure_can_edit_department, ensure_department, login_required, own_department_id, roles_required
from ..auth.models import Department
from ..excel.importing import RowInvalid
from ..excel.writer import send_workbook
from ..extensions import db
from ..pagination import paginate, search_arg
from ..states import SubjectStatus
from ..subjectfile import services as subjectfile
from ..textutil import join_list
from ..timeutil import now
from ..toggle import switch_active
from ..vocab import CATEGORIES, RISK_CLASSES
from . import services
from .forms import ConflictForm, InspectorForm, StatusForm, SubjectForm
from .importers import (
    INSPECTOR_COLUMNS,
    SUBJECT_COLUMNS,
    export_inspectors,
    export_subjects,
)
from .models import Conflict, Inspector, Subject

bp = Blueprint("directories", __name__)


def _xlsx(write, filename: str):
    return send_workbook(write, f"{filename}_{now():%Y%m%d}")


# ---- enterprises -------------------------------------------------------------------------------


def _subject_filters() -> dict[str, str]:
    return {name: request.args.get(name, "").strip() for name in services.SUBJECT_FILTERS}


@bp.get("/subjects")
@login_required
def subjects():
    q = search_arg()
    filters = _subject_filters()
    page = paginate(services.subject_query(q, **filters), request.args.get("page", 1, type=int))
    return render_template(
        "directories/subjects.html", page=page, q=q, filters=filters, options=services.filter_options(),
        categories=CATEGORIES, risk_classes=[*RISK_CLASSES, "未分类"], statuses=SubjectStatus.labels(),
    )


@bp.get("/subjects/stale")
@login_required
def subject_stale():
    from_inspections = request.args.get("source") == "inspections"
    page = paginate(services.stale_query(from_inspections), request.args.get("page", 1, type=int))
    return render_template("directories/stale.html", page=page, from_inspections=from_inspections)


@bp.get("/subjects/export")
@roles_required("office")
def subject_export():
    query = services.subject_query(search_arg(), **_subject_filters())
    return _xlsx(lambda target: export_subjects(target, query), "检查对象名录库")


@bp.get("/subjects/<int:subject_id>")
@login_required
def subject_detail(subject_id):
    subject = db.get_or_404(Subject, subject_id)
    conflicts = db.session.scalars(services.conflict_query(own_department_id()).where(Conflict.subject_id == subject_id))
    return render_template("directories/subject_detail.html", subject=subject, conflicts=conflicts.all(),
                           status_form=StatusForm(status=subject.status),
                           history=subjectfile.history(subject, current_user))


@bp.get("/subjects/<int:subject_id>/file.xlsx")
@login_required
def subject_file(subject_id):
    """一企一档 as one workbook, as this user may read it."""
    subject = db.get_or_404(Subject, subject_id)
    return send_workbook(lambda target: subjectfile.write_file(target, subject, current_user),
                         f"{subject.name}检查档案")


@bp.route("/subjects/new", methods=["GET", "POST"], defaults={"subject_id": None})
@bp.route("/subjects/<int:subject_id>/edit", methods=["GET", "POST"])
@roles_required("office")
def subject_edit(subject_id):
    subject = db.get_or_404(Subject, subject_id) if subject_id else None
    form = SubjectForm(data=_form_data(subject, SUBJECT_COLUMNS) if subject and request.method == "GET" else None)
    errors: list[str] = []
    if form.validate_on_submit():
        created = subject is None
        try:
            subject = services.save_subject(subject, form.row())
        except RowInvalid as invalid:
            db.session.rollback()
            errors = invalid.reasons
        else:
            if created and not once.spend_form("subject"):
                return once.repeated(url_for("directories.subjects"))
            db.session.commit()
            flash(f"“{subject.name}”已保存", "success")
            return redirect(url_for("directories.subject_detail", subject_id=subject.id))
    return render_template("directories/subject_form.html", form=form, subject=subject, errors=errors)


def _form_data(obj, columns) -> dict[str, str]:
    """A stored row as the text a user would type in the form (and an Excel cell would hold)."""
    data = {}
    for column in columns:
        value = getattr(obj, column.key, None)
        if isinstance(value, bool):
            value = "是" if value else "否"
        elif isinstance(value, list):
            value = join_list(value)
        elif isinstance(value, float):
            value = f"{value:g}"
        elif isinstance(value, date):
            value = value.isoformat()
        data[column.key] = "" if value is None else str(value)
    return data


@bp.post("/subjects/<int:subject_id>/status")
@roles_required("office")
def subject_status(subject_id):
    subject = db.get_or_404(Subject, subject_id)
    form = StatusForm()
    if not form.validate_on_submit():
        flash("；".join(e for errors in form.errors.values() for e in errors), "error")
    elif form.status.data == subject.status:
        flash(f"经营状态已经是“{subject.status.label}”，未作变更", "warning")
    else:
        services.change_status(subject, form.status.data, form.reason.data, current_user.id)
        db.session.commit()
        flash(f"经营状态已改为“{subject.status.label}”", "success")
    return redirect(url_for("directories.subject_detail", subject_id=subject_id))


# ---- inspectors --------------------------------------------------------------------------------


@bp.get("/inspectors")
@login_required
def inspectors():
    department_id = own_department_id() or request.args.get("department", type=int)
    q, state = search_arg(), request.args.get("state", "")
    page = paginate(services.inspector_query(department_id, q, state), request.args.get("page", 1, type=int))
    departments = db.session.scalars(sa.select(Department).order_by(Department.id)).all()
    return render_template("directories/inspectors.html", page=page, q=q, state=state,
                           departments=departments, department_id=department_id)


@bp.get("/inspectors/export")
@roles_required("office", "admin")
def inspector_export():
    query = services.inspector_query(own_department_id())
    return _xlsx(lambda target: export_inspectors(target, query), "执法检查人员名录库")


@bp.get("/inspectors/<int:inspector_id>")
@login_required
def inspector_detail(inspector_id):
    inspector = db.get_or_404(Inspector, inspector_id)
    ensure_department(inspector.department_id)
    conflicts = db.session.scalars(sa.select(Conflict).where(Conflict.inspector_id == inspector_id)
                                  .order_by(Conflict.id.desc())).all()  # newest first, as the recusal list
    return render_template("directories/inspector_detail.html", inspector=inspector, conflicts=conflicts)


@bp.route("/inspectors/new", methods=["GET", "POST"], defaults={"inspector_id": None})
@bp.route("/inspectors/<int:inspector_id>/edit", methods=["GET", "POST"])
@roles_required("office", "admin")
def inspector_edit(inspector_id):
    inspector = db.get_or_404(Inspector, inspector_id) if inspector_id else None
    departments = db.session.scalars(sa.select(Department).where(Department.active).order_by(Department.id)).all()
    if current_user.role == "admin":
        departments = [d for d in departments if d.id == current_user.department_id]
    department_id = inspector.department_id if inspector else request.values.get("department_id", type=int)
    department_id = department_id or (departments[0].id if len(departments) == 1 else None)
    if department_id is not None:
        ensure_can_edit_department(department_id)
    form = InspectorForm(data=_form_data(inspector, INSPECTOR_COLUMNS) if inspector and request.method == "GET" else None)
    errors: list[str] = []
    if form.validate_on_submit():
        department = db.session.get(Department, department_id) if department_id else None
        if department is None:
            errors = ["请选择所属单位"]
        else:
            created = inspector is None
            try:
                inspector = services.save_inspector(inspector, form.row(), department)
            except RowInvalid as invalid:
                db.session.rollback()
                errors = invalid.reasons
            else:
                if created and not once.spend_form("inspector"):
                    return once.repeated(url_for("directories.inspectors"))
                db.session.commit()
                flash(f"执法人员{inspector.name}已保存", "success")
                return redirect(url_for("directories.inspector_detail", inspector_id=inspector.id))
    return render_template("directories/inspector_form.html", form=form, inspector=inspector, errors=errors,
                           departments=departments, department_id=department_id)


@bp.post("/inspectors/<int:inspector_id>/active")
@roles_required("office", "admin")
def inspector_active(inspector_id):
    inspector = db.get_or_404(Inspector, inspector_id)
    ensure_can_edit_department(inspector.department_id)
    return switch_active(inspector, inspector.name, "恢复在岗", "停用（不再参与抽取）",
                         url_for("directories.inspector_detail", inspector_id=inspector_id))


# ---- declared conflicts of interest --------------------------------------------------------------


def _conflict_form() -> ConflictForm:
    form = ConflictForm()
    query = services.inspector_query(own_department_id())
    form.inspector_id.choices = [
        SelectChoice(i.id, f"{i.name}（{i.department.name}，{i.cert_no or '无执法证'}）") for i in db.session.scalars(query)
    ]
    return form


@bp.route("/conflicts", methods=["GET", "POST"])
@roles_required("office", "admin")
def conflicts():
    form = _conflict_form()
    if form.validate_on_submit():
        inspector = db.session.get(Inspector, form.inspector_id.data)
        if inspector is None:
            abort(404)
        ensure_can_edit_department(inspector.department_id)
        try:
            services.declare_conflict(services.ConflictRequest(inspector, form.credit_code.data, form.reason.data))
        except ValueError as error:
            form.credit_code.errors.append(str(error))
        else:
            db.session.commit()
            flash("回避关系已登记，抽取执法人员时将自动回避", "success")
            return redirect(url_for("directories.conflicts"))
    page = paginate(services.conflict_query(own_department_id()), request.args.get("page", 1, type=int))
    return render_template("directories/conflicts.html", page=page, form=form)


@bp.post("/conflicts/<int:conflict_id>/delete")
@roles_required("office", "admin")
def conflict_delete(conflict_id):
    conflict = db.get_or_404(Conflict, conflict_id)
    ensure_can_edit_department(conflict.inspector.department_id)
    db.session.delete(conflict)
    db.session.commit()
    flash("回避关系已撤销", "success")
    return redirect(url_for("directories.conflicts"))
