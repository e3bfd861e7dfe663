"""Quiz rules: drawing and shuffling, dates and deadlines, review modes, combining scores."""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from learnapp.content.errors import Location
from learnapp.content.specs import QuizSettings
from learnapp.quizzes import rules
from learnapp.quizzes.questions import QUESTION_TYPES, QuestionSpec
from learnapp.quizzes.questions.ordering import display_order
from learnapp.quizzes.rules import PlannedQuestion, ReviewScope

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def question(raw: dict[str, Any]) -> QuestionSpec:
    return QUESTION_TYPES[raw["type"]].parse({"prompt": "P", **raw}, Location("q.md", 1))


def tf(qid: str, *tags: str) -> QuestionSpec:
    return question({"id": qid, "type": "true_false", "answer": True, "tags": list(tags)})


def single(qid: str, size: int = 4) -> QuestionSpec:
    choices = [{"id": f"c{i}", "text": f"choice {i}", "correct": i == 0} for i in range(size)]
    return question({"id": qid, "type": "single", "choices": choices})


def ordering(qid: str, size: int) -> QuestionSpec:
    return question({"id": qid, "type": "ordering", "items": [f"step {i}" for i in range(size)]})


def matching(qid: str) -> QuestionSpec:
    pairs = [{"prompt": f"p{i}", "answer": f"answer {i}"} for i in range(3)]
    return question({"id": qid, "type": "matching", "pairs": pairs, "distractors": ["other"]})


def settings(**values: Any) -> QuizSettings:
    return QuizSettings(**values)


def plan_ids(questions: list[QuestionSpec], seed: int, **values: Any) -> list[str]:
    plan = rules.plan_attempt(questions, settings(**values), random.Random(seed))
    return [p.question_id for p in plan]


# --- drawing ------------------------------------------------------------------------------


def test_no_draw_keeps_every_question_in_file_order() -> None:
    pool = [tf(f"q{i}") for i in range(6)]
    assert plan_ids(pool, 1) == [f"q{i}" for i in range(6)]


@pytest.mark.parametrize("count", [1, 3, 6])
def test_draw_n_takes_n_distinct_questions_in_file_order(count: int) -> None:
    pool = [tf(f"q{i}") for i in range(6)]
    for seed in range(30):
        ids = plan_ids(pool, seed, draw=count)
        assert len(ids) == len(set(ids)) == count
        assert ids == sorted(ids, key=lambda qid: int(qid[1:]))


def test_draw_n_varies_between_seeds() -> None:
    pool = [tf(f"q{i}") for i in range(10)]
    assert len({tuple(plan_ids(pool, seed, draw=3)) for seed in range(30)}) > 5


def fills_groups(chosen: list[QuestionSpec], draw: dict[str, int]) -> bool:
    """Brute force: some assignment gives each drawn question one slot of its tags."""
    slots = [tag for tag, count in draw.items() for _ in range(count)]
    return any(
        all(slot in spec.tags for slot, spec in zip(slots, perm, strict=True))
        for perm in itertools.permutations(chosen)
    )


def test_draw_by_tag_with_overlapping_tags_needs_matching() -> None:
    # Greedy "first a-question for a" would take both ab questions and leave b short.
    pool = [tf("ab1", "a", "b"), tf("ab2", "a", "b"), tf("a1", "a"), tf("b1", "b")]
    for seed in range(50):
        assert sorted(plan_ids(pool, seed, draw={"a": 2, "b": 2})) == ["a1", "ab1", "ab2", "b1"]


def test_draw_by_tag_picks_distinct_questions_filling_each_group() -> None:
    pool = [
        tf("h1", "history"),
        tf("h2", "history", "safety"),
        tf("h3", "history", "technique"),
        tf("s1", "safety"),
        tf("s2", "safety", "technique"),
        tf("t1", "technique"),
        tf("x1", "other"),
    ]
    by_id = {spec.id: spec for spec in pool}
    draw = {"history": 2, "safety": 1, "technique": 2}
    seen = set()
    for seed in range(60):
        ids = plan_ids(pool, seed, draw=draw)
        assert len(ids) == len(set(ids)) == 5
        assert "x1" not in ids
        assert fills_groups([by_id[i] for i in ids], draw)
        seen.add(tuple(ids))
    assert len(seen) > 1


