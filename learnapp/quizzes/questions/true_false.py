"""``true_false``: full points when the answer (a JSON boolean) equals ``answer:``, else 0.

``feedback_true``/``feedback_false`` are shown when the student answered true/false. Strings
such as ``"true"`` are not booleans and score 0: the form layer converts, the grader never guesses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from learnapp.content.fields import Fields, describe
from learnapp.quizzes.questions.base import (
    Grade,
    QuestionData,
    QuestionSpec,
    QuestionType,
    TextRenderer,
    base_view,
    data_of,
    review_common,
    zero,
)


@dataclass(frozen=True)
class TrueFalseData(QuestionData):
    answer: bool
    feedback_true_html: str = ""
    feedback_false_html: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "feedback_true_html": self.feedback_true_html,
            "feedback_false_html": self.feedback_false_html,
        }


class TrueFalse(QuestionType):
    name: ClassVar[str] = "true_false"
    keys = ("answer", "feedback_true", "feedback_false")
    required = ("answer",)

    def parse_data(self, fields: Fields, render: TextRenderer) -> TrueFalseData | None:
        value = fields.raw.get("answer")
        if value is None:
            return None
        if not isinstance(value, bool):
            fields.error(
                f'"answer" must be true or false, got {describe(value)}', fields.line("answer")
            )
            return None
        texts = {}
        for key in ("feedback_true", "feedback_false"):
            text = fields.string(key)
            texts[key] = render.inline(text, fields.line(key)) if text else ""
        return TrueFalseData(value, texts["feedback_true"], texts["feedback_false"])

    def data_from_dict(self, stored: Mapping[str, Any]) -> TrueFalseData:
        return TrueFalseData(
            bool(stored["answer"]),
            str(stored.get("feedback_true_html", "")),
            str(stored.get("feedback_false_html", "")),
        )

    def grade(self, spec: QuestionSpec, answer: object) -> Grade:
        data = spec.data
        if not isinstance(data, TrueFalseData) or not isinstance(answer, bool):
            return zero(spec)
        feedback = data.feedback_true_html if answer else data.feedback_false_html
        max_points = Decimal(spec.points)
        points = max_points if answer == data.answer else Decimal(0)
        return Grade(points, max_points, [feedback] if feedback else [])

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
        data = data_of(spec, TrueFalseData)
        shown = base_view(spec)
        if show_responses:
            shown["answer"] = answer if isinstance(answer, bool) else None
        if show_correct:
            shown["correct_answer"] = data.answer
        return {**shown, **review_common(spec, grade, show_correct, show_feedback)}
