"""``multiple``: tick any number of choices.

Score = the sum of the weights of the ticked choices, floored at 0 and capped at 100 % of the
question's points. Default weights: each correct choice 100/#correct, each wrong choice
-100/#wrong, so ticking every choice (or none) scores 0 and ticking all correct ones scores full
marks. Explicit ``weight:`` values override the default for their choice. Ticking an id twice
counts once; an answer naming an unknown id, or that is not a list of strings, scores 0.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar

from learnapp.content.fields import Fields
from learnapp.content.messages import msg
from learnapp.quizzes.questions.base import (
    Form,
    Grade,
    QuestionSpec,
    TextRenderer,
    data_of,
    scaled,
    zero,
)
from learnapp.quizzes.questions.choices import (
    choice_from_token,
    choice_to_token,
    effective_weights,
    parse_choices,
    read_gift_choices,
    write_gift_multiple,
)
from learnapp.quizzes.questions.single import ChoiceData, ChoiceQuestion

if TYPE_CHECKING:
    from learnapp.content.gift import GiftReader, GiftWriter

#: More ticks than this is not a real answer; refuse before doing any work.
MAX_TICKS = 1000


class MultipleChoice(ChoiceQuestion):
    name: ClassVar[str] = "multiple"
    keys = ("choices",)
    required = ("choices",)
    analysis = "choices"
    gift_rank = 21

    def parse_data(self, fields: Fields, render: TextRenderer) -> ChoiceData | None:
        choices = parse_choices(fields, render, single=False)
        if choices is None:
            return None
        if not any(c.correct for c in choices):
            fields.error(
                msg("%(what)s has no correct choice", what=fields.what), fields.line("choices")
            )
            return None
        data = ChoiceData(tuple(choices))
        best = sum(w for w in effective_weights(data.choices, single=False).values() if w > 0)
        if best < 100:
            fields.error(
                msg(
                    "%(what)s: positive weights add up to %(total)s%%, so full marks are"
                    " impossible",
                    what=fields.what,
                    total=format(float(best), "g"),
                ),
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

    def best_answer(self, spec: QuestionSpec) -> object:
        weights = effective_weights(data_of(spec, ChoiceData).choices, single=False)
        return [cid for cid, weight in weights.items() if weight > 0]

    def read_form(self, view: Mapping[str, Any], field: str, form: Form) -> tuple[bool, Any]:
        tokens = [choice["id"] for choice in view["choices"]]
        picked = {value for value in form.getlist(field) if value in tokens}
        # Nothing ticked is "not answered" (not an empty answer).
        return f"{field}_shown" in form, [token for token in tokens if token in picked] or None

    def form_fields(self, field: str, value: Any) -> dict[str, Any]:
        return {field: list(value or []), f"{field}_shown": "1"}

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

    def gift_recognises(self, answers: str) -> bool:
        return "~" in answers

    def gift_read(
        self,
        gift: GiftReader,
        answers: str,
        start: int,
        fmt: str,
        line_at: Callable[[int], int],
        line: int,
    ) -> dict[str, Any] | None:
        return read_gift_choices(gift, answers, start, fmt, line_at, line, single=False)

    def gift_write(self, gift: GiftWriter, raw: Mapping[str, Any], line: int) -> str | None:
        return write_gift_multiple(raw)
