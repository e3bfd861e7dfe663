"""Item analysis of a quiz's submitted attempts, with Moodle's definitions: pure, no Flask.

The inputs are plain values (:class:`AttemptData`, :class:`QuestionInfo`) loaded by
``learnapp.analysis.services``; everything here is arithmetic, so it is checked against
hand-computed figures in milliseconds.

Definitions (Moodle's quiz statistics report):

- **Attempts** of a question: the counted attempts that drew it (a quiz drawing from a pool
  shows each question to some attempts only). An unanswered question in a submitted attempt
  scores 0 and still counts; **answered** counts the attempts that gave an answer.
- **Facility index**: mean points ÷ max points, in percent (sum of points over sum of max
  points, so versions worth different points combine fairly).
- **Standard deviation**: sample standard deviation of the question's points, in percent of
  its max points.
- **Discrimination index**: 100 times the Pearson correlation between the question's points and
  the rest of the test (the attempt's total minus this question's points). Undefined
  (``None``, shown "n/a") with fewer than two attempts or when either side has no variance:
  everyone scored the same on the question, or on the rest.
- **Choice distribution** (single, multiple, true/false): how many of the question's attempts
  picked each choice (a multiple-choice answer picks several), and how many gave no answer.
- **Rubric criteria** (essays graded with a rubric): per criterion, the mean and the sample
  standard deviation of the points the graders gave, over the answers graded with it.

Attempts awaiting grading are left out until every answer is graded: their totals are not final.

Which attempts count (:data:`WHICH_ATTEMPTS`), as Moodle offers: every submitted attempt, or
one per student (first, latest or highest scoring). The default is the attempt the quiz's
``grading`` method counts, as in Moodle.

Versions: statistics are per question (its permanent id) over every version the counted
attempts answered, using the points each answer was graded with. Choice counts are matched by
choice id across versions; a choice that only older versions have is listed as such.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from html import unescape

from learnapp.quizzes.questions import QUESTION_TYPES, QuestionSpec
from learnapp.translation import N_, _

#: Which attempts count: value -> label. ``all`` counts repeated attempts of one student too.
#: The labels are marked for translation and translated where they are shown.
WHICH_ATTEMPTS: dict[str, str] = {
    "all": N_("All submitted attempts"),
    "first": N_("First attempt of each student"),
    "latest": N_("Latest attempt of each student"),
    "highest": N_("Highest-scoring attempt of each student"),
}
#: Quiz ``grading`` method -> the attempts Moodle's report counts by default.
DEFAULT_WHICH = {"first": "first", "latest": "latest", "highest": "highest"}

#: Questions are flagged only with at least this many attempts: with fewer, one student's luck
#: moves the facility by tens of percent and a correlation means little.
MIN_ATTEMPTS_FOR_FLAGS = 10
#: Facility under this (percent) looks like a wrong key or an unanswerable question.
HARD_BELOW = 10
#: Facility over this (percent) means the question tells students apart hardly at all.
EASY_ABOVE = 95

TAG = re.compile(r"<[^>]*>")
HISTOGRAM_BINS = 10


@dataclass(frozen=True)
class AnswerData:
    """One question of one submitted attempt, as graded."""

    question_id: int
    points: Decimal
    max_points: Decimal
    #: The stored answer, in real option ids (``None``: not answered).
    response: object = None
    #: Content hash of the question version the attempt showed.
    version: str = ""
    #: Points per rubric criterion id, for an answer a person graded with a rubric.
    criteria: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class AttemptData:
    id: int
    #: ``None`` for a student whose account was anonymised: each attempt then stands alone.
    user_id: int | None
    number: int
    answers: tuple[AnswerData, ...]

    # Cached: a frozen dataclass still has an instance __dict__ for cached_property to fill.
    @cached_property
    def total(self) -> Decimal:
        return sum((a.points for a in self.answers), Decimal(0))

    @cached_property
    def max_total(self) -> Decimal:
        return sum((a.max_points for a in self.answers), Decimal(0))

    @cached_property
    def percent(self) -> Fraction:
        """The attempt's score in percent, exact (0 for an attempt worth nothing)."""
        if not self.max_total:
            return Fraction(0)
        return Fraction(self.total) * 100 / Fraction(self.max_total)


