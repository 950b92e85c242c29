"""The base of every form: CSRF from Flask-WTF, and WTForms' own messages in Chinese."""
from flask_wtf import FlaskForm


class BaseForm(FlaskForm):
    class Meta:
        locales = ("zh",)  # with WTF_I18N_ENABLED off, WTForms uses its bundled Chinese translations
