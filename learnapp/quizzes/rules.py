"""Quiz rules the attempt service applies: drawing, ordering, dates, review, combining scores.

Pure and Flask-free, so every rule is tested in milliseconds with a fixed clock and seed. Times
are aware datetimes (UTC in the database); percentages are Decimal with two places.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from learnapp.content.specs import QuizSettings
from learnapp.quizzes.questions import QUESTION_TYPES, Grade, QuestionSpec

#: Saves and submissions are accepted until the deadline plus this, for network delay.
GRACE = timedelta(seconds=30)
PERCENT_QUANTUM = Decimal("0.01")
#: ``review:`` values (docs/course-format.md, "Review modes").
REVIEW_MODES = ("immediately", "after_submit", "after_last_attempt", "after_close", "never")
GRADING_METHODS = ("highest", "latest", "first")


# --- planning an attempt --------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedQuestion:
    """One question of an attempt, with the order its options are shown in.

    ``choice_order`` holds real option ids (choices, matching answers, ordering items); it is
    empty for types without options (true_false, short, numeric, essay).
    """

    question_id: str
    choice_order: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"question_id": self.question_id, "choice_order": list(self.choice_order)}

    @classmethod
    def from_dict(cls, stored: Mapping[str, Any]) -> PlannedQuestion:
        return cls(str(stored["question_id"]), tuple(str(i) for i in stored["choice_order"]))


def plan_attempt(
    questions: Sequence[QuestionSpec], settings: QuizSettings, rng: random.Random
) -> list[PlannedQuestion]:
    """Draw, order and shuffle the questions of a new attempt.

    ``settings`` gives ``draw`` and the shuffles. ``draw: N``
    takes N questions at random; ``draw: {tag: N}`` takes N distinct questions per tag, and
    when questions carry several drawn tags a valid assignment is found by bipartite matching
    (the loader rejects pools that cannot fill every group; should one slip through, as many
    slots as possible are filled). Drawn questions keep their file order unless
    ``shuffle_questions``. Option orders: see :func:`option_order`. The same ``rng`` state gives
    the same plan.
    """
    picked = _draw(questions, settings.draw, rng)
    if settings.shuffle_questions:
        rng.shuffle(picked)
    shuffle_choices = settings.shuffle_choices
    return [
        PlannedQuestion(questions[i].id, option_order(questions[i], shuffle_choices, rng))
        for i in picked
    ]


def option_order(spec: QuestionSpec, shuffle_choices: bool, rng: random.Random) -> tuple[str, ...]:
    """Display order of a question's options (real ids), as its type decides
    (``QuestionType.option_order``): choices shuffle only with ``shuffle_choices``, matching
    answers and ordering items always; types without options give an empty order."""
    return QUESTION_TYPES[spec.type].option_order(spec, shuffle_choices, rng)


def _draw(questions: Sequence[QuestionSpec], draw: object, rng: random.Random) -> list[int]:
    """Indices of the drawn questions, in file order."""
    indices = list(range(len(questions)))
    if isinstance(draw, bool) or draw is None:
        return indices
    if isinstance(draw, int):
        return sorted(rng.sample(indices, min(max(draw, 0), len(indices))))
    if isinstance(draw, Mapping):
        return sorted(_draw_by_tag(questions, draw, rng))
    return indices


def _draw_by_tag(
    questions: Sequence[QuestionSpec], draw: Mapping[Any, Any], rng: random.Random
) -> list[int]:
    """Distinct questions filling ``count`` slots per tag (Kuhn's augmenting paths).

    Candidates are tried in a random order, so each attempt gets a different valid selection.
    """
    slots = [str(tag) for tag, count in draw.items() for _ in range(int(count))]
    candidates = list(range(len(questions)))
    rng.shuffle(candidates)
    owner: dict[int, int] = {}  # question index -> slot index

    def assign(slot: int, seen: set[int]) -> bool:
        for index in candidates:
            if slots[slot] in questions[index].tags and index not in seen:
                seen.add(index)
                if index not in owner or assign(owner[index], seen):
                    owner[index] = slot
                    return True
        return False

    for slot in range(len(slots)):
        assign(slot, set())
    return list(owner)


# --- attempts and time -----------------------------------------------------------------------


def attempts_allowed(settings_attempts: int | None, extra_attempts: int) -> int | None:
    """Attempts a student may take (``None``: unlimited), with an instructor's extra ones.

    :raises ValueError: for a negative ``extra_attempts``.
    """
    if extra_attempts < 0:
        raise ValueError(f"extra attempts must be >= 0, got {extra_attempts}")
    return None if settings_attempts is None else settings_attempts + extra_attempts


def deadline(
    started_at: datetime,
    time_limit_minutes: int | None,
    extra_minutes: int,
    closes_at: datetime | None,
) -> datetime | None:
    """When an attempt must end: the earlier of start + limit + extra time and the close date.

    Extra time only lengthens a time limit; without one, only ``closes_at`` counts. Returns a
    UTC datetime, or ``None`` when neither applies.

    :raises ValueError: for naive datetimes or negative ``extra_minutes``.
    """
    _require_aware(started_at=started_at, closes_at=closes_at)
    if extra_minutes < 0:
        raise ValueError(f"extra minutes must be >= 0, got {extra_minutes}")
    ends = []
    if time_limit_minutes is not None:
        ends.append(started_at + timedelta(minutes=time_limit_minutes + extra_minutes))
    if closes_at is not None:
        ends.append(closes_at)
    return min(ends).astimezone(UTC) if ends else None


def is_past_deadline(now: datetime, deadline: datetime | None, grace: timedelta = GRACE) -> bool:
    """Whether the server must refuse a save: strictly later than ``deadline + grace``."""
    _require_aware(now=now, deadline=deadline)
    return deadline is not None and now > deadline + grace


def is_open(now: datetime, opens_at: datetime | None, closes_at: datetime | None) -> bool:
    """Whether attempts may start: ``opens_at <= now < closes_at`` (either end optional)."""
    _require_aware(now=now, opens_at=opens_at, closes_at=closes_at)
    return (opens_at is None or opens_at <= now) and (closes_at is None or now < closes_at)


def _require_aware(**values: datetime | None) -> None:
    for name, value in values.items():
        if value is not None and value.utcoffset() is None:
            raise ValueError(f"{name} must be an aware datetime, got {value!r}")


# --- review -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewScope:
    """What a review page may show of one attempt.

    ``show_score``: the attempt's total and percentage. ``show_responses``: the student's own
    answers. ``show_correct``: the correct answers and each question's points and
    right/partial/wrong (per-question points give the key away just as well).
    ``show_feedback``: feedback, explanations and lesson links.
    """

    show_score: bool
    show_responses: bool
    show_correct: bool
    show_feedback: bool

    def question_flags(self) -> dict[str, bool]:
        """Keyword arguments for :meth:`QuestionType.review`."""
        return {
            "show_responses": self.show_responses,
            "show_correct": self.show_correct,
            "show_feedback": self.show_feedback,
        }


NOTHING = ReviewScope(False, False, False, False)
EVERYTHING = ReviewScope(True, True, True, True)


def review_scope(
    review: str,
    *,
    submitted: bool,
    attempts_submitted: int,
    attempt_in_progress: bool,
    attempts_allowed: int | None,
    closes_at: datetime | None,
    now: datetime,
) -> ReviewScope:
    """What the attempt's review page shows, by the quiz's ``review`` setting.

    ``attempts_submitted`` counts the student's submitted attempts at the quiz: an open or
    reopened attempt has not been used yet and a discarded one never counts.
    ``attempt_in_progress``: the student has an attempt open at the quiz (a new or a reopened
    one).

    ======================  =========  =====================================================
    ``review``              before     after submitting
                            submit
    ======================  =========  =====================================================
    ``immediately``         nothing*   everything
    ``after_submit``        nothing    everything
    ``after_last_attempt``  nothing    score and responses; correct answers and feedback
                                       too once no attempt is left (``attempts_allowed`` set
                                       and ``attempts_submitted >= attempts_allowed``) or the
                                       quiz has closed (``now >= closes_at``), and no attempt
                                       is in progress
    ``after_close``         nothing    score and responses; correct answers and feedback
                                       too once ``now >= closes_at`` (never without
                                       ``closes_at``) and no attempt is in progress
    ``never``               nothing    score only
    ======================  =========  =====================================================

    An attempt in progress hides the key of every attempt at the quiz, whatever the counts and
    dates say: the student could read it in another tab and answer with it (an attempt
    reopened, or given minutes after the close date, is in progress). ``immediately`` and
    ``after_submit`` show each attempt's key once it is submitted, by definition, so they do
    not wait.

    \\* with ``immediately``, each question the student checked (and so locked) shows its own
    review during the attempt: see :func:`question_feedback_allowed`. An unknown ``review``
    value is treated as ``never``, the safe side.
    """
    _require_aware(now=now, closes_at=closes_at)
    if not submitted:
        return NOTHING
    if review in ("immediately", "after_submit"):
        return EVERYTHING
    closed = closes_at is not None and now >= closes_at
    if review == "after_last_attempt":
        used_up = attempts_allowed is not None and attempts_submitted >= attempts_allowed
        key = (used_up or closed) and not attempt_in_progress
        return EVERYTHING if key else ReviewScope(True, True, False, False)
    if review == "after_close":
        key = closed and not attempt_in_progress
        return EVERYTHING if key else ReviewScope(True, True, False, False)
    return ReviewScope(True, False, False, False)


def question_feedback_allowed(review: str, locked: bool) -> bool:
    """Whether one question of an open attempt may show its review (its answer then locks)."""
    return review == "immediately" and locked


# --- what a student sees ------------------------------------------------------------------


def view_question(spec: QuestionSpec, order: Sequence[str]) -> dict[str, Any]:
    """The question as the student may see it while answering (see ``QuestionType.view``)."""
    return QUESTION_TYPES[spec.type].view(spec, order)


def review_question(
    spec: QuestionSpec,
    order: Sequence[str],
    answer: object,
    grade: Grade,
    scope: ReviewScope,
) -> dict[str, Any]:
    """The question on the review page, limited to what ``scope`` allows."""
    return QUESTION_TYPES[spec.type].review(spec, order, answer, grade, **scope.question_flags())


def answer_from_view(spec: QuestionSpec, order: Sequence[str], submitted: object) -> object:
    """A posted answer written with the view's option tokens, as the answer ``grade`` takes."""
    return QUESTION_TYPES[spec.type].answer_from_view(spec, order, submitted)


def answer_to_view(spec: QuestionSpec, order: Sequence[str], answer: object) -> object:
    """A stored answer in the view's option tokens, to fill the form again."""
    return QUESTION_TYPES[spec.type].answer_to_view(spec, order, answer)


# --- scores ----------------------------------------------------------------------------------


def combine(attempts: Sequence[tuple[int, Decimal]], method: str) -> Decimal | None:
    """The percentage that counts, from ``(attempt number, percent)`` of graded attempts.

    ``highest``: the best; ``latest``: the largest number's; ``first``: the smallest number's.
    ``None`` when there is no graded attempt.

    :raises ValueError: for an unknown method.
    """
    if method not in GRADING_METHODS:
        raise ValueError(f"unknown grading method {method!r}")
    if not attempts:
        return None
    if method == "highest":
        return max(score for _, score in attempts)
    if method == "latest":
        return max(attempts, key=lambda attempt: attempt[0])[1]
    return min(attempts, key=lambda attempt: attempt[0])[1]


def percent(points: Decimal, max_points: Decimal) -> Decimal:
    """``points`` as a percentage of ``max_points``, to 0.01 (half-even, like points); 0 if
    ``max_points`` is 0."""
    if not max_points:
        return Decimal(0).quantize(PERCENT_QUANTUM)
    return (Decimal(points) * 100 / Decimal(max_points)).quantize(
        PERCENT_QUANTUM, rounding=ROUND_HALF_EVEN
    )