@dataclass(frozen=True)
class ChoiceInfo:
    id: str
    #: Plain text (tags stripped), for charts and tables.
    label: str
    is_correct: bool
    #: False for a choice that only older versions of the question have.
    is_current: bool = True


@dataclass(frozen=True)
class CriterionInfo:
    id: str
    #: Plain text.
    label: str
    max_points: int


@dataclass(frozen=True)
class CriterionStats:
    criterion: CriterionInfo
    #: Answers graded with this criterion.
    graded: int
    mean: float | None
    sd: float | None


@dataclass(frozen=True)
class QuestionInfo:
    id: int
    slug: str
    type: str
    #: 1-based position in the quiz file.
    number: int
    #: The prompt as plain text.
    label: str
    #: Choices for single, multiple and true/false questions; empty for the other types.
    choices: tuple[ChoiceInfo, ...] = ()
    is_retired: bool = False
    #: Rubric criteria of the current version (essays with a rubric); empty otherwise.
    criteria: tuple[CriterionInfo, ...] = ()


@dataclass(frozen=True)
class ChoiceCount:
    choice: ChoiceInfo
    count: int
    #: Of the question's attempts.
    percent: float


@dataclass(frozen=True)
class QuestionStats:
    question: QuestionInfo
    attempts: int
    answered: int
    facility: float | None
    sd: float | None
    discrimination: float | None
    mean_points: float | None
    max_points: float | None
    choices: tuple[ChoiceCount, ...]
    no_answer: int
    #: How many versions of the question the counted attempts answered.
    versions: int
    flags: tuple[str, ...]
    criteria: tuple[CriterionStats, ...] = ()

    @property
    def has_too_few_attempts(self) -> bool:
        return self.attempts < MIN_ATTEMPTS_FOR_FLAGS

    @property
    def is_choice_question(self) -> bool:
        return bool(self.question.choices)

    @property
    def picks_several(self) -> bool:
        """One answer may pick several choices, so the counts add up to more than attempts."""
        kind = QUESTION_TYPES.get(self.question.type)
        return kind is not None and kind.analysis == "choices"


@dataclass(frozen=True)
class Bin:
    low: int
    high: int
    count: int

    @property
    def label(self) -> str:
        # An en dash; the last bin includes 100 %, the others exclude their upper end.
        return f"{self.low}\u2013{self.high}%"


@dataclass(frozen=True)
class QuizStats:
    which: str
    attempts: int
    students: int
    mean: float | None
    median: float | None
    sd: float | None
    minimum: float | None
    maximum: float | None
    histogram: tuple[Bin, ...]
    questions: tuple[QuestionStats, ...] = field(default_factory=tuple)

    @property
    def flagged(self) -> list[QuestionStats]:
        return [q for q in self.questions if q.flags]


# --- inputs -------------------------------------------------------------------------------


def plain_text(html: str, limit: int | None = None) -> str:
    """Sanitised HTML as one line of plain text, cut to ``limit`` characters with an ellipsis."""
    text = " ".join(unescape(TAG.sub(" ", html)).split())
    if limit is not None and len(text) > limit:
        return text[: limit - 1].rstrip() + "…"
    return text


def has_choices(question_type: str) -> bool:
    """Whether item analysis counts the options picked (the type's ``analysis`` category)."""
    kind = QUESTION_TYPES.get(question_type)
    return kind is not None and kind.analysis in ("choice", "choices")


def choices_of(specs: Sequence[QuestionSpec]) -> tuple[ChoiceInfo, ...]:
    """The choices of a choice question over its versions, newest version first.

    The first spec is the current version: its choices come first, in file order; choices only
    older versions have follow, with ``is_current=False``. A choice keeps its newest text and
    correctness. Types without options (``QuestionType.analysis_choices``) have no choices.
    """
    found: dict[str, ChoiceInfo] = {}
    for index, spec in enumerate(specs):
        current = index == 0
        kind = QUESTION_TYPES.get(spec.type)
        options = kind.analysis_choices(spec) if kind is not None else []
        for cid, html, correct in options:
            if cid not in found:
                found[cid] = ChoiceInfo(cid, plain_text(html), correct, current)
    return tuple(found.values())


