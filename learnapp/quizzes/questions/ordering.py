"""``ordering``: put the items (listed in the correct order, shown shuffled) in order.

The answer is the list of item ids in the student's order; ids are the item's ``id:`` or its
position letter in the file (a, b, ...). Partial rule: points x items in their correct position /
number of items, so the exact order earns full points. An answer that is not a permutation of
exactly the item ids (missing, repeated or unknown ids) scores 0.

Items are never shown in the correct order, so a question needs at least :data:`MIN_ITEMS`:
with two, the only other order is the reverse, and reversing what is shown is the answer.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from math import factorial
from typing import Any, ClassVar

from learnapp.content.fields import Fields, describe, is_id
from learnapp.content.messages import msg
from learnapp.quizzes.questions.base import (
    Form,
    Grade,
    QuestionData,
    QuestionSpec,
    QuestionType,
    TextRenderer,
    base_view,
    check_order,
    data_of,
    default_id,
    from_tokens,
    scaled,
    to_tokens,
    zero,
)
from learnapp.quizzes.questions.matching import MatchOption

#: Fewest items an ordering question may have (see the module docstring).
MIN_ITEMS = 3


@dataclass(frozen=True)
class OrderingData(QuestionData):
    #: Items in the correct order.
    items: tuple[MatchOption, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"items": [{"id": i.id, "text_html": i.text_html} for i in self.items]}


class Ordering(QuestionType):
    name: ClassVar[str] = "ordering"
    keys = ("items",)
    required = ("items",)

    def parse_data(self, fields: Fields, render: TextRenderer) -> OrderingData | None:
        items: list[MatchOption] = []
        seen: set[str] = set()
        ok = True
        entries = fields.sequence("items")
        if fields.raw.get("items") is not None and len(entries) < MIN_ITEMS:
            fields.error(
                msg(
                    "%(what)s needs at least three items: with fewer, the order shown would give"
                    " the answer away",
                    what=fields.what,
                ),
                fields.line("items"),
            )
            ok = False
        for index, (item, line) in enumerate(entries):
            iid, text = default_id(index), item
            if isinstance(item, Mapping):
                sub = Fields(
                    item,
                    fields.where.__class__(fields.where.path, line),
                    msg("item %(number)s", number=index + 1),
                )
                sub.check_keys(("id", "text"), ("text",))
                text = sub.string("text", required=True)
                if item.get("id") is not None:
                    if is_id(item["id"]):
                        iid = str(item["id"])
                    else:
                        sub.error(
                            msg('"id" %(value)s is not a valid id', value=describe(item["id"])),
                            sub.line("id"),
                        )
                fields.problems.extend(sub.problems)
                if any(p.is_error for p in sub.problems):
                    ok = False
                    continue
            if not isinstance(text, str) or not text.strip():
                fields.error(
                    msg(
                        "item %(number)s must be a text, got %(got)s",
                        number=index + 1,
                        got=describe(item),
                    ),
                    line,
                )
                ok = False
                continue
            if iid in seen:
                fields.error(msg('duplicate item id "%(id)s"', id=iid), line)
                ok = False
            seen.add(iid)
            items.append(MatchOption(iid, render.inline(text, line)))
        return OrderingData(tuple(items)) if ok and items else None

    def data_from_dict(self, stored: Mapping[str, Any]) -> OrderingData:
        return OrderingData(
            tuple(MatchOption(str(i["id"]), str(i["text_html"])) for i in stored["items"])
        )

    def grade(self, spec: QuestionSpec, answer: object) -> Grade:
        data = spec.data
        if not isinstance(data, OrderingData) or not isinstance(answer, list | tuple):
            return zero(spec)
        expected = [item.id for item in data.items]
        if len(answer) != len(expected) or not all(isinstance(a, str) for a in answer):
            return zero(spec)
        if sorted(answer) != sorted(expected) or len(set(answer)) != len(answer):
            return zero(spec)
        right = sum(1 for given, want in zip(answer, expected, strict=True) if given == want)
        max_points = Decimal(spec.points)
        return Grade(scaled(max_points, Fraction(right, len(expected))), max_points, [])

    def view(self, spec: QuestionSpec, order: Sequence[str]) -> dict[str, Any]:
        data = data_of(spec, OrderingData)
        ordered = check_order([i.id for i in data.items], order)
        texts = {i.id: i.text_html for i in data.items}
        tokens = to_tokens(ordered)
        return {
            **base_view(spec),
            "items": [{"id": tokens[iid], "html": texts[iid]} for iid in ordered],
        }

    def option_order(
        self, spec: QuestionSpec, shuffle_choices: bool, rng: random.Random
    ) -> tuple[str, ...]:
        """Item ids, always shuffled, never in the correct order (see :func:`display_order`)."""
        return display_order([i.id for i in data_of(spec, OrderingData).items], rng)

    def read_form(self, view: Mapping[str, Any], field: str, form: Form) -> tuple[bool, Any]:
        tokens = [item["id"] for item in view["items"]]
        raws = [form.get(f"{field}_{token}") for token in tokens]
        if any(raw is None for raw in raws):
            return False, None
        if all(raw == "" for raw in raws):
            return True, None  # no position chosen yet: not answered
        positions: dict[str, int] = {}
        for token, raw in zip(tokens, raws, strict=True):
            try:
                positions[token] = int(raw)
            except (TypeError, ValueError):
                positions[token] = len(tokens) + 1  # items left without a position go last
        # Ties keep the order the items were shown in.
        return True, sorted(tokens, key=lambda token: (positions[token], tokens.index(token)))

    def form_fields(self, field: str, value: Any) -> dict[str, Any]:
        return {f"{field}_{token}": str(position) for position, token in enumerate(value or [], 1)}

    def best_answer(self, spec: QuestionSpec) -> object:
        return [item.id for item in data_of(spec, OrderingData).items]

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
        data = data_of(spec, OrderingData)
        tokens = to_tokens(check_order([i.id for i in data.items], order))
        texts = {i.id: i.text_html for i in data.items}
        expected = [i.id for i in data.items]
        shown: dict[str, Any] = {}
        if show_responses:
            given = (
                [a for a in answer if isinstance(a, str) and a in texts]
                if isinstance(answer, list | tuple)
                else []
            )
            shown["answer"] = []
            for position, iid in enumerate(given):
                entry: dict[str, Any] = {"id": tokens[iid], "html": texts[iid]}
                if show_correct:
                    entry["right"] = position < len(expected) and expected[position] == iid
                shown["answer"].append(entry)
        if show_correct:
            shown["correct_order"] = [{"id": tokens[iid], "html": texts[iid]} for iid in expected]
        return shown

    def answer_from_view(
        self, spec: QuestionSpec, order: Sequence[str], submitted: object
    ) -> object:
        if not isinstance(submitted, list | tuple) or len(submitted) > len(order):
            return None
        ids = from_tokens(order)
        if not all(isinstance(token, str) and token in ids for token in submitted):
            return None
        return [ids[token] for token in submitted]

    def answer_to_view(self, spec: QuestionSpec, order: Sequence[str], answer: object) -> object:
        tokens = to_tokens(order)
        if not isinstance(answer, list | tuple):
            return []
        return [tokens[iid] for iid in answer if isinstance(iid, str) and iid in tokens]


def display_order(ids: Sequence[str], rng: random.Random) -> tuple[str, ...]:
    """The items ``ids`` (in the correct order) in an order to show, drawn by ``rng``.

    Every order but the correct one is equally likely: the k-th permutation in lexicographic
    order of positions, for k drawn uniformly from 1 to n! - 1 (k = 0 is the correct order),
    so each allowed order comes from exactly one k. With fewer than :data:`MIN_ITEMS` items
    (versions stored before the validator required three), every order is equally likely,
    the correct one included: leaving it out would show two items always reversed.
    """
    count = len(ids)
    if count < MIN_ITEMS:
        return tuple(ids) if rng.randrange(factorial(count)) == 0 else tuple(reversed(ids))
    return _permutation(ids, 1 + rng.randrange(factorial(count) - 1))


def _permutation(ids: Sequence[str], rank: int) -> tuple[str, ...]:
    """The ``rank``-th (0-based) permutation of ``ids`` in lexicographic order of positions."""
    left = list(ids)
    place = factorial(len(left))
    shown = []
    for remaining in range(len(left), 0, -1):
        place //= remaining
        index, rank = divmod(rank, place)
        shown.append(left.pop(index))
    return tuple(shown)
