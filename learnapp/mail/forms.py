from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField


class PreferencesForm(FlaskForm):
    certificate_issued = BooleanField(_l("When a certificate is issued to me"))
    attempt_graded = BooleanField(_l("When an instructor sets my score on a quiz by hand"))
    practice_digest = BooleanField(
        _l("A daily reminder when practice questions are due for review"),
        description=_l("Sent only on days with questions due."),
    )
    submit = SubmitField(_l("Save preferences"))


class UnsubscribeForm(FlaskForm):
    submit = SubmitField(_l("Unsubscribe"))
