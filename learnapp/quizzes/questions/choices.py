"""Choice lists shared by ``single`` and ``multiple`` questions."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from learnapp.content.fields import Fields, describe, is_id, key_line, to_decimal
from learnapp.content.gift import (
    GiftReader,
    answer_feedback,
    complete_weights,
    even_weights,
    format_of,
    gift_markdown,
    gift_number,
    gift_percent,
    split_answers,
)
from learnapp.content.messages import msg
from learnapp.quizzes.questions.base import (
    TextRenderer,
    check_order,
    default_id,
    from_tokens,
    to_tokens,
    weight_value,
)

CHOICE_KEYS = ("id", "text", "correct", "weight", "feedback")


@dataclass(frozen=True)
class Choice:
    id: str
    text_html: str
    correct: bool
    #: Explicit weight in percent (-100..100); ``None`` means the type's default rule.
    weight: Decimal | None = None
    feedback_html: str = ""
    #: File line of the choice, for quality warnings; not stored (``to_dict``) nor compared.
    line: int = field(default=1, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text_html": self.text_html,
            "correct": self.correct,
            "weight": None if self.weight is None else str(self.weight),
            "feedback_html": self.feedback_html,
        }

    @classmethod
    def from_dict(cls, stored: Mapping[str, Any]) -> Choice:
        weight = stored.get("weight")
        return cls(
            id=str(stored["id"]),
            text_html=str(stored["text_html"]),
            correct=bool(stored["correct"]),
            weight=None if weight is None else Decimal(str(weight)),
            feedback_html=str(stored.get("feedback_html", "")),
        )


def parse_choices(fields: Fields, render: TextRenderer, *, single: bool) -> list[Choice] | None:
    """Parse ``choices``; ``single`` decides how ``correct`` and ``weight`` must agree."""
    items = fields.sequence("choices")
    if "choices" in fields.raw and fields.raw["choices"] is not None and len(items) < 2:
        fields.error(
            msg("%(what)s needs at least two choices", what=fields.what), fields.line("choices")
        )
    choices: list[Choice] = []
    seen: dict[str, int] = {}
    ok = True
    for index, (item, line) in enumerate(items):
        if not isinstance(item, Mapping):
            fields.error(
                msg(
                    "choice %(number)s must be a mapping with text:, got %(got)s",
                    number=index + 1,
                    got=describe(item),
                ),
                line,
            )
            ok = False
            continue
        sub = Fields(
            item,
            fields.where.__class__(fields.where.path, line),
            msg("choice %(number)s", number=index + 1),
        )
        sub.check_keys(CHOICE_KEYS, ("text",))
        text = sub.string("text", required=True)
        feedback = sub.string("feedback")
        correct_given = item.get("correct") is not None
        correct = sub.boolean("correct")
        weight: Decimal | None = None
        if item.get("weight") is not None:
            weight = weight_value(item["weight"])
            if weight is None or not Decimal(-100) <= weight <= Decimal(100):
                sub.error(
                    msg(
                        '"weight" must be a percentage from -100 to 100, got %(got)s',
                        got=describe(item["weight"]),
                    ),
                    sub.line("weight"),
                )
                weight = None
        if weight is not None:
            wline = sub.line("weight")
            if single:
                if correct_given and correct and weight != 100:
                    sub.error(
                        msg("a correct choice must weigh 100, not %(weight)s", weight=weight), wline
                    )
                if correct_given and not correct and weight == 100:
                    sub.error(msg("a choice weighing 100 cannot be correct: false"), wline)
                correct = weight == 100
            else:
                if correct_given and correct and weight <= 0:
                    sub.error(
                        msg(
                            "a correct choice needs a positive weight, not %(weight)s",
                            weight=weight,
                        ),
                        wline,
                    )
                if correct_given and not correct and weight > 0:
                    sub.error(
                        msg("a choice with correct: false cannot weigh %(weight)s", weight=weight),
                        wline,
                    )
                correct = weight > 0
        cid = default_id(index)
        if item.get("id") is not None:
            if is_id(item["id"]):
                cid = str(item["id"])
            else:
                sub.error(
                    msg('choice "id" %(value)s is not a valid id', value=describe(item["id"])),
                    sub.line("id"),
                )
        if cid in seen:
            sub.error(msg('duplicate choice id "%(id)s"', id=cid), key_line(item, "id", line))
        seen[cid] = line
        fields.problems.extend(sub.problems)
        if any(p.is_error for p in sub.problems):
            ok = False
            continue
        choices.append(
            Choice(
                id=cid,
                text_html=render.inline(text, sub.line("text")),
                correct=correct,
                weight=weight,
                feedback_html=render.inline(feedback, sub.line("feedback")) if feedback else "",
                line=line,
            )
        )
    return choices if ok and items else None


def effective_weights(choices: tuple[Choice, ...], *, single: bool) -> dict[str, Fraction]:
    """Weight in percent of each choice id, applying the type's default rule."""
    if single:
        return {
            c.id: Fraction(c.weight) if c.weight is not None else Fraction(100 if c.correct else 0)
            for c in choices
        }
    right = sum(1 for c in choices if c.correct)
    wrong = len(choices) - right
    weights: dict[str, Fraction] = {}
    for c in choices:
        if c.weight is not None:
            weights[c.id] = Fraction(c.weight)
        elif c.correct:
            weights[c.id] = Fraction(100, right)
        else:
            weights[c.id] = Fraction(-100, wrong)
    return weights


