"""What every question type shares: the stored spec, the grade, and the parse scaffolding.

A question type parses its YAML once (at course sync) into a frozen :class:`QuestionSpec` that
can be stored as JSON (``to_dict``/``from_dict``) and graded later, so editing a course never
rewrites old scores. Grading is pure and total: any JSON value is an acceptable answer, and
anything tampered, foreign or out of range scores 0 instead of raising.

A type owns everything about itself: its file schema (:meth:`QuestionType.parse_data`), the
student's view and form reading, its template partial (:attr:`QuestionType.partial`), grading,
best answer, review, item-analysis category and GIFT conversion. Nothing outside its module
switches on the type name, so adding a type is one module, one partial and one registry line.
"""

from __future__ import annotations

import hashlib
import json
import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from learnapp.content.errors import CourseFileError, Location, Problem
from learnapp.content.fields import Fields, describe, is_id, to_decimal
from learnapp.content.messages import msg
from learnapp.content.render import plain_text_to_html

if TYPE_CHECKING:
    from learnapp.content.gift import GiftReader, GiftWriter

#: Points are reported with two decimals (1/3 of a point is 0.33).
POINTS_QUANTUM = Decimal("0.01")
COMMON_KEYS = ("id", "type", "prompt", "points", "tags", "explanation", "lesson")
#: Keys LearnApp keeps for other systems and does not use itself.
INTEROP_KEYS = ("category",)
#: Longest one-line typed answer kept from a form (short and numeric answers).
MAX_TEXT = 500
#: Item-analysis categories (:attr:`QuestionType.analysis`): a distribution of the one option
#: each answer picked; of the several options an answer may pick; points only; points per
#: rubric criterion.
ANALYSIS_CATEGORIES = ("choice", "choices", "score", "rubric")


class Form(Protocol):
    """A posted form (Werkzeug's ``MultiDict``)."""

    def get(self, key: str, default: Any = None) -> Any: ...
    def getlist(self, key: str) -> list[str]: ...
    def __contains__(self, key: object) -> bool: ...


class TextRenderer(Protocol):
    """Turns Markdown found at file line ``line`` into sanitised HTML."""

    def block(self, source: str, line: int) -> str: ...

    def inline(self, source: str, line: int) -> str: ...


class PlainRenderer:
    """Escapes text instead of rendering Markdown; used when parsing outside a course."""

    def block(self, source: str, line: int) -> str:
        return plain_text_to_html(source)

    def inline(self, source: str, line: int) -> str:
        return plain_text_to_html(source)[3:-4]


class QuestionData(ABC):
    """Type-specific, JSON-storable part of a question."""

    @abstractmethod
    def to_dict(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Grade:
    """Points scored out of ``max_points``, with the feedback to show at review.

    ``pending``: a person still has to grade the answer (``points`` is then 0 and means
    nothing yet). ``detail``: what a person's grade was made of (an essay's rubric levels).
    """

    points: Decimal
    max_points: Decimal
    feedback: list[str] = field(default_factory=list)
    pending: bool = False
    detail: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_correct(self) -> bool:
        return not self.pending and self.points == self.max_points


@dataclass(frozen=True)
class QuestionSpec:
    id: str
    type: str
    points: int
    prompt_html: str
    data: QuestionData
    explanation_html: str = ""
    tags: tuple[str, ...] = ()
    #: ``lesson-id`` or ``lesson-id#anchor``: the passage this question tests.
    lesson: str | None = None
    content_hash: str = ""
    #: File line of the question (its ``id`` key), for reports.
    line: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "points": self.points,
            "prompt_html": self.prompt_html,
            "explanation_html": self.explanation_html,
            "tags": list(self.tags),
            "lesson": self.lesson,
            "content_hash": self.content_hash,
            "line": self.line,
            "data": self.data.to_dict(),
        }

    @classmethod
    def from_dict(cls, stored: Mapping[str, Any]) -> QuestionSpec:
        """Rebuild a spec stored with :meth:`to_dict`; raises ``KeyError``/``ValueError``."""
        from learnapp.quizzes.questions import QUESTION_TYPES

        kind = QUESTION_TYPES[str(stored["type"])]
        return cls(
            id=str(stored["id"]),
            type=kind.name,
            points=int(stored["points"]),
            prompt_html=str(stored["prompt_html"]),
            explanation_html=str(stored.get("explanation_html", "")),
            tags=tuple(str(tag) for tag in stored.get("tags", ())),
            lesson=None if stored.get("lesson") is None else str(stored["lesson"]),
            content_hash=str(stored.get("content_hash", "")),
            line=int(stored.get("line", 1)),
            data=kind.data_from_dict(stored["data"]),
        )