def criteria_of(spec: QuestionSpec) -> tuple[CriterionInfo, ...]:
    """The rubric criteria of a question graded by rubric (``QuestionType.analysis``)."""
    kind = QUESTION_TYPES.get(spec.type)
    if kind is None or kind.analysis != "rubric":
        return ()
    return tuple(
        CriterionInfo(cid, plain_text(html), top) for cid, html, top in kind.analysis_criteria(spec)
    )


def criterion_stats(
    criteria: Sequence[CriterionInfo], answers: Iterable[AnswerData]
) -> tuple[CriterionStats, ...]:
    """Mean and spread of the points given per criterion."""
    answers = list(answers)
    found = []
    for criterion in criteria:
        values = [float(a.criteria[criterion.id]) for a in answers if criterion.id in a.criteria]
        mean = math.fsum(values) / len(values) if values else None
        found.append(CriterionStats(criterion, len(values), mean, sample_sd(values)))
    return tuple(found)


def picked(question_type: str, response: object) -> set[str]:
    """The choice ids a stored answer picked (``QuestionType.picked``)."""
    kind = QUESTION_TYPES.get(question_type)
    return kind.picked(response) if kind is not None else set()


def default_which(grading: str | None) -> str:
    return DEFAULT_WHICH.get(grading or "highest", "all")


def select_attempts(attempts: Iterable[AttemptData], which: str) -> list[AttemptData]:
    """The attempts that count: all of them, or one per student.

    :raises ValueError: for an unknown ``which``.
    """
    if which not in WHICH_ATTEMPTS:
        raise ValueError(f"unknown attempt selection {which!r}")
    attempts = sorted(attempts, key=lambda a: a.id)
    if which == "all":
        return attempts
    groups: dict[object, list[AttemptData]] = defaultdict(list)
    for attempt in attempts:
        key = attempt.user_id if attempt.user_id is not None else ("attempt", attempt.id)
        groups[key].append(attempt)
    chosen = []
    for group in groups.values():
        if which == "first":
            chosen.append(min(group, key=lambda a: a.number))
        elif which == "latest":
            chosen.append(max(group, key=lambda a: a.number))
        else:  # highest: the best percentage; ties go to the earlier attempt
            chosen.append(max(group, key=lambda a: (a.percent, -a.number)))
    return sorted(chosen, key=lambda a: a.id)


# --- statistics ---------------------------------------------------------------------------


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's correlation of two equally long series; ``None`` when it is undefined."""
    n = len(xs)
    if n < 2 or n != len(ys):
        return None
    mean_x, mean_y = math.fsum(xs) / n, math.fsum(ys) / n
    dx = [x - mean_x for x in xs]
    dy = [y - mean_y for y in ys]
    sxx = math.fsum(d * d for d in dx)
    syy = math.fsum(d * d for d in dy)
    # Points have two decimals, so a variance this small is a rounding remainder, not spread.
    if sxx < 1e-12 or syy < 1e-12:
        return None
    r = math.fsum(a * b for a, b in zip(dx, dy, strict=True)) / math.sqrt(sxx * syy)
    return max(-1.0, min(1.0, r))


def sample_sd(values: Sequence[float]) -> float | None:
    """Sample standard deviation (n - 1); ``None`` for fewer than two values.

    ``statistics.stdev`` is exact but works in fractions: 30 times slower on 100,000 answers.
    """
    n = len(values)
    if n < 2:
        return None
    mean = math.fsum(values) / n
    return math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))