def choices_view(choices: tuple[Choice, ...], order: Sequence[str]) -> list[dict[str, Any]]:
    """The choices in the planned order, each as ``{id: token, html}`` and nothing else."""
    ordered = check_order([c.id for c in choices], order)
    by_id = {c.id: c for c in choices}
    tokens = to_tokens(ordered)
    return [{"id": tokens[cid], "html": by_id[cid].text_html} for cid in ordered]


def choices_review(
    choices: tuple[Choice, ...],
    order: Sequence[str],
    picked: set[str],
    *,
    show_responses: bool,
    show_correct: bool,
    show_feedback: bool,
) -> list[dict[str, Any]]:
    """:func:`choices_view` plus ``picked``, ``correct`` and the picked choices' feedback."""
    by_id = {c.id: c for c in choices}
    shown = choices_view(choices, order)
    for entry, cid in zip(shown, check_order(list(by_id), order), strict=True):
        choice = by_id[cid]
        if show_responses:
            entry["picked"] = cid in picked
        if show_correct:
            entry["correct"] = choice.correct
        if show_feedback:
            # Feedback is for the students who gave that answer (docs/course-format.md).
            entry["feedback_html"] = choice.feedback_html if cid in picked else ""
    return shown


def choice_from_token(order: Sequence[str], token: object) -> str | None:
    return from_tokens(order).get(token) if isinstance(token, str) else None


def choice_to_token(order: Sequence[str], cid: object) -> str | None:
    return to_tokens(order).get(cid) if isinstance(cid, str) else None


# --- GIFT --------------------------------------------------------------------------------------


def read_gift_choices(
    gift: GiftReader,
    text: str,
    start: int,
    fmt: str,
    line_at: Callable[[int], int],
    line: int,
    *,
    single: bool,
) -> dict[str, Any] | None:
    """``choices:`` from GIFT ``{=right ~wrong}`` (single) or ``{~%50%a ~%50%b ~c}``."""
    parts = [p for p in split_answers(text, start, "~=") if p[0].strip() or p[2]]
    if parts and not parts[0][2] and not parts[0][0].strip():
        parts = parts[1:]
    if len(parts) < 2:
        gift.problem(line, msg("a multiple-choice question needs at least two answers"))
        return None
    choices: list[dict[str, Any]] = []
    full = 0
    bad = False
    for part, at, sep in parts:
        where = line_at(at)
        if sep == "=":
            weight, body = Decimal(100), part.strip()
        else:
            weight, body, _ = gift.weighted(part, at, line_at, Decimal(0))
        answer, feedback = gift.feedback(body, fmt, where)
        answer_fmt, answer = format_of(answer, fmt)
        choice_text = gift.text_md(answer, answer_fmt, where, msg("answer"))
        if not choice_text.strip():
            gift.problem(where, msg("an answer has no text"))
            bad = True
            continue
        if not Decimal(-100) <= weight <= Decimal(100):
            gift.problem(
                where,
                msg("weight %(weight)s%% is outside -100%% to 100%%", weight=gift_number(weight)),
            )
            bad = True
            continue
        choice: dict[str, Any] = {"text": choice_text}
        if single:
            if weight == 100:
                full += 1
                choice["correct"] = True
            elif weight:
                choice["weight"] = gift_number(weight)
        else:
            choice["weight"] = gift_number(weight)
        if feedback:
            choice["feedback"] = feedback
        choices.append(choice)
    if single and full != 1:
        gift.problem(
            line,
            msg(
                "single-choice question with %(count)s fully correct answers: LearnApp needs"
                " exactly one (use ~%%100%% weights without = for a multiple-choice question)",
                count=full,
            ),
        )
    if not single and not bad and not any(c["weight"] > 0 for c in choices):
        gift.problem(line, msg("multiple-choice question without a positive weight (~%%50%%...)"))
    elif not single and not bad:
        complete_weights(choices)
    return {"choices": choices}


def write_gift_single(raw: Mapping[str, Any]) -> str:
    out = "\n"
    for choice in raw["choices"]:
        weight = to_decimal(choice.get("weight")) if choice.get("weight") is not None else None
        if choice.get("correct") or weight == 100:
            mark = "="
        elif weight:
            mark = f"~%{gift_percent(weight)}%"
        else:
            mark = "~"
        out += f"\t{mark}{gift_markdown(str(choice['text']))}{answer_feedback(choice)}\n"
    return out


def write_gift_multiple(raw: Mapping[str, Any]) -> str:
    """Every weight written out: GIFT multiple choice has no default weights."""
    choices = list(raw["choices"])
    explicit = [
        to_decimal(c.get("weight")) if c.get("weight") is not None else None for c in choices
    ]
    correct = [
        (w > 0) if w is not None else bool(c.get("correct"))
        for c, w in zip(choices, explicit, strict=True)
    ]
    right, wrong = sum(correct), len(choices) - sum(correct)
    defaults_right = iter(even_weights(100, right) if right else [])
    defaults_wrong = iter(even_weights(-100, wrong) if wrong else [])
    out = "\n"
    for choice, weight, is_right in zip(choices, explicit, correct, strict=True):
        if weight is None:
            weight = next(defaults_right) if is_right else next(defaults_wrong)
        mark = f"~%{gift_percent(weight)}%" if weight else "~"
        out += f"\t{mark}{gift_markdown(str(choice['text']))}{answer_feedback(choice)}\n"
    return out
