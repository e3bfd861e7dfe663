from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, Form, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from learnapp.auth.models import Role


class RoleForm(FlaskForm):
    role = SelectField(
        "Role",
        choices=[SelectChoice(role.value, role.value.title()) for role in Role],
        validators=[DataRequired()],
    )
    reason = StringField("Reason (for the audit log)", validators=[Length(max=200)])
    submit = SubmitField("Change role")


class ActiveForm(FlaskForm):
    reason = StringField("Reason (for the audit log)", validators=[Length(max=200)])
    submit = SubmitField()


class ResetLinkForm(FlaskForm):
    submit = SubmitField("Create a password reset link")


class AssignCourseForm(FlaskForm):
    #: Choices are the courses the user does not teach yet, set by the route.
    course = SelectField("Course", coerce=int, validators=[DataRequired()])
    reason = StringField("Reason (for the audit log)", validators=[Length(max=200)])
    submit = SubmitField("Assign course")


class UnassignCourseForm(FlaskForm):
    submit = SubmitField("Unassign")


class AnonymiseForm(FlaskForm):
    reason = StringField(
        "Reason (for the audit log)",
        description="For example the date and channel of the request. "
        "The person's name and e-mail address are removed from it.",
        validators=[DataRequired(message="Say why the account is anonymised."), Length(max=200)],
    )
    confirm_email = StringField(
        "Type the account's e-mail address to confirm",
        validators=[DataRequired(message="Type the e-mail address to confirm.")],
    )
    submit = SubmitField("Anonymise account")

    def __init__(self, *args: Any, expected_email: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.expected_email = expected_email

    def validate_confirm_email(self, field: Any) -> None:
        if (field.data or "").strip().lower() != self.expected_email.lower():
            raise ValidationError("This is not the account's e-mail address.")


class AuditFilterForm(Form):
    """The audit log's filters, read from the query string (a GET form: no CSRF token)."""

    action = SelectField("Action", choices=[], validate_choice=False)
    actor = StringField(
        "Actor",
        description='Part of an e-mail address or name; "system" for the command line.',
        filters=[lambda value: value.strip()[:100] if isinstance(value, str) else value],
    )
    target_type = SelectField("Target type", choices=[], validate_choice=False)
    target_id = StringField(
        "Target id",
        filters=[lambda value: value.strip()[:64] if isinstance(value, str) else value],
    )
    since = DateField("From", validators=[Optional()])
    until = DateField("To", validators=[Optional()])