#: Longest ``category`` path accepted (Moodle allows 255 characters per category name).
CATEGORY_MAX = 1000


def _check_interop_keys(fields: Fields) -> None:
    """``category``: the Moodle question-bank category a GIFT import came from, such as
    ``$course$/top/Default for NMT/Week 1``, written back by the GIFT export (one line)."""
    category = fields.string("category", required=True, max_length=CATEGORY_MAX)
    if any(char in category for char in "\r\n\x85\u2028\u2029"):
        fields.error(msg('"category" must be one line'), fields.line("category"))
    elif category.strip() == "$course$":
        fields.error(
            msg('"category" $course$ is the course\'s default category: leave "category" out'),
            fields.line("category"),
        )


def scaled(max_points: Decimal, fraction: Fraction) -> Decimal:
    """``max_points * fraction`` clamped to [0, max_points], rounded to hundredths."""
    fraction = min(max(fraction, Fraction(0)), Fraction(1))
    exact = Fraction(max_points) * fraction
    points = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        POINTS_QUANTUM, rounding=ROUND_HALF_EVEN
    )
    return min(max(points, Decimal(0)), max_points)


def default_id(index: int) -> str:
    """Position ids a, b, ..., z, aa, ab, ... for choices, items and answers without ``id``."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def canonical_hash(raw: object) -> str:
    """sha256 of the question's YAML as canonical JSON: layout changes keep the version."""

    def canon(value: object) -> object:
        if isinstance(value, Mapping):
            return sorted(([str(k), canon(v)] for k, v in value.items()), key=lambda kv: kv[0])
        if isinstance(value, list | tuple):
            return [canon(v) for v in value]
        if isinstance(value, str | int | float | bool) or value is None:
            return value
        return str(value)

    text = json.dumps(canon(raw), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def weight_value(value: object) -> Decimal | None:
    """A weight in percent as Decimal (ints or finite decimals; bools are not numbers)."""
    return to_decimal(value)


class QuestionType(ABC):
    """One question type: parse its YAML, grade an answer. Register it in ``QUESTION_TYPES``."""

    name: ClassVar[str]
    #: Type-specific keys (besides :data:`COMMON_KEYS`) and which of them are required.
    keys: ClassVar[tuple[str, ...]] = ()
    required: ClassVar[tuple[str, ...]] = ()
    #: Answers are graded by a person (:meth:`grade` then returns a pending grade).
    is_manual: ClassVar[bool] = False

    def parse(
        self, raw: Mapping[str, object], where: Location, render: TextRenderer | None = None
    ) -> QuestionSpec:
        """Validate a question mapping.

        :raises CourseFileError: with every error found (warnings are dropped; use
            :meth:`parse_with_problems` to keep them).
        """
        spec, problems = self.parse_with_problems(raw, where, render)
        if spec is None or any(p.is_error for p in problems):
            raise CourseFileError([p for p in problems if p.is_error])
        return spec

    def parse_with_problems(
        self, raw: Mapping[str, object], where: Location, render: TextRenderer | None = None
    ) -> tuple[QuestionSpec | None, list[Problem]]:
        render = render or PlainRenderer()
        qid = raw.get("id")
        label = msg('question "%(id)s"', id=qid) if is_id(qid) else msg("question")
        fields = Fields(raw, where, label)
        fields.check_keys(
            (*COMMON_KEYS, *INTEROP_KEYS, *self.keys), ("id", "type", "prompt", *self.required)
        )
        _check_interop_keys(fields)
        ident = fields.ident("id")
        prompt = fields.string("prompt", required=True)
        points = fields.integer("points", minimum=1, maximum=1000, default=1)
        explanation = fields.string("explanation")
        tags = tuple(tag for tag, _ in fields.ids("tags"))
        lesson = self._lesson_ref(fields)
        data = self.parse_data(fields, render)
        if data is not None:
            points = self.points_of(data, fields, points)
        problems = sorted(fields.problems, key=lambda p: p.line)
        if ident is None or data is None or any(p.is_error for p in problems):
            return None, problems
        spec = QuestionSpec(
            id=ident,
            type=self.name,
            points=points,
            prompt_html=render.block(prompt, _text_line(fields, "prompt", prompt)),
            explanation_html=(
                render.block(explanation, _text_line(fields, "explanation", explanation))
                if explanation
                else ""
            ),
            tags=tags,
            lesson=lesson,
            data=data,
            content_hash=canonical_hash(raw),
            line=fields.line("id"),
        )
        return spec, problems

    @staticmethod
    def _lesson_ref(fields: Fields) -> str | None:
        value = fields.raw.get("lesson")
        if value is None:
            return None
        lesson, _, anchor = value.partition("#") if isinstance(value, str) else ("", "", "")
        if not is_id(lesson) or ("#" in str(value) and not anchor):
            fields.error(
                msg(
                    '"lesson" must be <lesson-id> or <lesson-id>#<anchor>, got %(got)s',
                    got=describe(value),
                ),
                fields.line("lesson"),
            )
            return None
        return str(value)

    # --- answering -----------------------------------------------------------------------

    @property
    def partial(self) -> str:
        """The template with this type's ``controls(v, value, fid)`` and ``review(r)`` macros."""
        return f"quizzes/questions/{self.name}.html"

    def option_order(
        self, spec: QuestionSpec, shuffle_choices: bool, rng: random.Random
    ) -> tuple[str, ...]:
        """Display order of the question's options for a new attempt (real ids).

        Empty for a type without options; ``shuffle_choices`` is the quiz setting.
        """
        return ()

    def view(self, spec: QuestionSpec, order: Sequence[str]) -> dict[str, Any]:
        """What the student may see while answering, options in the planned ``order``.

        Never anything from the answer key (correct flags, weights, feedback, accepted answers,
        explanation, lesson link). Options carry opaque tokens (:func:`option_token`) instead of
        their ids, because default ids (a, b, c in key order) would give the key away; map a
        submitted answer back with :meth:`answer_from_view`.

        :raises ValueError: when ``order`` is not a permutation of the question's option ids.
        """
        return base_view(spec)

    @abstractmethod
    def read_form(self, view: Mapping[str, Any], field: str, form: Form) -> tuple[bool, Any]:
        """The answer posted with the partial's controls: (present, value in view terms).

        ``present`` is False when the form lacks the question; ``field`` is the name base of
        its inputs (``q_<answer id>``). Only tokens the student was shown and bounded texts
        are kept; map the value back with :meth:`answer_from_view` before storing it.
        """

    @abstractmethod
    def form_fields(self, field: str, value: Any) -> dict[str, Any]:
        """The fields a browser posts for ``value`` (view terms): :meth:`read_form`'s inverse."""

    def answer_from_view(
        self, spec: QuestionSpec, order: Sequence[str], submitted: object
    ) -> object:
        """Translate an answer written with :meth:`view`'s tokens into the answer ``grade`` takes.

        Unknown tokens give ``None`` (which grades 0), never an exception.
        """
        return submitted

    def answer_to_view(self, spec: QuestionSpec, order: Sequence[str], answer: object) -> object:
        """Inverse of :meth:`answer_from_view`, to fill the form with a saved answer."""
        return answer

    # --- grading and review --------------------------------------------------------------

    @abstractmethod
    def parse_data(self, fields: Fields, render: TextRenderer) -> QuestionData | None:
        """Validate the type-specific keys; report problems on ``fields``."""

    @abstractmethod
    def data_from_dict(self, stored: Mapping[str, Any]) -> QuestionData: ...

    def points_of(self, data: QuestionData, fields: Fields, points: int) -> int:
        """The question's points, given ``points:`` (or its default, 1) and the parsed data."""
        return points

    @abstractmethod
    def grade(self, spec: QuestionSpec, answer: object) -> Grade:
        """Grade ``answer`` (any JSON value); never raises."""

    @abstractmethod
    def best_answer(self, spec: QuestionSpec) -> object:
        """An answer worth full marks, in real option ids (for previews and tests)."""

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
        """What the review page shows: :meth:`view` plus what the flags allow.

        ``answer`` is the stored answer (real ids, as graded). ``show_responses`` adds what the
        student picked; ``show_correct`` the correct answer, ``score``, ``max_points`` and
        ``status`` (right/partial/wrong: per-question points would reveal the key too);
        ``show_feedback`` the feedback, the explanation and the lesson link. The type adds its
        own part with :meth:`review_answer`.
        """
        return {
            **self.view(spec, order),
            **self.review_answer(
                spec,
                order,
                answer,
                grade,
                show_responses=show_responses,
                show_correct=show_correct,
                show_feedback=show_feedback,
            ),
            **review_common(spec, grade, show_correct, show_feedback),
        }

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
        """The type's own review fields (the student's answer, the key), as the flags allow."""
        return {}

    def right_feedback(self, spec: QuestionSpec) -> list[str]:
        """Feedback (HTML) a student who gave the right answer reads, for the quality checks."""
        return []

    # --- item analysis -------------------------------------------------------------------

    #: How item analysis reports the type (one of :data:`ANALYSIS_CATEGORIES`).
    analysis: ClassVar[str] = "score"

    def analysis_choices(self, spec: QuestionSpec) -> list[tuple[str, str, bool]]:
        """``(id, label HTML, is correct)`` of each option counted by item analysis."""
        return []

    def picked(self, answer: object) -> set[str]:
        """The :meth:`analysis_choices` ids a stored answer picked (nothing if malformed)."""
        return set()

    def analysis_criteria(self, spec: QuestionSpec) -> list[tuple[str, str, int]]:
        """``(id, label HTML, max points)`` of each rubric criterion item analysis reports."""
        return []

    def criterion_points(self, spec: QuestionSpec, detail: Mapping[str, Any]) -> dict[str, int]:
        """Points per :meth:`analysis_criteria` id in a person's stored grade ``detail``."""
        return {}

    # --- GIFT ----------------------------------------------------------------------------

    #: Order in which the GIFT reader tries the types on an answer block (lowest first);
    #: ``None``: GIFT has no syntax for the type.
    gift_rank: ClassVar[int | None] = None

    def gift_recognises(self, answers: str) -> bool:
        """Whether GIFT answers ``{...}`` (stripped, without braces) are of this type."""
        return False

    def gift_read(
        self,
        gift: GiftReader,
        answers: str,
        start: int,
        fmt: str,
        line_at: Callable[[int], int],
        line: int,
    ) -> dict[str, Any] | None:
        """The type-specific keys of a quiz-file question from GIFT answers (stripped).

        ``start`` is the answers' offset in the block and ``line_at(offset)`` its file line;
        ``fmt`` the question text's format. Problems go to ``gift.problem``; ``None`` when the
        question cannot be imported.
        """
        return None

    def gift_write(self, gift: GiftWriter, raw: Mapping[str, Any], line: int) -> str | None:
        """The GIFT answers ``{...}`` (without braces) for quiz-file question ``raw``; ``None``
        after reporting to ``gift.problem`` what GIFT cannot express."""
        gift.problem(
            line,
            msg('question "%(id)s": GIFT has no %(type)s questions', id=raw["id"], type=self.name),
        )
        return None

    #: Quiz-file keys GIFT has no syntax for, kept in the ``// learnapp:`` comment.
    gift_kept: ClassVar[tuple[str, ...]] = ()

    def gift_items(self, raw: Mapping[str, Any]) -> list[Any]:
        """The items of ``raw`` that may carry ids (which GIFT keeps in ``// learnapp:``)."""
        return []

    def gift_set_ids(self, raw: dict[str, Any], ids: Sequence[Any]) -> None:
        """Give :meth:`gift_items` the ``ids`` read back (one per item, ``None`` for none)."""
        for item, ident in zip(self.gift_items(raw), ids, strict=True):
            if ident is not None and isinstance(item, dict):
                rest = {k: v for k, v in item.items() if k != "id"}
                item.clear()
                item.update({"id": ident, **rest})


DataT = TypeVar("DataT", bound=QuestionData)


def data_of(spec: QuestionSpec, kind: type[DataT]) -> DataT:
    """The spec's data, checked to be of the type's own class.

    :raises TypeError: for a spec of another type.
    """
    if not isinstance(spec.data, kind):
        raise TypeError(f'question "{spec.id}" of type {spec.type} has no {kind.__name__}')
    return spec.data


def option_token(position: int) -> str:
    """Opaque id of the option shown at ``position`` (0-based) of an attempt's planned order."""
    return f"o{position + 1}"


def check_order(ids: Sequence[str], order: Sequence[str]) -> list[str]:
    """``order`` as a list, after checking it is a permutation of ``ids``.

    :raises ValueError: otherwise; showing a partial or file order could reveal the key.
    """
    if len(order) != len(ids) or set(order) != set(ids):
        raise ValueError(f"planned order {list(order)} does not match the options {list(ids)}")
    return list(order)


def to_tokens(order: Sequence[str]) -> dict[str, str]:
    """Real option id -> token, for an order checked with :func:`check_order`."""
    return {oid: option_token(position) for position, oid in enumerate(order)}


def from_tokens(order: Sequence[str]) -> dict[str, str]:
    """Token -> real option id."""
    return {option_token(position): oid for position, oid in enumerate(order)}


def base_view(spec: QuestionSpec) -> dict[str, Any]:
    """The fields every type shows while answering."""
    return {
        "id": spec.id,
        "type": spec.type,
        "points": spec.points,
        "prompt_html": spec.prompt_html,
    }


def grade_status(grade: Grade) -> str:
    if grade.pending:
        return "awaiting"
    if grade.points >= grade.max_points:
        return "right"
    return "partial" if grade.points > 0 else "wrong"


def review_common(
    spec: QuestionSpec, grade: Grade, show_correct: bool, show_feedback: bool
) -> dict[str, Any]:
    """Review fields shared by every type: points and status, feedback and explanation."""
    shown: dict[str, Any] = {}
    if show_correct:
        # An answer awaiting grading has no score yet (not 0).
        shown["score"] = None if grade.pending else str(grade.points)
        shown["max_points"] = str(grade.max_points)
        shown["status"] = grade_status(grade)
    if show_feedback:
        shown["feedback"] = list(grade.feedback)
        shown["explanation_html"] = spec.explanation_html
        shown["lesson"] = spec.lesson
    return shown


def percent_text(weight: Decimal) -> str:
    """``50`` for Decimal("50.0"), ``33.3`` for Decimal("33.30")."""
    return format(weight.normalize(), "f")


def zero(spec: QuestionSpec) -> Grade:
    return Grade(Decimal(0), Decimal(spec.points), [])


def _text_line(fields: Fields, key: str, text: str) -> int:
    """File line where a Markdown value starts (block scalars start below their key)."""
    line = fields.line(key)
    return line + 1 if "\n" in text.rstrip("\n") or text.endswith("\n") else line
