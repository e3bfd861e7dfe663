"""``true_false``: full points when the answer (a JSON boolean) equals ``answer:``, else 0.

``feedback_true``/``feedback_false`` are shown when the student answered true/false. Strings
such as ``"true"`` are not booleans and score 0: the form layer converts, the grader never guesses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from learnapp.content.fields import Fields, describe
from learnapp.content.gift import format_of, gift_markdown
from learnapp.content.messages import msg
from learnapp.quizzes.questions.base import (
    Form,
    Grade,
    QuestionData,
    QuestionSpec,
    QuestionType,
    TextRenderer,
    data_of,
    zero,
)
from learnapp.translation import _

if TYPE_CHECKING:
    from learnapp.content.gift import GiftReader, GiftWriter

#: How GIFT writes true and false (Moodle reads only these, in capitals).
GIFT_TRUE = ("T", "TRUE")
GIFT_FALSE = ("F", "FALSE")


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
    analysis = "choice"
    gift_rank = 40

    def parse_data(self, fields: Fields, render: TextRenderer) -> TrueFalseData | None:
        value = fields.raw.get("answer")
        if value is None:
            return None
        if not isinstance(value, bool):
            fields.error(
                msg('"answer" must be true or false, got %(got)s', got=describe(value)),
                fields.line("answer"),
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

    def best_answer(self, spec: QuestionSpec) -> object:
        return data_of(spec, TrueFalseData).answer

    def read_form(self, view: Mapping[str, Any], field: str, form: Form) -> tuple[bool, Any]:
        present = f"{field}_shown" in form or field in form
        return present, {"true": True, "false": False}.get(form.get(field))

    def form_fields(self, field: str, value: Any) -> dict[str, Any]:
        return {field: "true" if value else "false", f"{field}_shown": "1"}

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
        shown: dict[str, Any] = {}
        if show_responses:
            shown["answer"] = answer if isinstance(answer, bool) else None
        if show_correct:
            shown["correct_answer"] = data_of(spec, TrueFalseData).answer
        return shown

    def right_feedback(self, spec: QuestionSpec) -> list[str]:
        data = data_of(spec, TrueFalseData)
        return [data.feedback_true_html if data.answer else data.feedback_false_html]

    def analysis_choices(self, spec: QuestionSpec) -> list[tuple[str, str, bool]]:
        answer = data_of(spec, TrueFalseData).answer
        return [("true", _("True"), answer is True), ("false", _("False"), answer is False)]

    def picked(self, answer: object) -> set[str]:
        """A true/false answer picks "true" or "false"."""
        return {"true" if answer else "false"} if isinstance(answer, bool) else set()

    def gift_recognises(self, answers: str) -> bool:
        check = answers.split("#", 1)[0].strip() if answers.find("#") > 0 else answers
        return check in (*GIFT_TRUE, *GIFT_FALSE)

    def gift_read(
        self,
        gift: GiftReader,
        answers: str,
        start: int,
        fmt: str,
        line_at: Callable[[int], int],
        line: int,
    ) -> dict[str, Any] | None:
        """``{T}``, ``{FALSE#feedback if wrong#feedback if right}``."""
        bits = answers.split("#", 2)
        answer = bits[0].strip() in GIFT_TRUE
        texts = []
        for bit in bits[1:]:
            bit_fmt, source = format_of(bit.strip(), fmt)
            texts.append(gift.text_md(source, bit_fmt, line, msg("feedback")) if source else "")
        wrong = texts[0] if texts else ""
        right = texts[1] if len(texts) > 1 else ""
        data: dict[str, Any] = {"answer": answer}
        feedback_true, feedback_false = (right, wrong) if answer else (wrong, right)
        if feedback_true:
            data["feedback_true"] = feedback_true
        if feedback_false:
            data["feedback_false"] = feedback_false
        return data

    def gift_write(self, gift: GiftWriter, raw: Mapping[str, Any], line: int) -> str | None:
        answer = bool(raw["answer"])
        feedback_true = str(raw.get("feedback_true") or "")
        feedback_false = str(raw.get("feedback_false") or "")
        right, wrong = (
            (feedback_true, feedback_false) if answer else (feedback_false, feedback_true)
        )
        out = "TRUE" if answer else "FALSE"
        if wrong:
            out += f"#{gift_markdown(wrong)}"
        elif right:
            out += "#"
        if right:
            out += f"#{gift_markdown(right)}"
        return out
