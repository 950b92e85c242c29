"""Departments and user accounts with their roles."""
from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..timeutil import now
from ..vocab import ROLES

if TYPE_CHECKING:
    from ..directories.models import Inspector


class Department(db.Model):
    __tablename__ = "department"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    active: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return f"<Department {self.code}>"


class User(UserMixin, db.Model):
    __tablename__ = "user_account"
    __table_args__ = (
        sa.CheckConstraint("(role = 'inspector') = (inspector_id IS NOT NULL)", name="ck_user_account_inspector"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(64))
    role: Mapped[str] = mapped_column(sa.String(16))
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("department.id"), index=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    # Part of the log-in cookie: changing it ends every session that carries the old value.
    session_token: Mapped[str] = mapped_column(sa.String(32), default=lambda: secrets.token_hex(16))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=now)
    # An inspector's own account (role "inspector") is linked to its one row in the inspector directory.
    inspector_id: Mapped[int | None] = mapped_column(sa.ForeignKey("inspector.id"), unique=True)
    # Set on an account whose initial password someone else chose: the first log-in asks for a new one.
    must_change_password: Mapped[bool] = mapped_column(default=False)

    department: Mapped[Department | None] = relationship()
    inspector: Mapped[Inspector | None] = relationship(lazy="joined")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    @property
    def is_office(self) -> bool:
        return self.role == "office"

    @property
    def organises_joint_campaigns(self) -> bool:
        """The office organises joint campaigns (and any department's); a department's admin only its own
        internal and special inspections."""
        return self.is_office

    @property
    def is_inspector(self) -> bool:
        """An inspector's own account: it sees its own teams and records, nothing of the department's others."""
        return self.role == "inspector"

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def set_password(self, password: str) -> None:
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def end_sessions(self) -> None:
        """A new session token: every session cookie and "记住我" cookie issued so far stops working."""
        self.session_token = secrets.token_hex(16)


class LoginThrottle(db.Model):
    """Failed log-in attempts of one user name from one source address, and when the next may be tried.

    Keyed by name and address, so a stranger elsewhere only slows down their own attempts; user names that
    exist and names that do not are counted alike, so the answer never tells them apart. Written only by
    Core statements (coordinator.auth.throttle), not audited row by row.
    """

    __tablename__ = "login_throttle"
    username: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    address: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    next_at: Mapped[datetime]
    last_at: Mapped[datetime]
