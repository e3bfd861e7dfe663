from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, Length


class RevokeForm(FlaskForm):
    reason = StringField(
        _l("Reason"),
        validators=[DataRequired(message=_l("Give a reason for the revocation.")), Length(max=500)],
        description=_l("Shown on the public verification page."),
    )
    submit = SubmitField(_l("Revoke certificate"))


class RestoreForm(FlaskForm):
    submit = SubmitField(_l("Undo the revocation"))


class ReissueForm(FlaskForm):
    submit = SubmitField(_l("Reissue with the current name"))


class ClaimForm(FlaskForm):
    submit = SubmitField(_l("Get your certificate"))


class AwardForm(FlaskForm):
    email = EmailField(
        _l("Student e-mail"), validators=[DataRequired(), Email(check_deliverability=False)]
    )
    course = SelectField(_l("Course"), validators=[DataRequired()])
    reason = TextAreaField(
        _l("Reason"),
        validators=[DataRequired(message=_l("Give a reason for the award.")), Length(max=500)],
        description=_l(
            "For example: recognised prior learning, or a fix after a wrong answer key."
        ),
    )
    submit = SubmitField(_l("Award certificate"))
