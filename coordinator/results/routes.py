"""Result entry on the joint record, review and publication, follow-up, photos."""
from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from .. import once
from ..access import account_required, login_required, own_department_id
from ..auth.models import Department
from ..campaigns.models import Campaign, CampaignSubject, without_team
from ..directories.models import Subject
from ..extensions import db
from ..forms import posted_date
from ..pagination import paginate, search_arg
from ..states import CampaignStatus, RecordStatus
from ..timeutil import today
from ..uploads import attachment_folder
from . import deadlines, services
from .models import FOLLOW_UPS, RESULTS, Attachment, DepartmentResult, InspectionRecord

bp = Blueprint("results", __name__, url_prefix="/results")
PHOTO_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
PHOTO_MAX_BYTES = 8 * 1024 * 1024


def _record(record_id: int) -> InspectionRecord:
    """The record, if the user's department visits the enterprise or leads the campaign (the office sees all);
    an inspector's own account, only if it sits on the enterprise's team."""
    record = db.get_or_404(InspectionRecord, record_id)
    if not record.can_be_read_by(current_user):
        abort(403)
    return record


def _back(record: InspectionRecord, message: str, category: str = "success", to_entry: bool = False):
    flash(message, category)
    if to_entry:  # photos taken while filling the record in: back to the form, its draft still on the phone
        return redirect(url_for("results.entry", record_id=record.id) + "#photos")
    return redirect(url_for("results.detail", record_id=record.id))


@bp.get("/")
@login_required
def index():
    status = RecordStatus.from_label(request.args.get("status", ""))  # a value; a label is read too
    overdue = request.args.get("overdue") == "1"
    q = search_arg()
    query = (sa.select(InspectionRecord).join(CampaignSubject).join(Subject).join(Campaign)
             .options(*without_team(InspectionRecord.campaign_subject))
             .order_by(InspectionRecord.due_on, InspectionRecord.id))
    department_id = own_department_id()
    if department_id is not None:
        mine = sa.select(DepartmentResult.record_id).where(DepartmentResult.department_id == department_id)
        query = query.where(sa.or_(InspectionRecord.id.in_(mine), Campaign.lead_department_id == department_id))
    todo = request.args.get("todo", "")
    todo_department = department_id or request.args.get("department", type=int)
    if todo in services.TODO_LABELS:
        # The workbench's counts, each opening its list: the office may name a department, others see their own.
        query = query.where(services.todo_clause(todo, todo_department))
    campaign_id = request.args.get("campaign", type=int)
    if campaign_id:
        query = query.where(Campaign.id == campaign_id)
    if status:
        query = query.where(InspectionRecord.status == status)
    if overdue:  # each deadline's own: the report's, the notice's, publication's, else the results'
        late = deadlines.overdue_clause(todo, today()) if todo in deadlines.TODOS else None
        query = query.where(late if late is not None else InspectionRecord.overdue_clause(today()))
    if q:
        query = query.where(sa.or_(Subject.name.contains(q, autoescape=True), Subject.credit_code == q.upper()))
    page = paginate(query, request.args.get("page", 1, type=int))
    campaigns = db.session.scalars(sa.select(Campaign).where(Campaign.status.in_(CampaignStatus.DISPATCHED.and_later()))
                                   .order_by(Campaign.id.desc())).all()
    return render_template("results/index.html", page=page, status=status, statuses=RecordStatus, overdue=overdue,
                           q=q, today=today(), due=services.due_summary(department_id=department_id),
                           campaigns=campaigns, campaign_id=campaign_id, todo=todo,
                           todo_label=services.TODO_LABELS.get(todo, ""),
                           todo_department=db.session.get(Department, todo_department) if todo_department else None)


@bp.get("/<int:record_id>")
@account_required
def detail(record_id):
    record = _record(record_id)
    return render_template("results/detail.html", record=record,
                           items_for=services.items_for, today=today())


@bp.post("/<int:record_id>/report")
@account_required
def report(record_id):
    """The lead department (or the team's 组长) makes the inspection report."""
    record = _record(record_id)
    if not record.can_be_reported_by(current_user):
        abort(403)
    try:
        services.write_report(record, request.form.get("evaluation", ""), request.form.get("handling", ""),
                              current_user)
    except services.ResultError as problem:
        db.session.rollback()
        return _back(record, str(problem), "error")
    db.session.commit()
    return _back(record, "检查报告已形成，请在期限内打印并送达检查结果告知书")


@bp.route("/<int:record_id>/notice", methods=["GET", "POST"])
@account_required
def notice(record_id):
    """The printable result notice (检查结果告知书) and the date it reached the enterprise."""
    record = _record(record_id)
    if request.method == "POST":
        if not record.can_be_reported_by(current_user):
            abort(403)
        try:
            services.record_notice(record, _date("notified_on"))
        except services.ResultError as problem:
            db.session.rollback()
            flash(str(problem), "error")
            return redirect(url_for("results.notice", record_id=record.id))
        db.session.commit()
        return _back(record, "已记录检查结果告知书送达日期")
    return render_template("results/notice.html", record=record, today=today())


def _date(name: str) -> date | None:
    return posted_date(name, services.ResultError)


