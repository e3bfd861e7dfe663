"""``ordering``: put the items (listed in the correct order, shown shuffled) in order.

The answer is the list of item ids in the student's order; ids are the item's ``id:`` or its
position letter in the file (a, b, ...). Partial rule: points x items in their correct position /
number of items, so the exact order earns full points. An answer that is not a permutation of
exactly the item ids (missing, repeated or unknown ids) scores 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, ClassVar

from learnapp.content.fields import Fields, describe, is_id
from learnapp.quizzes.questions.base import (
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
    review_common,
    scaled,
    to_tokens,
    zero,
)
from learnapp.quizzes.questions.matching import MatchOption


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
        if fields.raw.get("items") is not None and len(entries) < 2:
            fields.error(f"{fields.what} needs at least two items", fields.line("items"))
            ok = False
        for index, (item, line) in enumerate(entries):
            iid, text = default_id(index), item
            if isinstance(item, Mapping):
                sub = Fields(
                    item, fields.where.__class__(fields.where.path, line), f"item {index + 1}"
                )
                sub.check_keys(("id", "text"), ("text",))
                text = sub.string("text", required=True)
                if item.get("id") is not None:
                    if is_id(item["id"]):
                        iid = str(item["id"])
                    else:
                        sub.error(f'"id" {describe(item["id"])} is not a valid id', sub.line("id"))
                fields.problems.extend(sub.problems)
                if any(p.is_error for p in sub.problems):
                    ok = False
                    continue
            if not isinstance(text, str) or not text.strip():
                fields.error(f"item {index + 1} must be a text, got {describe(item)}", line)
                ok = False
                continue
            if iid in seen:
                fields.error(f'duplicate item id "{iid}"', line)
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
        data = data_of(spec, OrderingData)
        shown = self.view(spec, order)
        tokens = to_tokens(order)
        texts = {i.id: i.text_html for i in data.items}
        expected = [i.id for i in data.items]
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
        return {**shown, **review_common(spec, grade, show_correct, show_feedback)}

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
