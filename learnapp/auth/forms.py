from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from learnapp.auth.passwords import MAX_LENGTH, password_problem

NAME_LENGTH = Length(min=1, max=120)
PASSWORDS_DIFFER = _l("The passwords do not match.")


def strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class PasswordPolicy:
    """WTForms validator running the password policy; reads e-mail/name from sibling fields."""

    def __call__(self, form: Any, field: Any) -> None:
        email = getattr(getattr(form, "email", None), "data", "") or ""
        name = getattr(getattr(form, "display_name", None), "data", "") or ""
        if problem := password_problem(field.data or "", email=email, name=name):
            raise ValidationError(problem)


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), filters=[strip], validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=MAX_LENGTH)])
    remember = BooleanField(_l("Keep me signed in on this device"))
    submit = SubmitField(_l("Log in"))


class RegisterForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        filters=[strip],
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )
    display_name = StringField(
        _l("Full name"),
        filters=[strip],
        description=_l("Printed on your certificates."),
        validators=[DataRequired(), NAME_LENGTH],
    )
    password = PasswordField(
        _l("Password"),
        description=_l("At least 8 characters. A passphrase of a few words works well."),
        validators=[DataRequired(), PasswordPolicy()],
    )
    confirm = PasswordField(
        _l("Repeat password"),
        validators=[DataRequired(), EqualTo("password", message=PASSWORDS_DIFFER)],
    )
    submit = SubmitField(_l("Create account"))


class ProfileForm(FlaskForm):
    display_name = StringField(
        _l("Full name"),
        filters=[strip],
        description=_l("Printed on your certificates."),
        validators=[DataRequired(), NAME_LENGTH],
    )
    submit = SubmitField(_l("Save name"))


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=MAX_LENGTH)]
    )
    new_password = PasswordField(
        _l("New password"),
        description=_l("At least 8 characters. Your other sessions will be signed out."),
        validators=[DataRequired(), PasswordPolicy()],
    )
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(), EqualTo("new_password", message=PASSWORDS_DIFFER)],
    )
    submit = SubmitField(_l("Change password"))


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), PasswordPolicy()])
    confirm = PasswordField(
        _l("Repeat new password"),
        validators=[DataRequired(), EqualTo("new_password", message=PASSWORDS_DIFFER)],
    )
    submit = SubmitField(_l("Set password"))


class LogoutForm(FlaskForm):
    submit = SubmitField(_l("Log out"))


class LanguageForm(FlaskForm):
    #: Choices are set per request from the configured languages (see the account route).
    locale = SelectField(
        _l("Interface language"),
        description=_l("Course content stays in the language its author wrote it in."),
    )
    submit = SubmitField(_l("Save language"))


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        filters=[strip],
        description=_l("The address you log in with. We send a link to set a new password."),
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )
    submit = SubmitField(_l("Send reset link"))


class ResendVerificationForm(FlaskForm):
    submit = SubmitField(_l("Send the link again"))