def _entry(department_result: DepartmentResult, lead: bool) -> services.ResultEntry:
    items = []
    for ci in services.items_for(department_result):
        problems = request.form.get(f"problems-{ci.id}", "0").strip() or "0"
        if not problems.isdigit() or int(problems) > 999:
            raise services.ResultError(f"“{ci.data.get('name')}”的问题数量应为0～999的整数")
        items.append(services.ItemEntry(ci.id, request.form.get(f"result-{ci.id}", ""), int(problems),
                                        request.form.get(f"description-{ci.id}", "")[:2000]))
    return services.ResultEntry(
        items=items, follow_ups=request.form.getlist("follow_ups"),
        transfer_to=request.form.get("transfer_to", "")[:100], questions_answered=bool(request.form.get("questions")),
        note=request.form.get("note", "")[:1000], rectify_by=_date("rectify_by"),
        inspected_on=_date("inspected_on") if lead else None,
        signed=(request.form.get("signed", "1") == "1") if lead else None,
        refusal_note=request.form.get("refusal_note", "")[:500] if lead else "",
        found_address=request.form.get("found_address", "")[:300] if lead else None,
        found_contact=request.form.get("found_contact", "")[:64] if lead else "",
        found_phone=request.form.get("found_phone", "")[:32] if lead else "",
    )


@bp.route("/<int:record_id>/entry", methods=["GET", "POST"])
@account_required
def entry(record_id):
    record = _record(record_id)
    department_id = own_department_id() or request.values.get("department", type=int)
    department_result = record.department_result(department_id)
    if department_result is None:
        abort(403)
    lead = department_id == record.campaign_subject.campaign.lead_department_id
    error = None
    if request.method == "POST":
        submit = request.form.get("action") == "submit"
        try:
            services.save_department_result(record, department_id, _entry(department_result, lead), current_user, submit=submit)
            db.session.commit()
        except services.ResultError as problem:
            db.session.rollback()
            error = str(problem)
        except (sa.exc.IntegrityError, sa.exc.OperationalError):  # the same department result submitted twice at once
            db.session.rollback()
            return _back(record, "本部门的结果刚刚已由他人提交，以已保存的为准", "warning")
        else:
            return _back(record, "检查结果已提交" if submit else "已暂存，提交前可继续修改")
    return render_template("results/entry.html", record=record, department_result=department_result,
                           items=services.items_for(department_result),
                           results=RESULTS, follow_ups=FOLLOW_UPS, lead=lead, error=error, form=request.form,
                           editable=record.awaits(department_result), today=today())


@bp.post("/<int:record_id>/review")
@login_required
def review(record_id):
    record = _record(record_id)
    if not record.can_be_reviewed_by(current_user):
        abort(403)
    try:
        if request.form.get("action") == "publish":
            services.publish(record, current_user)
            message = "记录已审核并公示"
        else:
            services.send_back(record, [int(d) for d in request.form.getlist("departments") if d.isdigit()],
                               request.form.get("reason", ""), current_user)
            message = "记录已退回，相关部门修改后重新提交"
    except services.ResultError as problem:
        db.session.rollback()
        return _back(record, str(problem), "error")
    db.session.commit()
    return _back(record, message)


@bp.post("/<int:record_id>/photos")
@account_required
def upload_photo(record_id):
    """One or several photos at once (a phone sends all it took); all are checked before any is kept."""
    record = _record(record_id)
    department_result = record.department_result(current_user.department_id)
    if department_result is None:
        abort(403)
    to_entry = request.form.get("back") == "entry"
    if not record.can_take_photos_from(current_user):
        return _back(record, "记录已公示，不能再上传照片", "error", to_entry)
    uploads = [u for u in request.files.getlist("photo") if u and u.filename]
    if not uploads:
        return _back(record, "请选择照片文件", "error", to_entry)
    photos = []
    for upload in uploads:
        name = Path(upload.filename).name
        suffix = Path(name).suffix.lower()
        if suffix not in PHOTO_TYPES:
            return _back(record, f"“{name}”不是 JPG 或 PNG 照片，本次照片均未上传", "error", to_entry)
        data = upload.read(PHOTO_MAX_BYTES + 1)
        if len(data) > PHOTO_MAX_BYTES:
            return _back(record, f"“{name}”超过 8 MB，本次照片均未上传", "error", to_entry)
        if not (data.startswith(b"\xff\xd8\xff") or data.startswith(b"\x89PNG\r\n\x1a\n")):
            return _back(record, f"“{name}”的内容不是 JPG 或 PNG 图片，本次照片均未上传", "error", to_entry)
        photos.append((name, suffix, data))
    if not once.spend_form("photo"):
        return once.repeated(url_for("results.detail", record_id=record.id))
    for name, suffix, data in photos:
        stored = f"{uuid.uuid4().hex}{suffix}"
        (attachment_folder() / stored).write_bytes(data)
        department_result.attachments.append(Attachment(filename=name[:200], stored_as=stored,
                                                       uploaded_by_id=current_user.id))
    db.session.commit()
    return _back(record, "照片已上传" if len(photos) == 1 else f"{len(photos)}张照片已上传", to_entry=to_entry)


@bp.get("/photos/<int:attachment_id>")
@account_required
def photo(attachment_id):
    attachment = db.get_or_404(Attachment, attachment_id)
    _record(attachment.department_result.record_id)
    path = attachment_folder() / attachment.stored_as
    if not path.exists():
        abort(404)
    return send_file(path, mimetype=PHOTO_TYPES[path.suffix], download_name=attachment.filename)
