"""``essay``: a written answer that a person grades, optionally with a rubric.

The student writes plain text (at most :data:`MAX_ESSAY_CHARS` characters; ``min_words`` and
``max_words`` are guidance shown with the question and to the grader, not a reason to refuse an
answer, as in Moodle). Submitting leaves the answer *pending*: an instructor grades it later.
An essay left blank needs no grading and scores 0.

With a ``rubric`` the grader picks one level of each criterion and the points are the sum of
the levels' points; the question is worth the sum of each criterion's best level (``points:``,
if given, must say the same). Without a rubric the grader gives points from 0 to ``points``
directly, to hundredths. ``model_answer`` is shown to graders, and to students when the review
setting shows the correct answers.

A stored grade's ``detail`` is ``{"levels": {criterion id: level index}}`` with a rubric, or
``{"points": "7.5"}`` without.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from html import unescape
from typing import Any, ClassVar

from learnapp.content.fields import Fields, describe, is_id, key_line
from learnapp.content.gift import GiftReader, GiftWriter
from learnapp.content.messages import msg
from learnapp.quizzes.questions.base import (
    POINTS_QUANTUM,
    Form,
    Grade,
    QuestionData,
    QuestionSpec,
    QuestionType,
    TextRenderer,
    base_view,
    data_of,
    default_id,
)
from learnapp.translation import _

#: Longest essay kept (about 3,000 words); the request size limit stays far above it.
MAX_ESSAY_CHARS = 20_000
#: Most words ``min_words``/``max_words`` may ask for.
MAX_WORDS = 3_000
CRITERION_KEYS = ("id", "criterion", "levels")
LEVEL_KEYS = ("points", "text")


def word_count(text: object) -> int:
    return len(text.split()) if isinstance(text, str) else 0


@dataclass(frozen=True)
class Level:
    points: int
    text_html: str


@dataclass(frozen=True)
class Criterion:
    id: str
    text_html: str
    #: In the order written (usually worst to best).
    levels: tuple[Level, ...]

    @property
    def max_points(self) -> int:
        return max(level.points for level in self.levels)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text_html": self.text_html,
            "levels": [{"points": lv.points, "text_html": lv.text_html} for lv in self.levels],
        }

    @classmethod
    def from_dict(cls, stored: Mapping[str, Any]) -> Criterion:
        return cls(
            str(stored["id"]),
            str(stored["text_html"]),
            tuple(Level(int(lv["points"]), str(lv["text_html"])) for lv in stored["levels"]),
        )


@dataclass(frozen=True)
class EssayData(QuestionData):
    rubric: tuple[Criterion, ...] = ()
    model_answer_html: str = ""
    min_words: int | None = None
    max_words: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rubric": [c.to_dict() for c in self.rubric],
            "model_answer_html": self.model_answer_html,
            "min_words": self.min_words,
            "max_words": self.max_words,
        }


class Essay(QuestionType):
    name: ClassVar[str] = "essay"
    keys = ("min_words", "max_words", "model_answer", "rubric")
    is_manual = True
    analysis = "rubric"
    #: Tried first: GIFT's essay is the empty answer block ``{}``.
    gift_rank = 0
    gift_kept = ("min_words", "max_words", "model_answer", "rubric")

    # --- file schema ---------------------------------------------------------------------

    def parse_data(self, fields: Fields, render: TextRenderer) -> EssayData | None:
        min_words = fields.integer("min_words", minimum=1, maximum=MAX_WORDS, default=0) or None
        max_words = fields.integer("max_words", minimum=1, maximum=MAX_WORDS, default=0) or None
        if min_words and max_words and min_words > max_words:
            fields.error(
                msg(
                    '"min_words" (%(minimum)s) is more than "max_words" (%(maximum)s)',
                    minimum=min_words,
                    maximum=max_words,
                ),
                fields.line("min_words"),
            )
        model = fields.string("model_answer")
        model_line = fields.line("model_answer")
        if "\n" in model.rstrip("\n") or model.endswith("\n"):
            model_line += 1  # a block scalar starts below its key
        rubric = self._rubric(fields, render)
        if rubric is None:
            return None
        return EssayData(
            rubric=tuple(rubric),
            model_answer_html=render.block(model, model_line) if model.strip() else "",
            min_words=min_words,
            max_words=max_words,
        )

    @staticmethod
    def _rubric(fields: Fields, render: TextRenderer) -> list[Criterion] | None:
        items = fields.sequence("rubric")
        if "rubric" in fields.raw and fields.raw["rubric"] is not None and not items:
            fields.error(
                msg("%(what)s: a rubric needs at least one criterion", what=fields.what),
                fields.line("rubric"),
            )
            return None
        criteria: list[Criterion] = []
        seen: set[str] = set()
        ok = True
        for index, (item, line) in enumerate(items):
            label = msg("criterion %(number)s", number=index + 1)
            if not isinstance(item, Mapping):
                fields.error(
                    msg(
                        "criterion %(number)s must be a mapping with criterion: and levels:,"
                        " got %(got)s",
                        number=index + 1,
                        got=describe(item),
                    ),
                    line,
                )
                ok = False
                continue
            sub = Fields(item, fields.where.__class__(fields.where.path, line), label)
            sub.check_keys(CRITERION_KEYS, ("criterion", "levels"))
            text = sub.string("criterion", required=True)
            cid = default_id(index)
            if item.get("id") is not None:
                if is_id(item["id"]):
                    cid = str(item["id"])
                else:
                    sub.error(
                        msg(
                            'criterion "id" %(value)s is not a valid id', value=describe(item["id"])
                        ),
                        sub.line("id"),
                    )
            if cid in seen:
                sub.error(
                    msg('duplicate criterion id "%(id)s"', id=cid), key_line(item, "id", line)
                )
            seen.add(cid)
            levels = _levels(sub, render)
            fields.problems.extend(sub.problems)
            if levels is None or any(p.is_error for p in sub.problems):
                ok = False
                continue
            criteria.append(
                Criterion(cid, render.inline(text, sub.line("criterion")), tuple(levels))
            )
        return criteria if ok else None

    def points_of(self, data: QuestionData, fields: Fields, points: int) -> int:
        """With a rubric, the sum of each criterion's best level; ``points:`` must agree."""
        rubric = data_of_essay(data).rubric
        if not rubric:
            return points
        total = sum(c.max_points for c in rubric)
        if fields.has("points") and points != total:
            fields.error(
                msg(
                    '%(what)s has "points" %(points)s but its rubric adds up to %(total)s'
                    " (leave points: out to use the rubric's total)",
                    what=fields.what,
                    points=points,
                    total=total,
                ),
                fields.line("points"),
            )
        elif total > 1000:
            fields.error(
                msg(
                    "%(what)s: the rubric adds up to %(total)s points; the limit is 1000",
                    what=fields.what,
                    total=total,
                ),
                fields.line("rubric"),
            )
        return total

    def data_from_dict(self, stored: Mapping[str, Any]) -> EssayData:
        def words(key: str) -> int | None:
            value = stored.get(key)
            return None if value is None else int(value)

        return EssayData(
            rubric=tuple(Criterion.from_dict(c) for c in stored.get("rubric", ())),
            model_answer_html=str(stored.get("model_answer_html", "")),
            min_words=words("min_words"),
            max_words=words("max_words"),
        )

    # --- answering -----------------------------------------------------------------------

    def view(self, spec: QuestionSpec, order: Sequence[str]) -> dict[str, Any]:
        data = data_of(spec, EssayData)
        return {**base_view(spec), "min_words": data.min_words, "max_words": data.max_words}

    def read_form(self, view: Mapping[str, Any], field: str, form: Form) -> tuple[bool, Any]:
        if field not in form:
            return False, None
        # Browsers post \r\n; store one form so word counts and exports agree.
        text = str(form.get(field) or "").replace("\r\n", "\n")[:MAX_ESSAY_CHARS]
        return True, text if text.strip() else None

    def form_fields(self, field: str, value: Any) -> dict[str, Any]:
        return {field: value or ""}

    # --- grading and review --------------------------------------------------------------

    def grade(self, spec: QuestionSpec, answer: object) -> Grade:
        """Pending: a person grades it. A blank essay needs no grading and scores 0."""
        max_points = Decimal(spec.points)
        if not isinstance(answer, str) or not answer.strip() or len(answer) > MAX_ESSAY_CHARS:
            return Grade(Decimal(0), max_points, [])
        return Grade(Decimal(0), max_points, [], pending=True)

    def grade_by_person(
        self, spec: QuestionSpec, levels: Mapping[str, object], points: object
    ) -> Grade:
        """The grade a person gave: one level index per rubric criterion (``levels``), or
        ``points`` (text or number, 0 to the question's points) for an essay without a rubric.

        :raises ValueError: with a message for the grader when a level is missing or unknown, or
            the points are not a number in range.
        """
        data = data_of(spec, EssayData)
        max_points = Decimal(spec.points)
        if data.rubric:
            chosen: dict[str, int] = {}
            total = 0
            for criterion in data.rubric:
                raw = levels.get(criterion.id)
                try:
                    index = int(str(raw))
                except ValueError:
                    index = -1
                if not 0 <= index < len(criterion.levels):
                    raise ValueError(
                        _(
                            "Choose a level for every criterion (%(criterion)s).",
                            criterion=_plain(criterion.text_html),
                        )
                    )
                chosen[criterion.id] = index
                total += criterion.levels[index].points
            return Grade(Decimal(total), max_points, [], detail={"levels": chosen})
        try:
            given = Decimal(str(points).strip())
        except (InvalidOperation, ValueError):
            given = Decimal(-1)
        if not given.is_finite() or not 0 <= given <= max_points:
            raise ValueError(_("Give points from 0 to %(max)s.", max=spec.points))
        given = given.quantize(POINTS_QUANTUM, rounding=ROUND_HALF_EVEN)
        return Grade(given, max_points, [], detail={"points": str(given)})

    def best_answer(self, spec: QuestionSpec) -> object:
        """An essay has no answer a machine can call right: the model answer's text stands in."""
        return "A written answer."

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
        data = data_of(spec, EssayData)
        shown: dict[str, Any] = {}
        if show_responses:
            shown["answer"] = answer if isinstance(answer, str) else None
            shown["words"] = word_count(answer)
        if show_correct:
            shown["model_answer_html"] = data.model_answer_html
            shown["rubric"] = rubric_review(data, grade)
        return shown

    def right_feedback(self, spec: QuestionSpec) -> list[str]:
        """The model answer says what a good answer is (the quality check's explanation)."""
        html = data_of(spec, EssayData).model_answer_html
        return [html] if html else []

    # --- item analysis -------------------------------------------------------------------

    def analysis_criteria(self, spec: QuestionSpec) -> list[tuple[str, str, int]]:
        """``(id, label HTML, max points)`` of each rubric criterion."""
        return [(c.id, c.text_html, c.max_points) for c in data_of(spec, EssayData).rubric]

    def criterion_points(self, spec: QuestionSpec, detail: Mapping[str, Any]) -> dict[str, int]:
        """Points per criterion of a stored grade's ``detail`` (criteria it lacks are left out)."""
        levels = detail.get("levels") if isinstance(detail, Mapping) else None
        if not isinstance(levels, Mapping):
            return {}
        found = {}
        for criterion in data_of(spec, EssayData).rubric:
            index = levels.get(criterion.id)
            if isinstance(index, int) and 0 <= index < len(criterion.levels):
                found[criterion.id] = criterion.levels[index].points
        return found

    # --- GIFT ----------------------------------------------------------------------------

    def gift_recognises(self, answers: str) -> bool:
        return not answers

    def gift_read(
        self,
        gift: GiftReader,
        answers: str,
        start: int,
        fmt: str,
        line_at: Callable[[int], int],
        line: int,
    ) -> dict[str, Any] | None:
        """``{}``: Moodle's essay. Its rubric, model answer and word limits, which GIFT cannot
        write, come back from the ``// learnapp:`` comment (:attr:`gift_kept`)."""
        return {}

    def gift_write(self, gift: GiftWriter, raw: Mapping[str, Any], line: int) -> str | None:
        return ""


