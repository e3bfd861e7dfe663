"""``matching``: pair each prompt with one answer.

The answer is a mapping from prompt index (``"0"``, ``"1"``, ... in the order of ``pairs:``) to
an answer id. Answer ids are the pair's ``id:`` or its position letter (a, b, ...); distractors
continue the letters. Score = points x correct pairs / number of pairs; unanswered prompts earn
nothing. An unknown prompt index, an unknown answer id or a non-string value scores 0 overall.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, ClassVar

from learnapp.content.fields import Fields, describe, is_id, key_line
from learnapp.content.gift import (
    GiftReader,
    GiftWriter,
    escape_markdown,
    format_of,
    gift_escape,
    gift_markdown,
    markdown_to_plain,
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
    base_view,
    check_order,
    data_of,
    default_id,
    from_tokens,
    scaled,
    to_tokens,
    zero,
)


@dataclass(frozen=True)
class MatchOption:
    id: str
    text_html: str


@dataclass(frozen=True)
class MatchingData(QuestionData):
    prompts_html: tuple[str, ...]
    #: Every answer shown: the pairs' answers in order, then the distractors.
    options: tuple[MatchOption, ...]
    #: The correct option id for each prompt index.
    key: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "prompts_html": list(self.prompts_html),
            "options": [{"id": o.id, "text_html": o.text_html} for o in self.options],
            "key": list(self.key),
        }


class Matching(QuestionType):
    name: ClassVar[str] = "matching"
    keys = ("pairs", "distractors")
    required = ("pairs",)
    gift_rank = 30

    def parse_data(self, fields: Fields, render: TextRenderer) -> MatchingData | None:
        prompts: list[str] = []
        options: list[MatchOption] = []
        key: list[str] = []
        texts: dict[str, int] = {}
        ids: set[str] = set()
        ok = True

        def add_option(oid: str, text: str, line: int) -> None:
            nonlocal ok
            folded = " ".join(text.split()).casefold()
            if folded in texts:
                fields.error(
                    msg(
                        'answer "%(text)s" appears twice, so students cannot tell them apart',
                        text=text,
                    ),
                    line,
                )
                ok = False
            if oid in ids:
                fields.error(msg('duplicate answer id "%(id)s"', id=oid), line)
                ok = False
            texts[folded] = line
            ids.add(oid)
            options.append(MatchOption(oid, render.inline(text, line)))

        pairs = fields.sequence("pairs")
        if fields.raw.get("pairs") is not None and len(pairs) < 2:
            fields.error(
                msg("%(what)s needs at least two pairs", what=fields.what), fields.line("pairs")
            )
            ok = False
        for index, (item, line) in enumerate(pairs):
            if not isinstance(item, Mapping):
                fields.error(
                    msg(
                        "pair %(number)s must be a mapping with prompt: and answer:",
                        number=index + 1,
                    ),
                    line,
                )
                ok = False
                continue
            sub = Fields(
                item,
                fields.where.__class__(fields.where.path, line),
                msg("pair %(number)s", number=index + 1),
            )
            sub.check_keys(("id", "prompt", "answer"), ("prompt", "answer"))
            prompt = sub.string("prompt", required=True)
            answer = sub.string("answer", required=True)
            oid = self._id(sub, item, index)
            fields.problems.extend(sub.problems)
            if any(p.is_error for p in sub.problems) or oid is None:
                ok = False
                continue
            prompts.append(render.inline(prompt, sub.line("prompt")))
            key.append(oid)
            add_option(oid, answer, sub.line("answer"))
        for offset, (item, line) in enumerate(fields.sequence("distractors")):
            index = len(pairs) + offset
            if isinstance(item, str) and item.strip():
                add_option(default_id(index), item, line)
                continue
            if not isinstance(item, Mapping):
                fields.error(
                    msg(
                        "distractor must be a text or a mapping with text:, got %(got)s",
                        got=describe(item),
                    ),
                    line,
                )
                ok = False
                continue
            sub = Fields(item, fields.where.__class__(fields.where.path, line), msg("distractor"))
            sub.check_keys(("id", "text"), ("text",))
            text = sub.string("text", required=True)
            oid = self._id(sub, item, index)
            fields.problems.extend(sub.problems)
            if any(p.is_error for p in sub.problems) or oid is None:
                ok = False
                continue
            add_option(oid, text, sub.line("text"))
        if not ok or not prompts:
            return None
        return MatchingData(tuple(prompts), tuple(options), tuple(key))

    @staticmethod
    def _id(sub: Fields, item: Mapping[Any, Any], index: int) -> str | None:
        value = item.get("id")
        if value is None:
            return default_id(index)
        if not is_id(value):
            sub.error(
                msg('"id" %(value)s is not a valid id', value=describe(value)),
                key_line(item, "id", sub.where.line),
            )
            return None
        return str(value)

    def data_from_dict(self, stored: Mapping[str, Any]) -> MatchingData:
        return MatchingData(
            tuple(str(p) for p in stored["prompts_html"]),
            tuple(MatchOption(str(o["id"]), str(o["text_html"])) for o in stored["options"]),
            tuple(str(k) for k in stored["key"]),
        )

    def grade(self, spec: QuestionSpec, answer: object) -> Grade:
        data = spec.data
        if not isinstance(data, MatchingData) or not isinstance(answer, Mapping) or not data.key:
            return zero(spec)
        if len(answer) > len(data.key):
            return zero(spec)
        option_ids = {o.id for o in data.options}
        right = 0
        for raw_index, chosen in answer.items():
            index = _index(raw_index)
            if index is None or index >= len(data.key) or not isinstance(chosen, str):
                return zero(spec)
            if chosen not in option_ids:
                return zero(spec)
            right += chosen == data.key[index]
        max_points = Decimal(spec.points)
        return Grade(scaled(max_points, Fraction(right, len(data.key))), max_points, [])

    def view(self, spec: QuestionSpec, order: Sequence[str]) -> dict[str, Any]:
        data = data_of(spec, MatchingData)
        ordered = check_order([o.id for o in data.options], order)
        by_id = {o.id: o for o in data.options}
        tokens = to_tokens(ordered)
        return {
            **base_view(spec),
            "prompts": [{"index": i, "html": html} for i, html in enumerate(data.prompts_html)],
            "options": [{"id": tokens[oid], "html": by_id[oid].text_html} for oid in ordered],
        }

    def option_order(
        self, spec: QuestionSpec, shuffle_choices: bool, rng: random.Random
    ) -> tuple[str, ...]:
        """The answer options, always shuffled: in file order they would line up with the
        prompts."""
        ids = [o.id for o in data_of(spec, MatchingData).options]
        rng.shuffle(ids)
        return tuple(ids)

    def read_form(self, view: Mapping[str, Any], field: str, form: Form) -> tuple[bool, Any]:
        tokens = {option["id"] for option in view["options"]}
        names = [f"{field}_{prompt['index']}" for prompt in view["prompts"]]
        if not any(name in form for name in names):
            return False, None
        chosen = {
            str(prompt["index"]): form.get(name)
            for prompt, name in zip(view["prompts"], names, strict=True)
            if form.get(name) in tokens
        }
        return True, chosen or None

    def form_fields(self, field: str, value: Any) -> dict[str, Any]:
        return {f"{field}_{index}": token for index, token in (value or {}).items()}

    def best_answer(self, spec: QuestionSpec) -> object:
        return {str(index): oid for index, oid in enumerate(data_of(spec, MatchingData).key)}

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
        data = data_of(spec, MatchingData)
        prompts = self.view(spec, order)["prompts"]
        tokens = to_tokens(order)
        texts = {o.id: o.text_html for o in data.options}
        given = _given_pairs(answer, len(data.key))
        for prompt in prompts:
            index = prompt["index"]
            picked = given.get(index)
            if show_responses:
                prompt["picked"] = tokens.get(picked) if picked is not None else None
                prompt["picked_html"] = texts.get(picked, "") if picked is not None else ""
            if show_correct:
                prompt["correct"] = tokens[data.key[index]]
                prompt["correct_html"] = texts[data.key[index]]
                prompt["right"] = picked == data.key[index]
        return {"prompts": prompts}

    def answer_from_view(
        self, spec: QuestionSpec, order: Sequence[str], submitted: object
    ) -> object:
        """Map tokens back to ids; prompts left blank (``""`` or null) are dropped."""
        if not isinstance(submitted, Mapping):
            return None
        ids = from_tokens(order)
        answer: dict[str, str] = {}
        for index, token in submitted.items():
            if token is None or token == "":  # nosec B105 - a blank select, not a password
                continue
            if not isinstance(token, str) or token not in ids:
                return None
            answer[str(index)] = ids[token]
        return answer

    def answer_to_view(self, spec: QuestionSpec, order: Sequence[str], answer: object) -> object:
        tokens = to_tokens(order)
        if not isinstance(answer, Mapping):
            return {}
        return {
            str(index): tokens[oid]
            for index, oid in answer.items()
            if isinstance(oid, str) and oid in tokens
        }

    def gift_recognises(self, answers: str) -> bool:
        return "=" in answers and "->" in answers

    def gift_read(
        self,
        gift: GiftReader,
        answers: str,
        start: int,
        fmt: str,
        line_at: Callable[[int], int],
        line: int,
    ) -> dict[str, Any] | None:
        """``{=prompt -> answer =prompt -> answer = -> distractor}``."""
        parts = split_answers(answers, start, "=")
        if not parts[0][0].strip():
            parts = parts[1:]
        pairs: list[dict[str, Any]] = []
        distractors: list[str] = []
        seen: dict[str, str] = {}
        for part, at, _sep in parts:
            where = line_at(at)
            if "->" not in part:
                gift.problem(where, msg('a matching answer needs "prompt -> answer"'))
                continue
            left, _, right = part.partition("->")
            # A matching answer is a one-line label (a select option): spaces collapse.
            answer = escape_markdown(" ".join(show(right).split()))
            if not answer:
                gift.problem(where, msg("a matching answer has no text after ->"))
                continue
            key = " ".join(show(right).split()).casefold()
            if key in seen:
                gift.problem(
                    where,
                    msg(
                        'answer "%(text)s" is used twice; LearnApp matching needs a different'
                        " answer for each prompt",
                        text=show(right).strip(),
                    ),
                )
                continue
            seen[key] = answer
            left_fmt, left_source = format_of(left.strip(), fmt)
            prompt = gift.text_md(left_source, left_fmt, where, msg("matching prompt"))
            if prompt.strip():
                pairs.append({"prompt": prompt, "answer": answer})
            else:
                distractors.append(answer)
        if len(pairs) < 2:
            gift.problem(line, msg("a matching question needs at least two prompt -> answer pairs"))
        data: dict[str, Any] = {"pairs": pairs}
        if distractors:
            data["distractors"] = distractors
        return data

    def gift_write(self, gift: GiftWriter, raw: Mapping[str, Any], line: int) -> str | None:
        out = "\n"
        answers = [(p["prompt"], p["answer"]) for p in raw["pairs"]]
        for distractor in raw.get("distractors") or []:
            text = distractor["text"] if isinstance(distractor, Mapping) else distractor
            answers.append(("", text))
        for prompt, answer in answers:
            plain, lossy = markdown_to_plain(str(answer))
            if lossy:
                gift.problem(
                    line,
                    msg(
                        'question "%(id)s": matching answer "%(answer)s" has Markdown formatting,'
                        " but GIFT matching answers are plain text",
                        id=raw["id"],
                        answer=answer,
                    ),
                )
                return None
            left = gift_markdown(str(prompt)).replace("->", "-\\>") if prompt else ""
            out += f"\t={left} -> {gift_escape(plain.strip())}\n"
        return out

    def gift_items(self, raw: Mapping[str, Any]) -> list[Any]:
        return [*(raw.get("pairs") or []), *(raw.get("distractors") or [])]

    def gift_set_ids(self, raw: dict[str, Any], ids: Sequence[Any]) -> None:
        """Distractors are plain texts unless they get an id."""
        raw["distractors"] = [
            d if isinstance(d, Mapping) else {"text": d} for d in raw.get("distractors", [])
        ]
        super().gift_set_ids(raw, ids)
        raw["distractors"] = [d if "id" in d else d["text"] for d in raw["distractors"]]
        if not raw["distractors"]:
            del raw["distractors"]


def _given_pairs(answer: object, prompts: int) -> dict[int, str]:
    """Prompt index -> chosen option id, ignoring whatever is malformed."""
    if not isinstance(answer, Mapping):
        return {}
    pairs: dict[int, str] = {}
    for raw_index, chosen in answer.items():
        index = _index(raw_index)
        if index is not None and index < prompts and isinstance(chosen, str):
            pairs[index] = chosen
    return pairs


def _index(value: object) -> int | None:
    """Prompt index from JSON: ``"2"`` or ``2`` (not ``True``, ``"-1"`` or ``"02"``)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 6:
        if value != "0" and value.startswith("0"):
            return None
        return int(value)
    return None
