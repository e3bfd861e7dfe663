from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectChoice, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from learnapp.reports.models import COMMENT_MAX, NOTE_MAX, REASONS


class ReportForm(FlaskForm):
    """A student's report; the quiz pages render its fields by hand (``reports/_report.html``)
    with one form per question, so the names here are the contract."""

    reason = SelectField(
        _l("What is wrong?"),
        choices=[SelectChoice(value, label) for value, label in REASONS.items()],
        validators=[DataRequired()],
    )
    comment = TextAreaField(
        _l("Comment"),
        validators=[DataRequired(), Length(max=COMMENT_MAX)],
        filters=[lambda value: (value or "").strip()],
    )


class NoteForm(FlaskForm):
    """Close or reopen a report, with a note the student will see."""

    note = TextAreaField(
        _l("Note to the student (optional)"),
        validators=[Length(max=NOTE_MAX)],
        filters=[lambda value: (value or "").strip()],
    )
    #: Which page to return to: the question's reports or the course's.
    back = HiddenField(default="course")
    submit = SubmitField()
