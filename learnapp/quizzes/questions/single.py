"""``single``: pick one choice.

Score = the chosen choice's weight in percent of the question's points (default: 100 for the
correct choice, 0 otherwise); negative weights are floored at 0. An id that names no choice, or
anything that is not a string, scores 0.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar

from learnapp.content.fields import Fields
from learnapp.content.messages import msg
from learnapp.quizzes.questions.base import (
    Form,
    Grade,
    QuestionData,
    QuestionSpec,
    QuestionType,
    TextRenderer,
    base_view,
    data_of,
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
    read_gift_choices,
    write_gift_single,
)

if TYPE_CHECKING:
    from learnapp.content.gift import GiftReader, GiftWriter


@dataclass(frozen=True)
class ChoiceData(QuestionData):
    choices: tuple[Choice, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"choices": [c.to_dict() for c in self.choices]}

    @classmethod
    def from_dict(cls, stored: Mapping[str, Any]) -> ChoiceData:
        return cls(tuple(Choice.from_dict(c) for c in stored["choices"]))


class ChoiceQuestion(QuestionType):
    """What single and multiple choice share: the choices shown, reviewed and analysed."""

    def option_order(
        self, spec: QuestionSpec, shuffle_choices: bool, rng: random.Random
    ) -> tuple[str, ...]:
        """Choice ids, shuffled only with the quiz's ``shuffle_choices``."""
        ids = [c.id for c in data_of(spec, ChoiceData).choices]
        if shuffle_choices:
            rng.shuffle(ids)
        return tuple(ids)

    def view(self, spec: QuestionSpec, order: Sequence[str]) -> dict[str, Any]:
        data = data_of(spec, ChoiceData)
        return {**base_view(spec), "choices": choices_view(data.choices, order)}

    def review_answer(
        self,
        spec: QuestionSpec,
        order: Sequence[str],
        answer: object,
        grade: Grade,
        *,
        show_responses: bool,
        show_correct: bool,
        show_feedback: bool,
    ) -> dict[str, Any]:
        data = data_of(spec, ChoiceData)
        choices = choices_review(
            data.choices,
            order,
            self.picked(answer),
            show_responses=show_responses,
            show_correct=show_correct,
            show_feedback=show_feedback,
        )
        return {"choices": choices}

    def analysis_choices(self, spec: QuestionSpec) -> list[tuple[str, str, bool]]:
        return [(c.id, c.text_html, c.correct) for c in data_of(spec, ChoiceData).choices]

    def right_feedback(self, spec: QuestionSpec) -> list[str]:
        return [c.feedback_html for c in data_of(spec, ChoiceData).choices if c.correct]

    def gift_items(self, raw: Mapping[str, Any]) -> list[Any]:
        return list(raw.get("choices") or [])


class SingleChoice(ChoiceQuestion):
    name: ClassVar[str] = "single"
    keys = ("choices",)
    required = ("choices",)
    analysis = "choice"
    gift_rank = 20

    def parse_data(self, fields: Fields, render: TextRenderer) -> ChoiceData | None:
        choices = parse_choices(fields, render, single=True)
        if choices is None:
            return None
        full = [c for c in choices if c.correct]
        if len(full) != 1:
            fields.error(
                msg(
                    "%(what)s needs exactly one correct choice (correct: true or weight: 100),"
                    " found %(count)s",
                    what=fields.what,
                    count=len(full),
                ),
                fields.line("choices"),
            )
            return None
        return ChoiceData(tuple(choices))

    def data_from_dict(self, stored: Mapping[str, Any]) -> ChoiceData:
        return ChoiceData.from_dict(stored)

    def read_form(self, view: Mapping[str, Any], field: str, form: Form) -> tuple[bool, Any]:
        tokens = [choice["id"] for choice in view["choices"]]
        value = form.get(field)
        return (f"{field}_shown" in form or field in form), value if value in tokens else None

    def form_fields(self, field: str, value: Any) -> dict[str, Any]:
        return {field: value, f"{field}_shown": "1"}

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

    def best_answer(self, spec: QuestionSpec) -> object:
        return next(c.id for c in data_of(spec, ChoiceData).choices if c.correct)

    def picked(self, answer: object) -> set[str]:
        return {answer} if isinstance(answer, str) else set()

    def answer_from_view(
        self, spec: QuestionSpec, order: Sequence[str], submitted: object
    ) -> object:
        return choice_from_token(order, submitted)

    def answer_to_view(self, spec: QuestionSpec, order: Sequence[str], answer: object) -> object:
        return choice_to_token(order, answer)

    def gift_recognises(self, answers: str) -> bool:
        return "~" in answers and "=" in answers

    def gift_read(
        self,
        gift: GiftReader,
        answers: str,
        start: int,
        fmt: str,
        line_at: Callable[[int], int],
        line: int,
    ) -> dict[str, Any] | None:
        return read_gift_choices(gift, answers, start, fmt, line_at, line, single=True)

    def gift_write(self, gift: GiftWriter, raw: Mapping[str, Any], line: int) -> str | None:
        return write_gift_single(raw)
