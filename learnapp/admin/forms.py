from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, Form, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from learnapp.auth.models import Role

ROLE_LABELS = {
    Role.STUDENT: _l("Student"),
    Role.INSTRUCTOR: _l("Instructor"),
    Role.ADMIN: _l("Admin"),
}


class RoleForm(FlaskForm):
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice(role.value, ROLE_LABELS[role]) for role in Role],
        validators=[DataRequired()],
    )
    reason = StringField(_l("Reason (for the audit log)"), validators=[Length(max=200)])
    submit = SubmitField(_l("Change role"))


class ActiveForm(FlaskForm):
    reason = StringField(_l("Reason (for the audit log)"), validators=[Length(max=200)])
    submit = SubmitField()


class ResetLinkForm(FlaskForm):
    submit = SubmitField(_l("Create a password reset link"))


class ResetTwoFactorForm(FlaskForm):
    reason = StringField(
        _l("Reason (for the audit log)"),
        description=_l("For example how you checked it is really them asking."),
        validators=[
            DataRequired(message=_l("Say why two-factor sign-in is reset.")),
            Length(max=200),
        ],
    )
    submit = SubmitField(_l("Reset two-factor sign-in"))


class AssignCourseForm(FlaskForm):
    #: Choices are the courses the user does not teach yet, set by the route.
    course = SelectField(_l("Course"), coerce=int, validators=[DataRequired()])
    reason = StringField(_l("Reason (for the audit log)"), validators=[Length(max=200)])
    submit = SubmitField(_l("Assign course"))


class UnassignCourseForm(FlaskForm):
    submit = SubmitField(_l("Unassign"))


class AnonymiseForm(FlaskForm):
    reason = StringField(
        _l("Reason (for the audit log)"),
        description=_l(
            "For example the date and channel of the request. "
            "The person's name and e-mail address are removed from it."
        ),
        validators=[
            DataRequired(message=_l("Say why the account is anonymised.")),
            Length(max=200),
        ],
    )
    confirm_email = StringField(
        _l("Type the account's e-mail address to confirm"),
        validators=[DataRequired(message=_l("Type the e-mail address to confirm."))],
    )
    submit = SubmitField(_l("Anonymise account"))

    def __init__(self, *args: Any, expected_email: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.expected_email = expected_email

    def validate_confirm_email(self, field: Any) -> None:
        if (field.data or "").strip().lower() != self.expected_email.lower():
            raise ValidationError(_l("This is not the account's e-mail address."))


class AuditFilterForm(Form):
    """The audit log's filters, read from the query string (a GET form: no CSRF token)."""

    action = SelectField(_l("Action"), choices=[], validate_choice=False)
    actor = StringField(
        _l("Actor"),
        description=_l('Part of an e-mail address or name; "system" for the command line.'),
        filters=[lambda value: value.strip()[:100] if isinstance(value, str) else value],
    )
    target_type = SelectField(_l("Target type"), choices=[], validate_choice=False)
    target_id = StringField(
        _l("Target id"),
        filters=[lambda value: value.strip()[:64] if isinstance(value, str) else value],
    )
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To"), validators=[Optional()])
