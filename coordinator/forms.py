"""The base of every form (CSRF from Flask-WTF, WTForms' own messages in Chinese) and the fields they share."""
from datetime import date

from flask import request
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget


class BaseForm(FlaskForm):
    class Meta:
        locales = ("zh",)  # with WTF_I18N_ENABLED off, WTForms uses its bundled Chinese translations


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):  # an empty list means "no restriction"
        if self.data:
            super().pre_validate(form)


def posted_date(name: str, error: type[Exception] = ValueError):
    """The date posted in field `name` (None when blank); `error` with a Chinese message when it is no date."""
    text = request.form.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise error(f"日期“{text[:20]}”格式不正确，应为 2024-06-30") from None
