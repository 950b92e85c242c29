"""Things done once: a token spent by the first of two identical submits, and named locks that serialise work."""
from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db
from .timeutil import now

UPSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


class SpentToken(db.Model):
    """A one-time token (an upload to confirm, a form to submit) that has been used: the key refuses a second use."""

    __tablename__ = "spent_token"
    token: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(sa.String(32))
    user_id: Mapped[int | None]
    spent_at: Mapped[datetime]


class NamedLock(db.Model):
    """One row per kind of work that must not run twice at once (an import of one kind); locked, never changed."""

    __tablename__ = "named_lock"
    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)


def new_token() -> str:
    return secrets.token_hex(16)


def spend(token: str, purpose: str, user_id: int | None = None) -> bool:
    """Use `token` in the caller's transaction; False when it was used already (or is being used right now).

    The primary key decides: a second transaction inserting the same token waits for the first and then
    fails, so two submits at once cannot both pass. Commit with the work the token guards.
    """
    if not token or len(token) > 64:
        return False
    try:
        with db.session.begin_nested():
            db.session.execute(SpentToken.__table__.insert().values(
                token=token, purpose=purpose[:32], user_id=user_id, spent_at=now()))
    except sa.exc.IntegrityError:
        return False
    return True


FORM_FIELD = "once"  # the hidden input of a form that creates something (macros/ui.html `once()`)
REPEATED = "这张表单刚刚已经提交过（可能是连点了两次），没有重复保存"


def spend_form(purpose: str) -> bool:
    """Spend the submitted form's one-time token with the work it guards; False for a second submit of it.

    A post without the field (a script, a test, a page opened before the field existed) is let through: the
    token protects people from their own double click, not the server from its users.
    """
    from flask import request
    from flask_login import current_user

    token = request.form.get(FORM_FIELD, "")
    return not token or spend(token, purpose, current_user.id if current_user.is_authenticated else None)


def repeated(target: str):
    """The answer to a second submit: nothing saved twice, back to where the first one's result shows."""
    from flask import flash, redirect

    db.session.rollback()
    flash(REPEATED, "warning")
    return redirect(target)


def hold(name: str) -> None:
    """Lock `name` until the caller's transaction ends; a second holder waits for the first to commit.

    Take it before reading what the work will compare against, so the second sees the first's rows.
    """
    table = NamedLock.__table__
    connection = db.session.connection()
    insert = UPSERTS.get(connection.dialect.name)
    if insert is not None:
        connection.execute(insert(table).values(name=name).on_conflict_do_nothing())
    elif connection.execute(sa.select(table.c.name).where(table.c.name == name)).first() is None:
        connection.execute(table.insert().values(name=name))
    if connection.dialect.name == "sqlite":
        # SQLite has no row locks: a write takes the database's one write lock for the rest of the transaction.
        connection.execute(table.update().where(table.c.name == name).values(name=name))
    connection.execute(sa.select(table.c.name).where(table.c.name == name).with_for_update())