def test_impossible_draw_fills_what_it_can() -> None:
    pool = [tf("ab", "a", "b"), tf("a", "a")]
    assert sorted(plan_ids(pool, 0, draw={"a": 1, "b": 2})) == ["a", "ab"]


def test_plan_is_deterministic_per_seed() -> None:
    pool = [*(single(f"s{i}") for i in range(5)), ordering("o", 4), matching("m")]
    values = {"shuffle_questions": True, "shuffle_choices": True, "draw": 5}
    first = rules.plan_attempt(pool, settings(**values), random.Random(42))
    again = rules.plan_attempt(pool, settings(**values), random.Random(42))
    assert first == again
    others = {
        tuple(rules.plan_attempt(pool, settings(**values), random.Random(seed)))
        for seed in range(10)
    }
    assert len(others) > 1


def test_shuffle_questions_changes_the_order_but_not_the_set() -> None:
    pool = [tf(f"q{i}") for i in range(6)]
    orders = {tuple(plan_ids(pool, seed, shuffle_questions=True)) for seed in range(20)}
    assert all(sorted(order) == sorted(spec.id for spec in pool) for order in orders)
    assert len(orders) > 1


def test_stored_settings_may_omit_keys() -> None:
    plan = rules.plan_attempt([single("s")], QuizSettings.from_dict({}), random.Random(0))
    assert plan == [PlannedQuestion("s", ("c0", "c1", "c2", "c3"))]


# --- option orders ---------------------------------------------------------------------------


def test_choices_keep_file_order_without_shuffle_choices() -> None:
    for seed in range(10):
        (planned,) = rules.plan_attempt([single("s")], settings(), random.Random(seed))
        assert planned.choice_order == ("c0", "c1", "c2", "c3")


def test_shuffle_choices_shuffles_choice_ids() -> None:
    orders = {
        rules.plan_attempt([single("s")], settings(shuffle_choices=True), random.Random(s))[
            0
        ].choice_order
        for s in range(20)
    }
    assert all(sorted(order) == ["c0", "c1", "c2", "c3"] for order in orders)
    assert len(orders) > 1


@pytest.mark.parametrize(
    "raw",
    [
        {"id": "t", "type": "true_false", "answer": False},
        {"id": "s", "type": "short", "answers": ["x"]},
        {"id": "n", "type": "numeric", "answers": [4]},
    ],
)
def test_types_without_options_have_an_empty_order(raw: dict[str, Any]) -> None:
    values = settings(shuffle_choices=True)
    assert rules.plan_attempt([question(raw)], values, random.Random(0))[0].choice_order == ()


class Draws:
    """A stand-in for ``random.Random`` whose ``randrange`` returns a chosen value."""

    def __init__(self, value: int) -> None:
        self.value = value
        self.stops: list[int] = []

    def randrange(self, stop: int) -> int:
        assert 0 <= self.value < stop
        self.stops.append(stop)
        return self.value


@pytest.mark.parametrize("size", [3, 4, 5, 6])
def test_ordering_draws_each_order_but_the_correct_one_from_exactly_one_value(size: int) -> None:
    """Exhaustive: the orders shown for every value ``randrange`` can return are all the
    orders but the correct one, each once. So with a uniform ``randrange`` (random.Random and
    SystemRandom draw exactly, without modulo bias) each allowed order has probability
    1 / (n! - 1)."""
    ids = [f"i{n}" for n in range(size)]
    total = math.factorial(size)
    shown = Counter()
    for value in range(total - 1):
        draws = Draws(value)
        shown[display_order(ids, draws)] += 1  # type: ignore[arg-type]
        assert draws.stops == [total - 1]  # one draw, over exactly the allowed orders
    assert set(shown) == set(itertools.permutations(ids)) - {tuple(ids)}
    assert set(shown.values()) == {1}


