"""``multiple``: tick any number of choices.

Score = the sum of the weights of the ticked choices, floored at 0 and capped at 100 % of the
question's points. Default weights: each correct choice 100/#correct, each wrong choice
-100/#wrong, so ticking every choice (or none) scores 0 and ticking all correct ones scores full
marks. Explicit ``weight:`` values override the default for their choice. Ticking an id twice
counts once; an answer naming an unknown id, or that is not a list of strings, scores 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any, ClassVar

from learnapp.content.fields import Fields
from learnapp.quizzes.questions.base import (
    Grade,
    QuestionSpec,
    TextRenderer,
    scaled,
    zero,
)
from learnapp.quizzes.questions.choices import (
    choice_from_token,
    choice_to_token,
    effective_weights,
    parse_choices,
)
from learnapp.quizzes.questions.single import ChoiceData, ChoiceQuestion

#: More ticks than this is not a real answer; refuse before doing any work.
MAX_TICKS = 1000


class MultipleChoice(ChoiceQuestion):
    name: ClassVar[str] = "multiple"
    keys = ("choices",)
    required = ("choices",)

    def parse_data(self, fields: Fields, render: TextRenderer) -> ChoiceData | None:
        choices = parse_choices(fields, render, single=False)
        if choices is None:
            return None
        if not any(c.correct for c in choices):
            fields.error(f"{fields.what} has no correct choice", fields.line("choices"))
            return None
        data = ChoiceData(tuple(choices))
        best = sum(w for w in effective_weights(data.choices, single=False).values() if w > 0)
        if best < 100:
            fields.error(
                f"{fields.what}: positive weights add up to {float(best):g}%, so full marks"
                " are impossible",
                fields.line("choices"),
            )
            return None
        return data

    def data_from_dict(self, stored: Mapping[str, Any]) -> ChoiceData:
        return ChoiceData.from_dict(stored)

    def grade(self, spec: QuestionSpec, answer: object) -> Grade:
        data = spec.data
        if not isinstance(data, ChoiceData) or not isinstance(answer, list | tuple):
            return zero(spec)
        if len(answer) > MAX_TICKS or not all(isinstance(a, str) for a in answer):
            return zero(spec)
        weights = effective_weights(data.choices, single=False)
        ticked = set(answer)
        if not ticked <= weights.keys():
            return zero(spec)
        total = sum((weights[cid] for cid in ticked), Fraction(0))
        feedback = [c.feedback_html for c in data.choices if c.id in ticked and c.feedback_html]
        max_points = Decimal(spec.points)
        return Grade(scaled(max_points, total / 100), max_points, feedback)

    def picked(self, answer: object) -> set[str]:
        if not isinstance(answer, list | tuple):
            return set()
        return {a for a in answer if isinstance(a, str)}

    def answer_from_view(
        self, spec: QuestionSpec, order: Sequence[str], submitted: object
    ) -> object:
        if not isinstance(submitted, list | tuple) or len(submitted) > MAX_TICKS:
            return None
        ids = [choice_from_token(order, token) for token in submitted]
        return None if None in ids else ids

    def answer_to_view(self, spec: QuestionSpec, order: Sequence[str], answer: object) -> object:
        if not isinstance(answer, list | tuple):
            return []
        tokens = (choice_to_token(order, cid) for cid in answer)
        return [token for token in tokens if token is not None]
