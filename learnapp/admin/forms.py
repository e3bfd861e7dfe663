from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

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
