"""Account services: authentication with throttling, password change, user management."""
from __future__ import annotations

import math
import secrets

import sqlalchemy as sa
from flask import current_app
from werkzeug.security import check_password_hash, generate_password_hash

from ..audit import services as audit
from ..extensions import db
from ..timeutil import now
from . import throttle
from .models import Department, User


class AuthError(Exception):
    pass


_dummy_hash: dict[str, str] = {}


def _check_against_nobody(password: str) -> None:
    """Spend as long on an unknown user name as on a real one: the answer's timing tells them apart otherwise."""
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    if method not in _dummy_hash:
        _dummy_hash[method] = generate_password_hash(secrets.token_hex(16), method=method)
    check_password_hash(_dummy_hash[method], password)


def authenticate(username: str, password: str, address: str) -> User:
    """The user for these credentials, or AuthError with a Chinese message.

    Every attempt is counted for the name and the source address before the password is checked (see
    throttle.claim); unknown and known names get the same answers after the same work.
    """
    name = username.strip()
    attempt = throttle.claim(name, address)
    if not attempt.allowed:
        wait = max(1, math.ceil((attempt.wait_until - now()).total_seconds() / 60)) if attempt.wait_until else 1
        raise AuthError(f"登录失败次数过多，请{wait}分钟后再试；如需立即登录，请联系领导小组办公室解除限制")
    user = db.session.scalar(sa.select(User).where(User.username == name))
    if user is None:
        _check_against_nobody(password)
        raise AuthError("用户名或密码错误")
    if not user.check_password(password):
        raise AuthError("用户名或密码错误")
    if not user.active:
        raise AuthError("该账号已停用，请联系领导小组办公室")
    throttle.forget(name, address)
    audit.log("login", "user_account", user.id, None, {"address": address}, user=user)
    db.session.commit()
    return user


def lift_throttle(user: User) -> int:
    """The office lets a user try again at once, whatever was counted against the name."""
    lifted = throttle.lift(user.username)
    audit.log("unlock", "user_account", user.id, None, {"username": user.username})
    return lifted


def log_out(user: User, address: str) -> None:
    """End this user's sessions on the server: a copied session or "记住我" cookie no longer signs in."""
    user.end_sessions()
    audit.log("logout", "user_account", user.id, None, {"address": address}, user=user)


def change_password(user: User, new_password: str) -> None:
    """Set a new password; the new session token ends every other session of this user."""
    user.set_password(new_password)
    user.must_change_password = False
    db.session.commit()


def create_user(username, display_name, role, department: Department | None, password) -> User:
    user = User(
        username=username,
        display_name=display_name,
        role=role,
        department_id=None if role == "office" else department.id,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def department_by_code(code: str) -> Department | None:
    """The department of `code`, as typed: exactly, else in any case when only one department matches (XFJ)."""
    code = code.strip()
    found = db.session.scalar(sa.select(Department).where(Department.code == code))
    if found is None:
        matches = db.session.scalars(sa.select(Department).where(sa.func.lower(Department.code) == code.lower())).all()
        found = matches[0] if len(matches) == 1 else None
    return found


def unknown_department(code: str) -> str:
    """The refusal of a department code that names none, with the codes there are."""
    codes = "、".join(db.session.scalars(sa.select(Department.code).order_by(Department.id)))
    return f"部门代码“{code}”不存在（现有部门代码：{codes or '尚无部门'}）"


def department_lookup() -> dict[str, Department]:
    """Departments by code and by name, as files and users refer to them either way."""
    lookup: dict[str, Department] = {}
    for department in db.session.scalars(sa.select(Department)):
        lookup[department.code] = department
        lookup[department.name] = department
    return lookup
