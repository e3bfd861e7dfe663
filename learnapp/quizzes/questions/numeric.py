"""``numeric``: a typed number compared with exact values, tolerances or ranges.

The answer is a string parsed as an exact Decimal (``.`` as the decimal point, optional sign and
exponent); NaN, infinities, thousands separators and anything else score 0. An answer entry is
``{value, tolerance?}`` (matches ``|x - value| <= tolerance``) or ``{min, max}`` (inclusive);
a bare number is shorthand for ``{value: n}``. The best-weighted match wins (weights 0..100,
default 100).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, ClassVar

from learnapp.content.fields import Fields, describe, to_decimal
from learnapp.content.gift import (
    GiftReader,
    GiftWriter,
    answer_feedback,
    format_of,
    gift_number,
    gift_percent,
    show,
    split_answers,
)
from learnapp.content.messages import msg
from learnapp.quizzes.questions.base import (
    Form,
    Grade,
    QuestionData,
    QuestionSpec,
    QuestionType,
    TextRenderer,
    data_of,
    percent_text,
    scaled,
    weight_value,
    zero,
)
from learnapp.quizzes.questions.short import read_text


@dataclass(frozen=True)
class NumericAnswer:
    """Matches ``value ± tolerance`` or, when ``value`` is None, ``minimum..maximum``."""

    value: Decimal | None = None
    tolerance: Decimal = Decimal(0)
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    weight: Decimal = Decimal(100)
    feedback_html: str = ""

    def matches(self, number: Decimal) -> bool:
        if self.value is not None:
            return abs(number - self.value) <= self.tolerance
        if self.minimum is None or self.maximum is None:
            return False
        return self.minimum <= number <= self.maximum

    def to_dict(self) -> dict[str, Any]:
        def text(number: Decimal | None) -> str | None:
            return None if number is None else str(number)

        return {
            "value": text(self.value),
            "tolerance": str(self.tolerance),
            "min": text(self.minimum),
            "max": text(self.maximum),
            "weight": str(self.weight),
            "feedback_html": self.feedback_html,
        }

    @classmethod
    def from_dict(cls, stored: Mapping[str, Any]) -> NumericAnswer:
        def number(key: str) -> Decimal | None:
            value = stored.get(key)
            return None if value is None else Decimal(str(value))

        return cls(
            value=number("value"),
            tolerance=number("tolerance") or Decimal(0),
            minimum=number("min"),
            maximum=number("max"),
            weight=Decimal(str(stored.get("weight", 100))),
            feedback_html=str(stored.get("feedback_html", "")),
        )


@dataclass(frozen=True)
class NumericData(QuestionData):
    answers: tuple[NumericAnswer, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"answers": [a.to_dict() for a in self.answers]}


class Numeric(QuestionType):
    name: ClassVar[str] = "numeric"
    gift_rank = 10
    keys = ("answers",)
    required = ("answers",)

    def parse_data(self, fields: Fields, render: TextRenderer) -> NumericData | None:
        answers: list[NumericAnswer] = []
        items = fields.sequence("answers")
        for index, (item, line) in enumerate(items):
            if not isinstance(item, Mapping):
                number = to_decimal(item)
                if number is None:
                    fields.error(
                        msg(
                            "answer %(number)s must be a number or a mapping, got %(got)s",
                            number=index + 1,
                            got=describe(item),
                        ),
                        line,
                    )
                else:
                    answers.append(NumericAnswer(value=number))
                continue
            answer = self._answer(fields, item, line, index + 1, render)
            if answer is not None:
                answers.append(answer)
        if fields.raw.get("answers") is not None and not items:
            fields.error(
                msg("%(what)s needs at least one answer", what=fields.what), fields.line("answers")
            )
        if answers and not any(a.weight == 100 for a in answers):
            fields.error(
                msg("%(what)s has no answer worth 100%%", what=fields.what), fields.line("answers")
            )
        return NumericData(tuple(answers)) if answers else None

    @staticmethod
    def _answer(
        fields: Fields, item: Mapping[Any, Any], line: int, number: int, render: TextRenderer
    ) -> NumericAnswer | None:
        """Answer ``number`` (1-based), a mapping."""
        sub = Fields(
            item,
            fields.where.__class__(fields.where.path, line),
            msg("answer %(number)s", number=number),
        )
        sub.check_keys(("value", "tolerance", "min", "max", "weight", "feedback"), ())
        numbers: dict[str, Decimal | None] = {}
        for key in ("value", "tolerance", "min", "max", "weight"):
            raw = item.get(key)
            numbers[key] = None if raw is None else to_decimal(raw)
            if raw is not None and numbers[key] is None:
                sub.error(
                    msg('"%(key)s" must be a number, got %(got)s', key=key, got=describe(raw)),
                    sub.line(key),
                )
        value, tolerance = numbers["value"], numbers["tolerance"]
        minimum, maximum = numbers["min"], numbers["max"]
        weight = weight_value(item["weight"]) if item.get("weight") is not None else Decimal(100)
        if weight is not None and not 0 <= weight <= 100:
            sub.error(
                msg('"weight" must be a percentage from 0 to 100, got %(got)s', got=weight),
                sub.line("weight"),
            )
        has_range = "min" in item or "max" in item
        if "value" in item and has_range:
            sub.error(
                msg("answer %(number)s has both value: and min:/max:; use one form", number=number),
                line,
            )
        elif "value" not in item and not has_range:
            sub.error(msg("answer %(number)s needs value: or min: and max:", number=number), line)
        elif has_range and ("min" not in item or "max" not in item):
            sub.error(msg("answer %(number)s needs both min: and max:", number=number), line)
        elif minimum is not None and maximum is not None and minimum > maximum:
            sub.error(
                msg(
                    "answer %(number)s has min: %(minimum)s greater than max: %(maximum)s",
                    number=number,
                    minimum=minimum,
                    maximum=maximum,
                ),
                sub.line("min"),
            )
        if tolerance is not None and (tolerance < 0 or has_range):
            sub.error(
                msg('"tolerance" must be >= 0 and only goes with value:'), sub.line("tolerance")
            )
        feedback = sub.string("feedback")
        fields.problems.extend(sub.problems)
        if any(p.is_error for p in sub.problems) or weight is None:
            return None
        return NumericAnswer(
            value=value,
            tolerance=tolerance or Decimal(0),
            minimum=minimum,
            maximum=maximum,
            weight=weight,
            feedback_html=render.inline(feedback, sub.line("feedback")) if feedback else "",
        )

    def data_from_dict(self, stored: Mapping[str, Any]) -> NumericData:
        return NumericData(tuple(NumericAnswer.from_dict(a) for a in stored["answers"]))

    def grade(self, spec: QuestionSpec, answer: object) -> Grade:
        data = spec.data
        if not isinstance(data, NumericData) or not isinstance(answer, str):
            return zero(spec)
        number = to_decimal(answer)
        if number is None:
            return zero(spec)
        best: NumericAnswer | None = None
        for accepted in data.answers:
            try:
                hit = accepted.matches(number)
            except ArithmeticError:
                hit = False
            if hit and (best is None or accepted.weight > best.weight):
                best = accepted
        if best is None:
            return zero(spec)
        max_points = Decimal(spec.points)
        feedback = [best.feedback_html] if best.feedback_html else []
        return Grade(scaled(max_points, Fraction(best.weight) / 100), max_points, feedback)

    def best_answer(self, spec: QuestionSpec) -> object:
        best = next(a for a in data_of(spec, NumericData).answers if a.weight == 100)
        return str(best.value if best.value is not None else best.minimum)

    def read_form(self, view: Mapping[str, Any], field: str, form: Form) -> tuple[bool, Any]:
        return read_text(field, form)

    def form_fields(self, field: str, value: Any) -> dict[str, Any]:
        return {field: value or ""}

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
        data = data_of(spec, NumericData)
        shown: dict[str, Any] = {}
        if show_responses:
            shown["answer"] = answer if isinstance(answer, str) else None
        if show_correct:
            shown["accepted"] = [
                _readable(a) for a in sorted(data.answers, key=lambda a: -a.weight) if a.weight > 0
            ]
        return shown

    def right_feedback(self, spec: QuestionSpec) -> list[str]:
        return [a.feedback_html for a in data_of(spec, NumericData).answers if a.weight == 100]

    def gift_recognises(self, answers: str) -> bool:
        return answers.startswith("#")

    def gift_read(
        self,
        gift: GiftReader,
        answers: str,
        start: int,
        fmt: str,
        line_at: Callable[[int], int],
        line: int,
    ) -> dict[str, Any] | None:
        """``{#5:0.1}``, ``{#1..5}``, ``{#=5 =%50%5:1}``."""
        text, start = answers[1:], start + 1
        wrong = text.find("~")
        if wrong >= 0:
            gift.problem(
                line_at(start + wrong),
                msg(
                    "numeric feedback for any other answer (~#...) has no equivalent in"
                    " LearnApp; put it in the general feedback (####) instead"
                ),
            )
            return None
        parts = split_answers(text, start, "=")
        if not parts[0][0].strip():
            parts = parts[1:]
        if not parts:
            gift.problem(line, msg("a numeric question needs at least one answer"))
            return None
        accepted: list[Any] = []
        for part, at, _sep in parts:
            where = line_at(at)
            weight, body, _ = gift.weighted(part, at, line_at, Decimal(100))
            answer, feedback = gift.feedback(body, fmt, where)
            _fmt, answer = format_of(answer, fmt)
            entry = _gift_entry(gift, show(answer).strip(), where)
            if entry is None:
                continue
            if not Decimal(0) <= weight <= Decimal(100):
                gift.problem(
                    where,
                    msg("weight %(weight)s%% is outside 0%% to 100%%", weight=gift_number(weight)),
                )
                continue
            if weight != 100:
                entry["weight"] = gift_number(weight)
            if feedback:
                entry["feedback"] = feedback
            accepted.append(entry)
        return {"answers": accepted}

    def gift_write(self, gift: GiftWriter, raw: Mapping[str, Any], line: int) -> str | None:
        entries = []
        for answer in raw["answers"]:
            item = answer if isinstance(answer, Mapping) else {"value": answer}
            if item.get("value") is not None:
                text = gift_percent(to_decimal(item["value"]) or Decimal(0))
                tolerance = to_decimal(item.get("tolerance")) if item.get("tolerance") else None
                if tolerance:
                    text += f":{gift_percent(tolerance)}"
            else:
                low = to_decimal(item["min"]) or Decimal(0)
                high = to_decimal(item["max"]) or Decimal(0)
                text = f"{gift_percent(low)}..{gift_percent(high)}"
            weight = to_decimal(item.get("weight")) if item.get("weight") is not None else None
            entries.append((text, weight, answer_feedback(item)))
        if len(entries) == 1 and entries[0][1] in (None, 100) and not entries[0][2]:
            return f"#{entries[0][0]}"  # {#1822:5}
        out = "#\n"
        for text, weight, feedback in entries:
            mark = "=" if weight in (None, 100) else f"=%{gift_percent(weight)}%"
            out += f"\t{mark}{text}{feedback}\n"
        return out


def _readable(accepted: NumericAnswer) -> str:
    """``4``, ``4 ± 0.5`` or ``3 to 5``, with `` (50%)`` for partial credit."""
    if accepted.value is not None:
        text = str(accepted.value)
        if accepted.tolerance:
            text += f" ± {accepted.tolerance}"
    else:
        text = f"{accepted.minimum} to {accepted.maximum}"
    if accepted.weight != 100:
        text += f" ({percent_text(accepted.weight)}%)"
    return text


def _gift_entry(gift: GiftReader, answer: str, where: int) -> dict[str, Any] | None:
    """One GIFT numeric answer: ``min..max``, ``value:tolerance`` or ``value``."""
    if answer.find("..") > 0:
        low_text, _, high_text = answer.partition("..")
        low, high = to_decimal(low_text), to_decimal(high_text)
        if low is None or high is None:
            gift.problem(
                where, msg('numeric range "%(answer)s" is not two numbers min..max', answer=answer)
            )
            return None
        if low > high:
            gift.problem(
                where,
                msg('numeric range "%(answer)s" has its minimum above its maximum', answer=answer),
            )
            return None
        return {"min": gift_number(low), "max": gift_number(high)}
    if answer.find(":") > 0:
        value_text, _, tolerance_text = answer.partition(":")
        value, tolerance = to_decimal(value_text), to_decimal(tolerance_text)
        if value is None or tolerance is None or tolerance < 0:
            gift.problem(
                where, msg('numeric answer "%(answer)s" is not a number:tolerance', answer=answer)
            )
            return None
        entry = {"value": gift_number(value)}
        if tolerance:
            entry["tolerance"] = gift_number(tolerance)
        return entry
    value = to_decimal(answer)
    if value is None:
        gift.problem(where, msg('numeric answer "%(answer)s" is not a number', answer=answer))
        return None
    return {"value": gift_number(value)}
