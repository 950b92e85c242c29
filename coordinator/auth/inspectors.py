"""Inspectors' own accounts: a department's administrator makes them in bulk from its inspector directory."""
from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass

import sqlalchemy as sa

from ..audit import services as audit
from ..directories.models import Inspector
from ..extensions import db
from .models import Department, User

# No 0/O, 1/l/I: an initial password is read off a screen or a slip of paper.
_LETTERS = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
_DIGITS = "23456789"


class AccountError(ValueError):
    """An account that cannot be made; the message says why, in Chinese."""


@dataclass(frozen=True)
class Issued:
    """An account just made and its initial password: shown once, never stored in clear."""

    inspector: Inspector
    user: User
    password: str


def initial_password() -> str:
    """10 characters, letters and digits (the password rule), none that read alike."""
    while True:
        password = "".join(secrets.choice(_LETTERS + _DIGITS) for _ in range(10))
        if any(c in _DIGITS for c in password) and any(c in string.ascii_letters for c in password):
            return password


def without_account(department_id: int) -> list[Inspector]:
    """The department's active inspectors that have no account yet."""
    has_account = sa.select(User.inspector_id).where(User.inspector_id.is_not(None))
    return db.session.scalars(
        sa.select(Inspector).where(Inspector.department_id == department_id, Inspector.active,
                                   Inspector.id.not_in(has_account))
        .order_by(Inspector.cert_no.nulls_last(), Inspector.name, Inspector.id)).all()


def accounts_of(department_id: int) -> list[User]:
    return db.session.scalars(sa.select(User).where(User.department_id == department_id,
                                                    User.inspector_id.is_not(None))
                              .order_by(User.username)).all()


def username_for(department: Department, inspector: Inspector) -> str:
    """The department's code and the certificate number (else the directory id): unique, and readable aloud."""
    tail = re.sub(r"[^A-Za-z0-9]", "", inspector.cert_no or "") or f"p{inspector.id}"
    name = f"{department.code}_{tail}".lower()[:64]
    taken = db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.username == name))
    return f"{name[:56]}_{inspector.id}" if taken else name


def create_accounts(department: Department, inspector_ids: list[int]) -> list[Issued]:
    """An account for each chosen inspector of `department` that has none: role inspector, linked to it, with an
    initial password to be changed at the first log-in. Another department's inspector or one that already
    has an account refuses the whole batch."""
    if not inspector_ids:
        raise AccountError("请至少选择一名执法检查人员")
    wanted = set(inspector_ids)
    available = {i.id: i for i in without_account(department.id)}
    if wanted - set(available):
        raise AccountError("所选人员中有不属于本部门、已停用或已有账号的人员，请刷新页面后重新选择")
    issued = []
    for inspector_id in sorted(wanted, key=lambda i: (available[i].cert_no or "", i)):
        inspector = available[inspector_id]
        password = initial_password()
        user = User(username=username_for(department, inspector), display_name=inspector.name, role="inspector",
                    department_id=department.id, inspector_id=inspector.id, must_change_password=True)
        user.set_password(password)
        db.session.add(user)
        db.session.flush()  # the next username check sees this one
        issued.append(Issued(inspector, user, password))
    audit.log("make_accounts", "department", department.id, None,
              {"accounts": [i.user.username for i in issued]})
    return issued


def reset_password(user: User) -> Issued:
    """A new initial password for an inspector's account that lost its own; every session of it ends."""
    if not user.is_inspector:
        raise AccountError("只能为检查人员个人账号重置初始密码")
    password = initial_password()
    user.set_password(password)
    user.must_change_password = True
    audit.log("reset_password", "user_account", user.id, None, {"username": user.username})
    return Issued(user.inspector, user, password)