@pytest.mark.parametrize(("size", "plans"), [(3, 6_000), (4, 23_000)])
def test_ordering_orders_are_uniform_over_the_allowed_ones_with_a_seeded_rng(
    size: int, plans: int
) -> None:
    """Statistical, through plan_attempt with a real (seeded) RNG: never the correct order,
    and a chi-square test does not reject uniformity over the n! - 1 others (p > 0.001)."""
    spec = ordering("o", size)
    correct = tuple(item.id for item in spec.data.items)  # type: ignore[attr-defined]
    rng = random.Random(20261207)
    seen = Counter(
        rules.plan_attempt([spec], settings(), rng)[0].choice_order for _ in range(plans)
    )
    assert correct not in seen
    assert set(seen) == set(itertools.permutations(correct)) - {correct}
    expected = plans / len(seen)
    chi_square = sum((count - expected) ** 2 / expected for count in seen.values())
    # Critical values of the chi-square distribution at p = 0.001 for n! - 2 degrees of freedom.
    assert chi_square < {3: 18.467, 4: 48.268}[size]


def test_a_stored_two_item_ordering_shows_both_orders_equally_often() -> None:
    """Versions stored before the validator required three items: leaving out the correct
    order would always show them reversed, so both orders are equally likely instead."""
    assert display_order(["a", "b"], Draws(0)) == ("a", "b")  # type: ignore[arg-type]
    assert display_order(["a", "b"], Draws(1)) == ("b", "a")  # type: ignore[arg-type]
    rng = random.Random(7)
    seen = Counter(display_order(["a", "b"], rng) for _ in range(2_000))
    assert abs(seen[("a", "b")] - seen[("b", "a")]) < 200  # about 4.5 standard deviations


def test_matching_options_are_always_shuffled_over_answers_and_distractors() -> None:
    spec = matching("m")
    orders = {
        rules.plan_attempt([spec], settings(), random.Random(seed))[0].choice_order
        for seed in range(40)
    }
    assert all(sorted(order) == ["a", "b", "c", "d"] for order in orders)
    assert len(orders) > 5


def test_planned_question_round_trips_through_json() -> None:
    planned = PlannedQuestion("q", ("b", "a"))
    assert PlannedQuestion.from_dict(planned.to_dict()) == planned


# --- attempts, dates and deadlines ---------------------------------------------------------


@pytest.mark.parametrize(
    ("attempts", "extra", "expected"),
    [(None, 0, None), (None, 2, None), (1, 0, 1), (2, 3, 5)],
)
def test_attempts_allowed(attempts: int | None, extra: int, expected: int | None) -> None:
    assert rules.attempts_allowed(attempts, extra) == expected


def test_negative_extra_attempts_are_refused() -> None:
    with pytest.raises(ValueError, match="extra attempts"):
        rules.attempts_allowed(1, -1)


START = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("limit", "extra", "closes_at", "expected"),
    [
        (None, 0, None, None),
        (None, 15, None, None),
        (45, 0, None, START + timedelta(minutes=45)),
        (45, 15, None, START + timedelta(minutes=60)),
        (None, 0, START + timedelta(hours=2), START + timedelta(hours=2)),
        (45, 15, START + timedelta(minutes=50), START + timedelta(minutes=50)),
        (45, 15, START + timedelta(hours=2), START + timedelta(minutes=60)),
    ],
)
def test_deadline_is_the_earlier_of_time_limit_and_close_date(
    limit: int | None, extra: int, closes_at: datetime | None, expected: datetime | None
) -> None:
    assert rules.deadline(START, limit, extra, closes_at) == expected


