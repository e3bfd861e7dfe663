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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, ClassVar

from learnapp.content.fields import Fields, describe, to_decimal
from learnapp.content.gift import (
    FORMAT_MARK,
    GiftReader,
    GiftWriter,
    answer_feedback,
    format_of,
    gift_escape,
    gift_number,
    gift_percent,
    show,
    split_answers,
)
from learnapp.content.messages import msg
from learnapp.quizzes.questions.base import (
    MAX_TEXT,
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
from learnapp.quizzes.questions.true_false import GIFT_FALSE, GIFT_TRUE

MAX_ANSWER_CHARS = 500
#: GIFT's short-answer wildcard, which LearnApp does not have (an unescaped ``*``).
_WILDCARD = re.compile(r"(?<!\\)\*")
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
    #: Tried last: GIFT answers of no other syntax are short answers.
    gift_rank = 90

    def parse_data(self, fields: Fields, render: TextRenderer) -> ShortData | None:
        case_sensitive = fields.boolean("case_sensitive")
        pattern = self._pattern(fields, case_sensitive)
        answers: list[ShortAnswer] = []
        for index, (item, line) in enumerate(fields.sequence("answers")):
            if isinstance(item, str) and item.strip():
                answers.append(ShortAnswer(normalise(item, case_sensitive)))
                continue
            if not isinstance(item, Mapping):
                fields.error(
                    msg(
                        "answer %(number)s must be a text or a mapping with text:, got %(got)s",
                        number=index + 1,
                        got=describe(item),
                    ),
                    line,
                )
                continue
            sub = Fields(
                item,
                fields.where.__class__(fields.where.path, line),
                msg("answer %(number)s", number=index + 1),
            )
            sub.check_keys(("text", "weight", "feedback"), ("text",))
            text = sub.string("text", required=True)
            feedback = sub.string("feedback")
            weight = Decimal(100)
            if item.get("weight") is not None:
                value = weight_value(item["weight"])
                if value is None or not 0 <= value <= 100:
                    sub.error(
                        msg(
                            '"weight" must be a percentage from 0 to 100, got %(got)s',
                            got=describe(item["weight"]),
                        ),
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
            fields.error(
                msg("%(what)s needs answers: or pattern:", what=fields.what), fields.where.line
            )
            return None
        if pattern is None and answers and not any(a.weight == 100 for a in answers):
            fields.error(
                msg("%(what)s has no answer worth 100%%", what=fields.what), fields.line("answers")
            )
        return ShortData(tuple(answers), case_sensitive, pattern)

    @staticmethod
    def _pattern(fields: Fields, case_sensitive: bool) -> str | None:
        value = fields.raw.get("pattern")
        if value is None:
            return None
        line = fields.line("pattern")
        if not isinstance(value, str) or not value:
            fields.error(
                msg(
                    '"pattern" must be a regular expression text, got %(got)s', got=describe(value)
                ),
                line,
            )
            return None
        try:
            re.compile(value, 0 if case_sensitive else re.IGNORECASE)
        except (re.error, OverflowError, RecursionError) as exc:
            fields.error(
                msg('"pattern" is not a valid regular expression: %(error)s', error=exc), line
            )
            return None
        if _NESTED_QUANTIFIER.search(value):
            fields.error(
                msg('"pattern" nests quantifiers like (a+)+, which can hang the grader'), line
            )
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

    def best_answer(self, spec: QuestionSpec) -> object:
        full = [a.text for a in data_of(spec, ShortData).answers if a.weight == 100]
        return full[0] if full else None

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
        data = data_of(spec, ShortData)
        shown: dict[str, Any] = {}
        if show_responses:
            shown["answer"] = answer if isinstance(answer, str) else None
        if show_correct:
            shown["accepted"] = [
                a.text if a.weight == 100 else f"{a.text} ({percent_text(a.weight)}%)"
                for a in sorted(data.answers, key=lambda a: -a.weight)
                if a.weight > 0
            ]
            shown["pattern"] = data.pattern
        return shown

    def right_feedback(self, spec: QuestionSpec) -> list[str]:
        return [a.feedback_html for a in data_of(spec, ShortData).answers if a.weight == 100]

    def gift_recognises(self, answers: str) -> bool:
        return True

    def gift_read(
        self,
        gift: GiftReader,
        answers: str,
        start: int,
        fmt: str,
        line_at: Callable[[int], int],
        line: int,
    ) -> dict[str, Any] | None:
        """``{=answer =%50%partly right#feedback}``; wildcards are refused."""
        check = answers.split("#", 1)[0].strip() if answers.find("#") > 0 else answers
        if check.upper() in (*GIFT_TRUE, *GIFT_FALSE) and "=" not in answers:
            gift.problem(
                line,
                msg(
                    '"%(answer)s": write T, TRUE, F or FALSE in capitals for a true/false'
                    " question (as written, Moodle reads a short answer)",
                    answer=check,
                ),
            )
            return None
        accepted: list[Any] = []
        parts = split_answers(answers, start, "=")
        if not parts[0][0].strip():
            parts = parts[1:]
        for part, at, _sep in parts:
            where = line_at(at)
            weight, body, _ = gift.weighted(part, at, line_at, Decimal(100))
            answer, feedback = gift.feedback(body, fmt, where)
            _fmt, answer = format_of(answer, fmt)
            answer = show(answer).strip()
            if _WILDCARD.search(answer):
                gift.problem(
                    where,
                    msg(
                        'short answer "%(answer)s" uses the wildcard *: LearnApp compares answers'
                        " literally (write \\* for an asterisk, or use pattern: in the quiz file)",
                        answer=answer,
                    ),
                )
                continue
            # The grader collapses spaces anyway; doing it here keeps export and import stable.
            answer = " ".join(answer.replace("\\*", "*").split())
            if not answer:
                gift.problem(where, msg("an answer has no text"))
                continue
            if not Decimal(0) <= weight <= Decimal(100):
                gift.problem(
                    where,
                    msg("weight %(weight)s%% is outside 0%% to 100%%", weight=gift_number(weight)),
                )
                continue
            if weight == 100 and not feedback:
                accepted.append(answer)
            else:
                entry: dict[str, Any] = {"text": answer}
                if weight != 100:
                    entry["weight"] = gift_number(weight)
                if feedback:
                    entry["feedback"] = feedback
                accepted.append(entry)
        return {"answers": accepted}

    def gift_write(self, gift: GiftWriter, raw: Mapping[str, Any], line: int) -> str | None:
        if raw.get("pattern") is not None:
            gift.problem(
                line, msg('question "%(id)s": GIFT has no pattern: for short answers', id=raw["id"])
            )
            return None
        if raw.get("case_sensitive"):
            gift.problem(
                line, msg('question "%(id)s": GIFT short answers ignore case', id=raw["id"])
            )
            return None
        out = "\n"
        for answer in raw.get("answers") or []:
            item = answer if isinstance(answer, Mapping) else {"text": answer}
            text = " ".join(str(item["text"]).split()).replace("*", "\\*")
            weight = to_decimal(item.get("weight")) if item.get("weight") is not None else None
            mark = "="
            if (weight is not None and weight != 100) or text.startswith("%"):
                mark += f"%{gift_percent(weight if weight is not None else Decimal(100))}%"
            if FORMAT_MARK.match(text):
                gift.problem(
                    line,
                    msg(
                        'question "%(id)s": a short answer cannot start with "[" in GIFT',
                        id=raw["id"],
                    ),
                )
                return None
            out += f"\t{mark}{gift_escape(text)}{answer_feedback(item)}\n"
        return out


def read_text(field: str, form: Form) -> tuple[bool, str | None]:
    """A one-line typed answer, cut to :data:`MAX_TEXT` characters and stripped (blank: none)."""
    if field not in form:
        return False, None
    text = str(form.get(field) or "")[:MAX_TEXT].strip()
    return True, text or None
