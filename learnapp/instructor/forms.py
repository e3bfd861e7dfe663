"""Forms of the instructor area. Every fix for a student needs a reason (kept in the audit log)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DecimalField, IntegerField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

REASON_HELP = "Required. Kept in the audit log with your name."


def _reason() -> StringField:
    return StringField(
        "Reason",
        validators=[DataRequired("Give a reason."), Length(max=500)],
        description=REASON_HELP,
    )


class SyncForm(FlaskForm):
    submit = SubmitField("Sync now")


class AllowanceForm(FlaskForm):
    extra_minutes = IntegerField(
        "Extra minutes per attempt",
        validators=[InputRequired("Give a number (0 for none)."), NumberRange(0, 24 * 60)],
        description="Added to the time limit; an attempt in progress gets it too.",
    )
    extra_attempts = IntegerField(
        "Extra attempts",
        validators=[InputRequired("Give a number (0 for none)."), NumberRange(0, 100)],
    )
    reason = _reason()
    submit = SubmitField("Save extra time and attempts")


class ScoreForm(FlaskForm):
    percent = DecimalField(
        "Score (%)",
        places=2,
        validators=[InputRequired("Give a score from 0 to 100."), NumberRange(0, 100)],
        description="Replaces the score from the attempts until you remove it.",
    )
    reason = _reason()
    submit = SubmitField("Set score")


class ClearScoreForm(FlaskForm):
    reason = _reason()
    submit = SubmitField("Remove manual score")


class ReopenForm(FlaskForm):
    minutes = IntegerField(
        "Minutes to finish (optional)",
        validators=[Optional(), NumberRange(1, 24 * 60)],
        description="Leave empty for the quiz's time limit (plus extra time) from now.",
    )
    reason = _reason()
    submit = SubmitField("Reopen attempt")


class DiscardForm(FlaskForm):
    reason = _reason()
    submit = SubmitField("Discard attempt")
