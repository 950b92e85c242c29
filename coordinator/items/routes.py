"""Pages of the departments' inspection item lists."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import once
from ..access import ensure_can_edit_department, ensure_department, login_required, own_department_id, roles_required
from ..auth.models import Department
from ..excel.importing import RowInvalid
from ..excel.writer import send_workbook
from ..extensions import db
from ..pagination import paginate, search_arg
from ..timeutil import now
from ..toggle import switch_active
from .forms import ItemForm
from .models import ITEM_FIELDS, Item
from .services import export_items, save_item_form

bp = Blueprint("items", __name__, url_prefix="/items")


@bp.get("/")
@login_required
def index():
    department_id = own_department_id() or request.args.get("department", type=int)
    q = search_arg()
    show_inactive = request.args.get("inactive") == "1"
    query = sa.select(Item).join(Item.department).order_by(Item.department_id, Item.code)
    if department_id:
        query = query.where(Item.department_id == department_id)
    if not show_inactive:
        query = query.where(Item.active)
    if q:
        query = query.where(sa.or_(Item.name.contains(q, autoescape=True), Item.content.contains(q, autoescape=True),
                                   Item.industries.contains(q, autoescape=True)))
    page = paginate(query, request.args.get("page", 1, type=int))
    departments = db.session.scalars(sa.select(Department).order_by(Department.id)).all()
    return render_template("items/index.html", page=page, q=q, departments=departments,
                           department_id=department_id, show_inactive=show_inactive)


@bp.get("/export")
@login_required
def export():
    department_id = own_department_id()
    return send_workbook(lambda target: export_items(target, None if department_id is None else [department_id]),
                         f"随机抽查事项清单_{now():%Y%m%d}")


@bp.get("/<int:item_id>")
@login_required
def detail(item_id):
    item = db.get_or_404(Item, item_id)
    ensure_department(item.department_id)
    return render_template("items/detail.html", item=item, fields=ITEM_FIELDS)


@bp.route("/new", methods=["GET", "POST"], defaults={"item_id": None})
@bp.route("/<int:item_id>/edit", methods=["GET", "POST"])
@roles_required("office", "admin")
def edit(item_id):
    item = db.get_or_404(Item, item_id) if item_id else None
    department_id = item.department_id if item else (own_department_id() or request.values.get("department_id", type=int))
    departments = db.session.scalars(sa.select(Department).where(Department.active).order_by(Department.id)).all()
    if department_id:
        ensure_can_edit_department(department_id)
    form = ItemForm(obj=item)
    errors: list[str] = []
    if form.validate_on_submit():
        department = db.session.get(Department, department_id) if department_id else None
        created = item is None
        try:
            if department is None:
                raise RowInvalid(["请选择部门"])
            item, changed = save_item_form(item, department, form.row(), current_user.id)
        except RowInvalid as invalid:
            errors = invalid.reasons
        else:
            if created and not once.spend_form("item"):
                return once.repeated(url_for("items.index"))
            db.session.commit()
            flash(f"抽查事项已保存（第{item.version}版）" if changed else "内容没有变化，未产生新版本", "success")
            return redirect(url_for("items.detail", item_id=item.id))
    return render_template("items/form.html", form=form, item=item, errors=errors, departments=departments,
                           department_id=department_id)


@bp.post("/<int:item_id>/active")
@roles_required("office", "admin")
def toggle_active(item_id):
    item = db.get_or_404(Item, item_id)
    ensure_can_edit_department(item.department_id)
    return switch_active(item, f"“{item.name}”", "恢复使用", "停用（历史版本保留）",
                         url_for("items.detail", item_id=item_id))
