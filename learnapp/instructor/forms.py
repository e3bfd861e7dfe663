"""Forms of the instructor area. Every fix for a student needs a reason (kept in the audit log)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

REASON_HELP = _l("Required. Kept in the audit log with your name.")


def _reason() -> StringField:
    return StringField(
        _l("Reason"),
        validators=[DataRequired(_l("Give a reason.")), Length(max=500)],
        description=REASON_HELP,
    )


class SyncForm(FlaskForm):
    submit = SubmitField(_l("Sync now"))


class AllowanceForm(FlaskForm):
    extra_minutes = IntegerField(
        _l("Extra minutes per attempt"),
        validators=[InputRequired(_l("Give a number (0 for none).")), NumberRange(0, 24 * 60)],
        description=_l("Added to the time limit; an attempt in progress gets it too."),
    )
    extra_attempts = IntegerField(
        _l("Extra attempts"),
        validators=[InputRequired(_l("Give a number (0 for none).")), NumberRange(0, 100)],
    )
    reason = _reason()
    submit = SubmitField(_l("Save extra time and attempts"))


class ScoreForm(FlaskForm):
    percent = DecimalField(
        _l("Score (%)"),
        places=2,
        validators=[InputRequired(_l("Give a score from 0 to 100.")), NumberRange(0, 100)],
        description=_l("Replaces the score from the attempts until you remove it."),
    )
    reason = _reason()
    submit = SubmitField(_l("Set score"))


class ClearScoreForm(FlaskForm):
    reason = _reason()
    submit = SubmitField(_l("Remove manual score"))


class ReopenForm(FlaskForm):
    minutes = IntegerField(
        _l("Minutes to finish (optional)"),
        validators=[Optional(), NumberRange(1, 24 * 60)],
        description=_l("Leave empty for the quiz's time limit (plus extra time) from now."),
    )
    reason = _reason()
    submit = SubmitField(_l("Reopen attempt"))


class DiscardForm(FlaskForm):
    reason = _reason()
    submit = SubmitField(_l("Discard attempt"))


class GradeForm(FlaskForm):
    """A person's grade of one answer (essay). The rubric's levels are radio buttons named
    ``<prefix>-level-<criterion id>``, read by the route, since each question has its own."""

    points = StringField(
        _l("Points"),
        validators=[Optional(), Length(max=20)],
        description=_l("For an essay without rubric."),
    )
    comment = TextAreaField(
        _l("Comment for the student"),
        validators=[Optional(), Length(max=5000)],
        description=_l("Shown to the student with the grade."),
    )
    reason = StringField(
        _l("Reason for the change"),
        validators=[Optional(), Length(max=500)],
        description=_l("Required when you change a grade. Kept in the audit log with your name."),
    )
    submit = SubmitField(_l("Save grade"))
