"""The item form: one field per column of the published item list."""
from __future__ import annotations

from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..forms import BaseForm
from ..textutil import clean
from .models import ITEM_FIELDS

LONG = {"basis", "content", "materials", "note"}


class ItemForm(BaseForm):
    def row(self) -> dict[str, str]:
        """The item as an import row: cells cleaned, but the legal basis and content keep their line breaks."""
        return {key: clean(field.data) if key not in ("basis", "content") else (field.data or "").strip()
                for key, field in self._fields.items() if key != "csrf_token"}


for _key, _label in ITEM_FIELDS.items():
    _validators = [DataRequired(f"请填写{_label}")] if _key == "name" else []
    _field = TextAreaField if _key in LONG else StringField
    setattr(ItemForm, _key, _field(_label, validators=[*_validators, Length(max=4000)]))