def histogram(percents: Iterable[Fraction], bins: int = HISTOGRAM_BINS) -> tuple[Bin, ...]:
    """Counts of scores in equal bins from 0 to 100 %; each bin holds its lower end, the last
    one also 100 % (so 70 % is in the 70 to 80 % bin, and 100 % in the 90 to 100 % bin)."""
    width = Fraction(100, bins)
    counts = Counter(
        min(max(int(p // width), 0), bins - 1)
        for p in percents  # exact fractions: 70 % never lands in 60 to 70 % by rounding
    )
    return tuple(
        Bin(round(i * width), round((i + 1) * width), counts.get(i, 0)) for i in range(bins)
    )


def question_stats(
    info: QuestionInfo,
    rows: Sequence[tuple[AnswerData, Decimal]],
    min_attempts: int = MIN_ATTEMPTS_FOR_FLAGS,
) -> QuestionStats:
    """Statistics of one question from ``(answer, attempt total)`` rows, one per attempt."""
    n = len(rows)
    points = [float(answer.points) for answer, _ in rows]
    rest = [float(total - answer.points) for answer, total in rows]
    max_sum = math.fsum(float(answer.max_points) for answer, _ in rows)
    facility = 100 * math.fsum(points) / max_sum if n and max_sum else None
    mean_max = max_sum / n if n else None
    spread = sample_sd(points)
    sd = 100 * spread / mean_max if spread is not None and mean_max else None
    r = pearson(points, rest)
    discrimination = None if r is None else 100 * r
    answered = sum(1 for answer, _ in rows if answer.response is not None)
    choices: tuple[ChoiceCount, ...] = ()
    if info.choices:
        counts: Counter[str] = Counter()
        for answer, _version in rows:
            counts.update(picked(info.type, answer.response))
        choices = tuple(
            ChoiceCount(choice, counts[choice.id], 100 * counts[choice.id] / n if n else 0.0)
            for choice in info.choices
        )
    flags: list[str] = []
    if n >= min_attempts:
        if facility is not None and facility < HARD_BELOW:
            flags.append(
                _(
                    "Very hard: facility under %(limit)s. Check the answer key and the wording.",
                    limit=str(HARD_BELOW) + "%",
                )
            )
        if facility is not None and facility > EASY_ABOVE:
            flags.append(
                _(
                    "Very easy: facility over %(limit)s. It tells students apart little.",
                    limit=str(EASY_ABOVE) + "%",
                )
            )
        if discrimination is not None and discrimination < 0:
            flags.append(
                _(
                    "Negative discrimination: students who did better on the rest of the quiz"
                    " did worse on this question. Check the answer key."
                )
            )
    return QuestionStats(
        question=info,
        attempts=n,
        answered=answered,
        facility=facility,
        sd=sd,
        discrimination=discrimination,
        mean_points=math.fsum(points) / n if n else None,
        max_points=mean_max,
        choices=choices,
        no_answer=n - answered,
        versions=len({answer.version for answer, _ in rows}),
        flags=tuple(flags),
        criteria=criterion_stats(info.criteria, (answer for answer, _ in rows)),
    )


def analyse(
    attempts: Iterable[AttemptData],
    questions: Sequence[QuestionInfo],
    which: str = "all",
    min_attempts: int = MIN_ATTEMPTS_FOR_FLAGS,
) -> QuizStats:
    """Item analysis of ``attempts`` (submitted ones) for ``questions``, in the given order.

    Answers to questions not in ``questions`` still count in attempt totals (the rest of the
    test), but get no row of their own.

    :raises ValueError: for an unknown ``which``.
    """
    counted = select_attempts(attempts, which)
    by_question: Mapping[int, list[tuple[AnswerData, Decimal]]] = defaultdict(list)
    for attempt in counted:
        total = attempt.total
        for answer in attempt.answers:
            by_question[answer.question_id].append((answer, total))
    percents = [attempt.percent for attempt in counted]
    floats = [float(p) for p in percents]
    students = {a.user_id if a.user_id is not None else ("attempt", a.id) for a in counted}
    return QuizStats(
        which=which,
        attempts=len(counted),
        students=len(students),
        mean=math.fsum(floats) / len(floats) if floats else None,
        median=float(statistics.median(percents)) if percents else None,
        sd=sample_sd(floats),
        minimum=min(floats) if floats else None,
        maximum=max(floats) if floats else None,
        histogram=histogram(percents),
        questions=tuple(
            question_stats(info, by_question.get(info.id, []), min_attempts) for info in questions
        ),
    )
