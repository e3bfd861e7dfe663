"""``single``: pick one choice.

Score = the chosen choice's weight in percent of the question's points (default: 100 for the
correct choice, 0 otherwise); negative weights are floored at 0. An id that names no choice, or
anything that is not a string, scores 0.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, ClassVar

from learnapp.content.fields import Fields
from learnapp.quizzes.questions.base import (
    Grade,
    QuestionData,
    QuestionSpec,
    QuestionType,
    TextRenderer,
    base_view,
    data_of,
    review_common,
    scaled,
    zero,
)
from learnapp.quizzes.questions.choices import (
    Choice,
    choice_from_token,
    choice_to_token,
    choices_review,
    choices_view,
    effective_weights,
    parse_choices,
)


@dataclass(frozen=True)
class ChoiceData(QuestionData):
    choices: tuple[Choice, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"choices": [c.to_dict() for c in self.choices]}

    @classmethod
    def from_dict(cls, stored: Mapping[str, Any]) -> ChoiceData:
        return cls(tuple(Choice.from_dict(c) for c in stored["choices"]))


class ChoiceQuestion(QuestionType):
    """What single and multiple choice share: the choices shown and reviewed."""

    @abstractmethod
    def picked(self, answer: object) -> set[str]:
        """The choice ids a stored answer picked (nothing for a malformed answer)."""

    def view(self, spec: QuestionSpec, order: Sequence[str]) -> dict[str, Any]:
        data = data_of(spec, ChoiceData)
        return {**base_view(spec), "choices": choices_view(data.choices, order)}

    def review(
        self,
        spec: QuestionSpec,
        order: Sequence[str],
        answer: object,
        grade: Grade,
        *,
        show_responses: bool = True,
        show_correct: bool = True,
        show_feedback: bool = True,
    ) -> dict[str, Any]:
        data = data_of(spec, ChoiceData)
        picked = self.picked(answer)
        choices = choices_review(
            data.choices,
            order,
            picked,
            show_responses=show_responses,
            show_correct=show_correct,
            show_feedback=show_feedback,
        )
        return {
            **base_view(spec),
            "choices": choices,
            **review_common(spec, grade, show_correct, show_feedback),
        }


class SingleChoice(ChoiceQuestion):
    name: ClassVar[str] = "single"
    keys = ("choices",)
    required = ("choices",)

    def parse_data(self, fields: Fields, render: TextRenderer) -> ChoiceData | None:
        choices = parse_choices(fields, render, single=True)
        if choices is None:
            return None
        full = [c for c in choices if c.correct]
        if len(full) != 1:
            fields.error(
                f"{fields.what} needs exactly one correct choice (correct: true or weight: 100),"
                f" found {len(full)}",
                fields.line("choices"),
            )
            return None
        return ChoiceData(tuple(choices))

    def data_from_dict(self, stored: Mapping[str, Any]) -> ChoiceData:
        return ChoiceData.from_dict(stored)

    def grade(self, spec: QuestionSpec, answer: object) -> Grade:
        data = spec.data
        if not isinstance(data, ChoiceData) or not isinstance(answer, str):
            return zero(spec)
        weights = effective_weights(data.choices, single=True)
        if answer not in weights:
            return zero(spec)
        chosen = next(c for c in data.choices if c.id == answer)
        feedback = [chosen.feedback_html] if chosen.feedback_html else []
        max_points = Decimal(spec.points)
        return Grade(scaled(max_points, weights[answer] / Fraction(100)), max_points, feedback)

    def picked(self, answer: object) -> set[str]:
        return {answer} if isinstance(answer, str) else set()

    def answer_from_view(
        self, spec: QuestionSpec, order: Sequence[str], submitted: object
    ) -> object:
        return choice_from_token(order, submitted)

    def answer_to_view(self, spec: QuestionSpec, order: Sequence[str], answer: object) -> object:
        return choice_to_token(order, answer)
