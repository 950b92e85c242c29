"""Account services: authentication with throttling, password change, user management."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from ..extensions import db
from ..timeutil import now
from .models import Department, User

MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15


class AuthError(Exception):
    pass


def authenticate(username: str, password: str) -> User:
    """The user for these credentials, or AuthError with a Chinese message; locks after repeated failures."""
    user = db.session.scalar(sa.select(User).where(User.username == username.strip()))
    if user is not None and user.locked_until and user.locked_until > now():
        raise AuthError(f"登录失败次数过多，账号已临时锁定，请于{user.locked_until:%H:%M}后再试")
    if user is None or not user.check_password(password):
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= MAX_FAILED_LOGINS:
                user.locked_until = now() + timedelta(minutes=LOCK_MINUTES)
                user.failed_logins = 0
            db.session.commit()
        raise AuthError("用户名或密码错误")
    if not user.active:
        raise AuthError("该账号已停用，请联系领导小组办公室")
    user.failed_logins = 0
    user.locked_until = None
    db.session.commit()
    return user


def change_password(user: User, new_password: str) -> None:
    """Set a new password; the new session token ends every other session of this user."""
    user.set_password(new_password)
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
    return db.session.scalar(sa.select(Department).where(Department.code == code))


def department_lookup() -> dict[str, Department]:
    """Departments by code and by name, as files and users refer to them either way."""
    lookup: dict[str, Department] = {}
    for department in db.session.scalars(sa.select(Department)):
        lookup[department.code] = department
        lookup[department.name] = department
    return lookup