def data_of_essay(data: QuestionData) -> EssayData:
    if not isinstance(data, EssayData):
        raise TypeError(f"not essay data: {type(data).__name__}")
    return data


def rubric_review(data: EssayData, grade: Grade) -> list[dict[str, Any]]:
    """The rubric with the level the grader chose in each criterion (none while pending)."""
    levels = grade.detail.get("levels") if not grade.pending else None
    chosen = levels if isinstance(levels, Mapping) else {}
    shown = []
    for criterion in data.rubric:
        pick = chosen.get(criterion.id)
        shown.append(
            {
                "id": criterion.id,
                "html": criterion.text_html,
                "max_points": criterion.max_points,
                "points": criterion.levels[pick].points
                if isinstance(pick, int) and 0 <= pick < len(criterion.levels)
                else None,
                "levels": [
                    {"points": level.points, "html": level.text_html, "chosen": index == pick}
                    for index, level in enumerate(criterion.levels)
                ],
            }
        )
    return shown


def _levels(sub: Fields, render: TextRenderer) -> list[Level] | None:
    items = sub.sequence("levels")
    if sub.raw.get("levels") is not None and len(items) < 2:
        sub.error(msg("%(what)s needs at least two levels", what=sub.what), sub.line("levels"))
        return None
    levels: list[Level] = []
    seen: set[int] = set()
    for index, (item, line) in enumerate(items):
        label = msg("level %(number)s of %(what)s", number=index + 1, what=sub.what)
        if not isinstance(item, Mapping):
            sub.error(
                msg(
                    "level %(number)s of %(what)s must be a mapping with points: and text:,"
                    " got %(got)s",
                    number=index + 1,
                    what=sub.what,
                    got=describe(item),
                ),
                line,
            )
            continue
        level = Fields(item, sub.where.__class__(sub.where.path, line), label)
        level.check_keys(LEVEL_KEYS, ("points", "text"))
        points = level.integer("points", minimum=0, maximum=1000, default=-1)
        text = level.string("text", required=True)
        if points in seen:
            level.error(
                msg(
                    "level %(number)s of %(what)s: two levels of one criterion give %(points)s"
                    " points",
                    number=index + 1,
                    what=sub.what,
                    points=points,
                ),
                level.line("points"),
            )
        seen.add(points)
        sub.problems.extend(level.problems)
        if points >= 0 and text.strip() and not level.problems:
            levels.append(Level(points, render.inline(text, level.line("text"))))
    if not items:
        return None
    if levels and max(lv.points for lv in levels) == 0:
        sub.error(
            msg("%(what)s: its best level must be worth more than 0 points", what=sub.what),
            sub.line("levels"),
        )
    return levels if len(levels) == len(items) else None


def _plain(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]*>", " ", html)).split())