def test_deadline_is_returned_in_utc() -> None:
    paris = timezone(timedelta(hours=2))
    ends = rules.deadline(datetime(2026, 6, 1, 11, 0, tzinfo=paris), 30, 0, None)
    assert ends == START + timedelta(minutes=30)
    assert ends is not None
    assert ends.tzinfo == UTC


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 6, 1, 9, 0)  # noqa: DTZ001
    with pytest.raises(ValueError, match="aware"):
        rules.deadline(naive, 10, 0, None)
    with pytest.raises(ValueError, match="aware"):
        rules.is_past_deadline(naive, START)


@pytest.mark.parametrize(
    ("offset", "past"),
    [
        (timedelta(0), False),
        (rules.GRACE - timedelta(seconds=1), False),
        (rules.GRACE, False),
        (rules.GRACE + timedelta(seconds=1), True),
    ],
)
def test_saves_are_accepted_until_deadline_plus_grace(offset: timedelta, past: bool) -> None:
    assert rules.is_past_deadline(START + offset, START) is past


def test_no_deadline_is_never_past() -> None:
    assert not rules.is_past_deadline(START + timedelta(days=999), None)


OPENS = datetime(2026, 6, 1, tzinfo=UTC)
CLOSES = datetime(2026, 6, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("now", "opens_at", "closes_at", "expected"),
    [
        (NOW, None, None, True),
        (OPENS - timedelta(seconds=1), OPENS, CLOSES, False),
        (OPENS, OPENS, CLOSES, True),
        (CLOSES - timedelta(seconds=1), OPENS, CLOSES, True),
        (CLOSES, OPENS, CLOSES, False),
        (CLOSES, OPENS, None, True),
        (OPENS - timedelta(days=1), None, CLOSES, True),
    ],
)
def test_is_open(
    now: datetime, opens_at: datetime | None, closes_at: datetime | None, expected: bool
) -> None:
    assert rules.is_open(now, opens_at, closes_at) is expected


# --- review ----------------------------------------------------------------------------------

NOTHING = ReviewScope(False, False, False, False)
SCORE = ReviewScope(True, False, False, False)
RESPONSES = ReviewScope(True, True, False, False)
ALL = ReviewScope(True, True, True, True)
PAST = NOW - timedelta(days=1)
FUTURE = NOW + timedelta(days=1)

#: (review, submitted, attempts submitted, attempts allowed, closes_at) -> scope, with no
#: attempt in progress
REVIEW_TABLE = [
    ("immediately", False, 1, 3, None, NOTHING),
    ("immediately", True, 1, 3, None, ALL),
    ("after_submit", False, 1, 1, PAST, NOTHING),
    ("after_submit", True, 1, 3, None, ALL),
    ("after_submit", True, 1, None, FUTURE, ALL),
    ("after_last_attempt", False, 3, 3, PAST, NOTHING),
    ("after_last_attempt", True, 1, 3, None, RESPONSES),
    ("after_last_attempt", True, 1, None, None, RESPONSES),
    ("after_last_attempt", True, 5, None, FUTURE, RESPONSES),
    ("after_last_attempt", True, 3, 3, None, ALL),
    ("after_last_attempt", True, 4, 3, None, ALL),
    ("after_last_attempt", True, 1, 3, PAST, ALL),
    ("after_last_attempt", True, 1, 3, NOW, ALL),
    ("after_close", False, 1, 1, PAST, NOTHING),
    ("after_close", True, 1, 1, FUTURE, RESPONSES),
    ("after_close", True, 1, 1, None, RESPONSES),
    ("after_close", True, 1, 1, PAST, ALL),
    ("after_close", True, 1, 1, NOW, ALL),
    ("never", False, 1, 1, PAST, NOTHING),
    ("never", True, 1, 1, PAST, SCORE),
    ("never", True, 1, None, None, SCORE),
    ("unknown-mode", True, 1, 1, PAST, SCORE),
]


