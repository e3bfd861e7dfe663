"""``short``: a typed answer compared with accepted answers.

Both sides are normalised: Unicode NFKC, whitespace collapsed and stripped, and case folded
unless ``case_sensitive: true``. The best-weighted matching answer wins (weights 0..100, default
100; a weight-0 answer exists to show feedback for a common mistake). ``pattern`` is a regular
expression that must match the whole normalised answer and is worth 100. Answers longer than
:data:`MAX_ANSWER_CHARS` score 0, which also bounds the cost of running ``pattern``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
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
    percent_text,
    review_common,
    scaled,
    weight_value,
    zero,
)

MAX_ANSWER_CHARS = 500
#: A quantified group that itself contains a quantifier, e.g. ``(a+)+``: catastrophic backtracking.
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)[+*{]")


def normalise(text: str, case_sensitive: bool) -> str:
    text = " ".join(unicodedata.normalize("NFKC", text).split())
    return text if case_sensitive else text.casefold()


@dataclass(frozen=True)
class ShortAnswer:
    text: str  # normalised
    weight: Decimal = Decimal(100)
    feedback_html: str = ""


@dataclass(frozen=True)
class ShortData(QuestionData):
    answers: tuple[ShortAnswer, ...]
    case_sensitive: bool = False
    pattern: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "answers": [
                {"text": a.text, "weight": str(a.weight), "feedback_html": a.feedback_html}
                for a in self.answers
            ],
            "case_sensitive": self.case_sensitive,
            "pattern": self.pattern,
        }


class ShortAnswerType(QuestionType):
    name: ClassVar[str] = "short"
    keys = ("answers", "case_sensitive", "pattern")

    def parse_data(self, fields: Fields, render: TextRenderer) -> ShortData | None:
        case_sensitive = fields.boolean("case_sensitive")
        pattern = self._pattern(fields, case_sensitive)
        answers: list[ShortAnswer] = []
        for index, (item, line) in enumerate(fields.sequence("answers")):
            label = f"answer {index + 1}"
            if isinstance(item, str) and item.strip():
                answers.append(ShortAnswer(normalise(item, case_sensitive)))
                continue
            if not isinstance(item, Mapping):
                fields.error(
                    f"{label} must be a text or a mapping with text:, got {describe(item)}", line
                )
                continue
            sub = Fields(item, fields.where.__class__(fields.where.path, line), label)
            sub.check_keys(("text", "weight", "feedback"), ("text",))
            text = sub.string("text", required=True)
            feedback = sub.string("feedback")
            weight = Decimal(100)
            if item.get("weight") is not None:
                value = weight_value(item["weight"])
                if value is None or not 0 <= value <= 100:
                    sub.error(
                        '"weight" must be a percentage from 0 to 100,'
                        f" got {describe(item['weight'])}",
                        sub.line("weight"),
                    )
                else:
                    weight = value
            fields.problems.extend(sub.problems)
            if text.strip():
                answers.append(
                    ShortAnswer(
                        normalise(text, case_sensitive),
                        weight,
                        render.inline(feedback, sub.line("feedback")) if feedback else "",
                    )
                )
        if not answers and pattern is None and "pattern" not in fields.raw:
            fields.error(f"{fields.what} needs answers: or pattern:", fields.where.line)
            return None
        if pattern is None and answers and not any(a.weight == 100 for a in answers):
            fields.error(f"{fields.what} has no answer worth 100%", fields.line("answers"))
        return ShortData(tuple(answers), case_sensitive, pattern)

    @staticmethod
    def _pattern(fields: Fields, case_sensitive: bool) -> str | None:
        value = fields.raw.get("pattern")
        if value is None:
            return None
        line = fields.line("pattern")
        if not isinstance(value, str) or not value:
            fields.error(
                f'"pattern" must be a regular expression text, got {describe(value)}', line
            )
            return None
        try:
            re.compile(value, 0 if case_sensitive else re.IGNORECASE)
        except (re.error, OverflowError, RecursionError) as exc:
            fields.error(f'"pattern" is not a valid regular expression: {exc}', line)
            return None
        if _NESTED_QUANTIFIER.search(value):
            fields.error('"pattern" nests quantifiers like (a+)+, which can hang the grader', line)
            return None
        return value

    def data_from_dict(self, stored: Mapping[str, Any]) -> ShortData:
        return ShortData(
            tuple(
                ShortAnswer(
                    str(a["text"]), Decimal(str(a["weight"])), str(a.get("feedback_html", ""))
                )
                for a in stored["answers"]
            ),
            bool(stored.get("case_sensitive", False)),
            None if stored.get("pattern") is None else str(stored["pattern"]),
        )

    def grade(self, spec: QuestionSpec, answer: object) -> Grade:
        data = spec.data
        if not isinstance(data, ShortData) or not isinstance(answer, str):
            return zero(spec)
        if len(answer) > MAX_ANSWER_CHARS:
            return zero(spec)
        given = normalise(answer, data.case_sensitive)
        if not given:
            return zero(spec)
        best: ShortAnswer | None = None
        for accepted in data.answers:
            if accepted.text == given and (best is None or accepted.weight > best.weight):
                best = accepted
        weight = best.weight if best is not None else Decimal(0)
        if data.pattern is not None and weight < 100:
            flags = 0 if data.case_sensitive else re.IGNORECASE
            try:
                if re.fullmatch(data.pattern, given, flags):
                    weight, best = Decimal(100), None
            except re.error:
                pass
        max_points = Decimal(spec.points)
        feedback = [best.feedback_html] if best is not None and best.feedback_html else []
        return Grade(scaled(max_points, Fraction(weight) / 100), max_points, feedback)

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
        data = data_of(spec, ShortData)
        shown = base_view(spec)
        if show_responses:
            shown["answer"] = answer if isinstance(answer, str) else None
        if show_correct:
            shown["accepted"] = [
                a.text if a.weight == 100 else f"{a.text} ({percent_text(a.weight)}%)"
                for a in sorted(data.answers, key=lambda a: -a.weight)
                if a.weight > 0
            ]
            shown["pattern"] = data.pattern
        return {**shown, **review_common(spec, grade, show_correct, show_feedback)}
