"""Log-in, log-out, password change; the office's management of departments and users."""
from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from wtforms import SelectChoice

from .. import once
from ..access import account_required, public, roles_required
from ..extensions import db
from ..pagination import paginate, search_arg
from . import inspectors, services
from .forms import DepartmentForm, LoginForm, PasswordForm, UserForm
from .models import Department, User

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@public  # the door itself: anyone reaches it, a signed-in account is sent on
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.username.data, form.password.data, request.remote_addr or "")
        except services.AuthError as error:
            flash(str(error), "error")
        else:
            login_user(user, remember=form.remember.data)
            target = request.args.get("next", "")
            # Browsers read a backslash as "/" and "///host" as "//host": both would leave the site.
            if (not target or urlsplit(target).netloc != "" or not target.startswith("/")
                    or target.startswith("//") or "\\" in target):
                target = url_for("home.index")
            return redirect(target)
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@account_required
def logout():
    services.log_out(current_user, request.remote_addr or "")
    db.session.commit()
    logout_user()
    flash("您已安全退出", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@account_required
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append("当前密码不正确")
        else:
            services.change_password(current_user, form.new.data)
            # this session carries the new token; the others end. The user itself, not the proxy:
            # Flask-Login keeps what it is given as the request's user, and the proxy would point at itself.
            login_user(current_user._get_current_object())
            flash("密码已修改，您在其他设备上的登录已失效", "success")
            return redirect(url_for("home.index"))
    return render_template("auth/password.html", form=form)


# ---- the office manages departments and users -------------------------------------------


@bp.get("/admin/departments")
@roles_required("office")
def departments():
    rows = db.session.scalars(sa.select(Department).order_by(Department.id)).all()
    return render_template("auth/departments.html", departments=rows)


@bp.route("/admin/departments/new", methods=["GET", "POST"], defaults={"department_id": None})
@bp.route("/admin/departments/<int:department_id>", methods=["GET", "POST"])
@roles_required("office")
def edit_department(department_id):
    department = db.get_or_404(Department, department_id) if department_id else None
    form = DepartmentForm(obj=department)
    if form.validate_on_submit():
        clash = db.session.scalar(
            sa.select(Department).where(
                sa.or_(Department.code == form.code.data, Department.name == form.name.data.strip()),
                Department.id != (department.id if department else -1),
            ).order_by(Department.id)
        )
        if clash:
            form.code.errors.append(f"部门代码或名称已被“{clash.name}”使用")
        else:
            department = department or Department()
            form.populate_obj(department)
            department.name = department.name.strip()
            db.session.add(department)
            db.session.commit()
            flash(f"部门“{department.name}”已保存", "success")
            return redirect(url_for("auth.departments"))
    return render_template("auth/department_form.html", form=form, department=department)


@bp.get("/admin/users")
@roles_required("office")
def users():
    query = sa.select(User).order_by(User.department_id.nulls_first(), User.username)
    q = search_arg()
    if q:
        query = query.where(sa.or_(User.username.contains(q, autoescape=True),
                                   User.display_name.contains(q, autoescape=True)))
    page = paginate(query, request.args.get("page", 1, type=int))
    limited = services.throttle.limited_names([u.username for u in page.items])
    return render_template("auth/users.html", page=page, q=q, limited=limited)


@bp.post("/admin/users/<int:user_id>/unlock")
@roles_required("office")
def unlock_user(user_id):
    user = db.get_or_404(User, user_id)
    services.lift_throttle(user)
    db.session.commit()
    flash(f"已解除账号“{user.username}”的登录限制", "success")
    return redirect(url_for("auth.users"))


def _department_choices():
    rows = db.session.scalars(sa.select(Department).where(Department.active).order_by(Department.id))
    return [SelectChoice(0, "（无：领导小组办公室）")] + [SelectChoice(d.id, d.name) for d in rows]


@bp.route("/admin/users/new", methods=["GET", "POST"], defaults={"user_id": None})
@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@roles_required("office")
def edit_user(user_id):
    user = db.get_or_404(User, user_id) if user_id else None
    form = UserForm(obj=user)
    form.department_id.choices = _department_choices()
    if user is not None and user.is_inspector:  # linked to its inspector: the role and department stay
        form.role.choices = [SelectChoice("inspector", user.role_label)]
        form.department_id.choices = [SelectChoice(user.department_id, user.department.name)]
    if request.method == "GET" and user is not None:
        form.department_id.data = user.department_id or 0
    if form.validate_on_submit():
        if user is None and not form.password.data:
            form.password.errors.append("新建账号必须设置初始密码")
        elif db.session.scalar(
            sa.select(User).where(User.username == form.username.data, User.id != (user_id or -1))
        ):
            form.username.errors.append("该用户名已被使用")
        elif user is not None and user.id == current_user.id and (not form.active.data or form.role.data != "office"):
            form.role.errors.append("不能停用自己的账号或取消自己的办公室角色")
        elif user is None and not once.spend_form("user"):
            return once.repeated(url_for("auth.users"))
        else:
            user = user or User(password_hash="")
            if user.active and not form.active.data:
                user.end_sessions()  # disabled now: the sessions it has open end with it
            user.username = form.username.data
            user.display_name = form.display_name.data.strip()
            user.role = form.role.data
            user.department_id = None if form.role.data == "office" else form.department_id.data
            user.active = form.active.data
            if form.password.data:
                user.set_password(form.password.data)
            db.session.add(user)
            db.session.commit()
            flash(f"账号“{user.username}”已保存", "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=user)


# ---- a department's administrator makes its inspectors' own accounts ----------------------------


@bp.route("/admin/inspector-accounts", methods=["GET", "POST"])
@roles_required("admin")
def inspector_accounts():
    department = current_user.department
    issued = []
    if request.method == "POST":
        if not once.spend_form("inspector_accounts"):  # a double click: the first answer showed the passwords
            return once.repeated(url_for("auth.inspector_accounts"))
        try:
            issued = inspectors.create_accounts(department, [int(i) for i in request.form.getlist("inspector")
                                                             if i.isdigit()])
        except inspectors.AccountError as problem:
            db.session.rollback()
            flash(str(problem), "error")
        else:
            db.session.commit()
            flash(f"已为{len(issued)}名执法检查人员开通个人账号；初始密码只显示这一次，请当面或密封交给本人", "success")
    return render_template("auth/inspector_accounts.html", issued=issued,
                           waiting=inspectors.without_account(department.id),
                           accounts=inspectors.accounts_of(department.id))


@bp.post("/admin/inspector-accounts/<int:user_id>/reset")
@roles_required("admin")
def reset_inspector_password(user_id):
    user = db.get_or_404(User, user_id)
    if user.department_id != current_user.department_id or not user.is_inspector:
        abort(403)
    issued = [inspectors.reset_password(user)]
    db.session.commit()
    flash(f"已重置“{user.display_name}”的初始密码；只显示这一次", "success")
    return render_template("auth/inspector_accounts.html", issued=issued,
                           waiting=inspectors.without_account(user.department_id),
                           accounts=inspectors.accounts_of(user.department_id))


@bp.before_app_request
def _first_password():
    """An account whose initial password someone else chose sets its own before anything else."""
    if (current_user.is_authenticated and current_user.must_change_password
            and request.endpoint not in ("auth.change_password", "auth.logout", "static")):
        flash("这是您第一次登录，请先设置自己的密码", "warning")
        return redirect(url_for("auth.change_password"))
    return None


@bp.before_app_request
def _refuse_disabled_department():
    """An account of a disabled department can no longer act."""
    if (current_user.is_authenticated and current_user.department is not None
            and not current_user.department.active and request.endpoint not in ("auth.logout", "static")):
        abort(403)