def scope_of(
    review: str,
    submitted: bool,
    attempts_submitted: int,
    allowed: int | None,
    closes_at: datetime | None,
    *,
    in_progress: bool = False,
) -> ReviewScope:
    return rules.review_scope(
        review,
        submitted=submitted,
        attempts_submitted=attempts_submitted,
        attempt_in_progress=in_progress,
        attempts_allowed=allowed,
        closes_at=closes_at,
        now=NOW,
    )


@pytest.mark.parametrize(
    ("review", "submitted", "used", "allowed", "closes_at", "expected"), REVIEW_TABLE
)
def test_review_scope(
    review: str,
    submitted: bool,
    used: int,
    allowed: int | None,
    closes_at: datetime | None,
    expected: ReviewScope,
) -> None:
    assert scope_of(review, submitted, used, allowed, closes_at) == expected


@pytest.mark.parametrize(
    ("review", "submitted", "used", "allowed", "closes_at", "expected"), REVIEW_TABLE
)
def test_an_attempt_in_progress_never_lets_a_review_show_the_key(
    review: str,
    submitted: bool,
    used: int,
    allowed: int | None,
    closes_at: datetime | None,
    expected: ReviewScope,
) -> None:
    """Attempts used up or the quiz closed, a reopened or new attempt still hides the key:
    only the modes that show each attempt's key on submit keep showing it."""
    scope = scope_of(review, submitted, used, allowed, closes_at, in_progress=True)
    if review in ("immediately", "after_submit"):
        assert scope == expected
    else:
        assert not scope.show_correct
        assert not scope.show_feedback
        assert scope.show_score == expected.show_score
        assert scope.show_responses == expected.show_responses


def test_review_table_covers_every_mode_before_and_after_submitting() -> None:
    covered = {(row[0], row[1]) for row in REVIEW_TABLE}
    assert covered >= set(itertools.product(rules.REVIEW_MODES, [False, True]))


@pytest.mark.parametrize(
    ("review", "locked", "allowed"),
    [
        ("immediately", True, True),
        ("immediately", False, False),
        *((mode, locked, False) for mode in rules.REVIEW_MODES[1:] for locked in (True, False)),
    ],
)
def test_question_feedback_during_an_attempt_only_when_immediately_and_locked(
    review: str, locked: bool, allowed: bool
) -> None:
    assert rules.question_feedback_allowed(review, locked) is allowed


# --- scores ----------------------------------------------------------------------------------

ATTEMPTS = [(2, Decimal("90.00")), (1, Decimal("40.00")), (3, Decimal("65.50"))]


@pytest.mark.parametrize(
    ("method", "expected"),
    [("highest", Decimal("90.00")), ("latest", Decimal("65.50")), ("first", Decimal("40.00"))],
)
def test_combine(method: str, expected: Decimal) -> None:
    assert rules.combine(ATTEMPTS, method) == expected


@pytest.mark.parametrize("method", rules.GRADING_METHODS)
def test_combine_without_graded_attempts_is_none(method: str) -> None:
    assert rules.combine([], method) is None


def test_combine_refuses_unknown_methods() -> None:
    with pytest.raises(ValueError, match="grading method"):
        rules.combine(ATTEMPTS, "average")


@pytest.mark.parametrize(
    ("points", "max_points", "expected"),
    [
        ("0", "0", "0.00"),
        ("0", "3", "0.00"),
        ("2", "3", "66.67"),
        ("1", "3", "33.33"),
        ("3", "3", "100.00"),
        ("0.33", "1", "33.00"),
        ("1", "8", "12.50"),
        ("0.01", "200", "0.00"),  # 0.005 rounds half to even
        ("0.03", "200", "0.02"),  # 0.015 rounds half to even
    ],
)
def test_percent(points: str, max_points: str, expected: str) -> None:
    result = rules.percent(Decimal(points), Decimal(max_points))
    assert result == Decimal(expected)
    assert str(result) == expected
