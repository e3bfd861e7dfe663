from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, Length


class RevokeForm(FlaskForm):
    reason = StringField(
        "Reason",
        validators=[DataRequired(message="Give a reason for the revocation."), Length(max=500)],
        description="Shown on the public verification page.",
    )
    submit = SubmitField("Revoke certificate")


class RestoreForm(FlaskForm):
    submit = SubmitField("Undo the revocation")


class ReissueForm(FlaskForm):
    submit = SubmitField("Reissue with the current name")


class ClaimForm(FlaskForm):
    submit = SubmitField("Get your certificate")


class AwardForm(FlaskForm):
    email = EmailField(
        "Student e-mail", validators=[DataRequired(), Email(check_deliverability=False)]
    )
    course = SelectField("Course", validators=[DataRequired()])
    reason = TextAreaField(
        "Reason",
        validators=[DataRequired(message="Give a reason for the award."), Length(max=500)],
        description="For example: recognised prior learning, or a fix after a wrong answer key.",
    )
    submit = SubmitField("Award certificate")
