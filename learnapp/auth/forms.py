from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from learnapp.auth.passwords import MAX_LENGTH, password_problem

NAME_LENGTH = Length(min=1, max=120)


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
    email = EmailField("E-mail", filters=[strip], validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_LENGTH)])
    remember = BooleanField("Keep me signed in on this device")
    submit = SubmitField("Log in")


class RegisterForm(FlaskForm):
    email = EmailField(
        "E-mail",
        filters=[strip],
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )
    display_name = StringField(
        "Full name",
        filters=[strip],
        description="Printed on your certificates.",
        validators=[DataRequired(), NAME_LENGTH],
    )
    password = PasswordField(
        "Password",
        description="At least 8 characters. A passphrase of a few words works well.",
        validators=[DataRequired(), PasswordPolicy()],
    )
    confirm = PasswordField(
        "Repeat password",
        validators=[DataRequired(), EqualTo("password", message="The passwords do not match.")],
    )
    submit = SubmitField("Create account")


class ProfileForm(FlaskForm):
    display_name = StringField(
        "Full name",
        filters=[strip],
        description="Printed on your certificates.",
        validators=[DataRequired(), NAME_LENGTH],
    )
    submit = SubmitField("Save name")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired(), Length(max=MAX_LENGTH)]
    )
    new_password = PasswordField(
        "New password",
        description="At least 8 characters. Your other sessions will be signed out.",
        validators=[DataRequired(), PasswordPolicy()],
    )
    confirm = PasswordField(
        "Repeat new password",
        validators=[DataRequired(), EqualTo("new_password", message="The passwords do not match.")],
    )
    submit = SubmitField("Change password")


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField("New password", validators=[DataRequired(), PasswordPolicy()])
    confirm = PasswordField(
        "Repeat new password",
        validators=[DataRequired(), EqualTo("new_password", message="The passwords do not match.")],
    )
    submit = SubmitField("Set password")


class LogoutForm(FlaskForm):
    submit = SubmitField("Log out")
