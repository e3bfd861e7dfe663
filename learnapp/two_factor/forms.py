from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from learnapp.auth.passwords import MAX_LENGTH


def _no_spaces(value: str | None) -> str | None:
    """Apps show codes as "123 456"; people type them so."""
    return "".join(value.split()) if isinstance(value, str) else value


def code_field() -> StringField:
    return StringField(
        _l("Authentication code"),
        filters=[_no_spaces],
        description=_l("The 6-digit code your authenticator app shows now."),
        validators=[DataRequired(message=_l("Enter the code.")), Length(max=10)],
    )


class CodeForm(FlaskForm):
    code = code_field()
    submit = SubmitField(_l("Verify"))


class RecoveryCodeForm(FlaskForm):
    code = StringField(
        _l("Recovery code"),
        filters=[_no_spaces],
        description=_l(
            "One of the codes you saved when you set up two-factor sign-in, "
            "like abcd-efgh-ijkl-mnop. Each works once."
        ),
        validators=[DataRequired(message=_l("Enter a recovery code.")), Length(max=40)],
    )
    submit = SubmitField(_l("Verify"))


class EnrolForm(FlaskForm):
    code = code_field()
    submit = SubmitField(_l("Turn on two-factor sign-in"))


class DisableForm(FlaskForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    code = code_field()
    submit = SubmitField(_l("Turn off two-factor sign-in"))


class RegenerateForm(FlaskForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    submit = SubmitField(_l("Make new recovery codes"))
