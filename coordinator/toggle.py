"""Disabling and enabling a row of a directory (inspectors, items, experts) from its page: one way for all."""
from __future__ import annotations

from flask import flash, redirect

from .extensions import db


def switch_active(row, name: str, enabled: str, disabled: str, back: str):
    """Flip `row.active` and commit (the ORM's audit entry records it); say which way it went, and go `back`.
    The caller has checked who may."""
    row.active = not row.active
    db.session.commit()
    flash(f"{name}已{enabled if row.active else disabled}", "success")
    return redirect(back)
