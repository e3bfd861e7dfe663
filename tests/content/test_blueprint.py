"""The blueprint draw analysis against brute force on small random pools.

``Pool`` finds the worst draw with the matroid greedy and Dinkelbach's method instead of
enumerating draws (see ``learnapp/content/blueprint.py``); here every draw is enumerated and the
two must agree. A last test checks that the draws the analysis considers are exactly those the
drawing code (``learnapp.quizzes.rules``) can make.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from learnapp.content.blueprint import Pool, ShareRule, worst_draws
from learnapp.quizzes import rules

TAGS = ("a", "b", "c")


@dataclass(frozen=True)
class Question:
    """The two attributes of a QuestionSpec the drawing code reads."""

    id: str
    tags: tuple[str, ...]


def draws(pool: Pool) -> list[tuple[int, ...]]:
    """Every possible draw, by brute force: sets of questions that fill every slot."""
    slots = [group for group, (_, count) in enumerate(pool.groups) for _ in range(count)]
    found = []
    for chosen in itertools.combinations(range(len(pool.points)), len(slots)):
        if any(
            all(pool.fits(q, g) for q, g in zip(order, slots, strict=True))
            for order in itertools.permutations(chosen)
        ):
            found.append(chosen)
    return found


@st.composite
def pools(draw: st.DrawFn, kinds: Sequence[str] = ("all", "count", "tags"), most: int = 7) -> Pool:
    n = draw(st.integers(1, most))
    points = draw(st.lists(st.integers(1, 4), min_size=n, max_size=n))
    tags = draw(
        st.lists(st.lists(st.sampled_from(TAGS), unique=True, max_size=3), min_size=n, max_size=n)
    )
    kind = draw(st.sampled_from(kinds))
    spec: int | dict[str, int] | None = None
    if kind == "count":
        spec = draw(st.integers(1, n))
    elif kind == "tags":
        chosen = draw(st.lists(st.sampled_from(TAGS), unique=True, min_size=1, max_size=3))
        spec = {tag: draw(st.integers(1, 2)) for tag in chosen}
    return Pool.of(points, tags, spec)


def share(pool: Pool, chosen: Sequence[int], counted: Sequence[bool]) -> Fraction:
    return Fraction(
        sum(pool.points[q] for q in chosen if counted[q]), sum(pool.points[q] for q in chosen)
    )


@settings(max_examples=300, deadline=None)
@given(pools(), st.data())
def test_best_draw_has_the_largest_weight_of_all_draws(pool: Pool, data: st.DataObject) -> None:
    every = draws(pool)
    assume(every)
    weights = [
        Fraction(data.draw(st.integers(-20, 20)), data.draw(st.integers(1, 5))) for _ in pool.points
    ]
    best = pool.best_draw(weights)
    assert best in every
    assert sum(weights[q] for q in best) == max(sum(weights[q] for q in d) for d in every)


@settings(max_examples=300, deadline=None)
@given(pools(), st.sampled_from(TAGS), st.integers(0, 100))
def test_highest_share_agrees_with_enumeration(pool: Pool, tag: str, percent: int) -> None:
    every = draws(pool)
    assume(every)
    counted = [tag in tags for tags in pool.tags]
    limit = Fraction(percent, 100)
    highest = max(share(pool, d, counted) for d in every)
    found = pool.highest_share(counted, limit)
    if highest <= limit:
        assert found is None
    else:
        assert found is not None
        value, chosen = found
        assert value == highest
        assert chosen in every
        assert share(pool, chosen, counted) == highest


@settings(max_examples=300, deadline=None)
@given(pools(), st.sampled_from(TAGS), st.integers(0, 100), st.integers(0, 100))
def test_worst_draws_break_exactly_the_bounds_some_draw_breaks(
    pool: Pool, tag: str, low: int, high: int
) -> None:
    every = draws(pool)
    assume(every)
    low, high = min(low, high), max(low, high)
    rule = ShareRule(tag, Decimal(low), Decimal(high), 1)
    counted = [tag in tags for tags in pool.tags]
    shares = [share(pool, d, counted) for d in every]
    expected = set()
    if max(shares) > Fraction(high, 100):
        expected.add(("max", max(shares)))
    if min(shares) < Fraction(low, 100):
        expected.add(("min", min(shares)))
    breaches = worst_draws(pool, [rule])
    assert {(b.bound, b.share) for b in breaches} == expected
    for breach in breaches:
        assert breach.draw in every
        assert share(pool, breach.draw, counted) == breach.share


class _Order:
    """An rng whose ``shuffle`` puts the candidates in a given order."""

    def __init__(self, order: Sequence[int]) -> None:
        self.order = order

    def shuffle(self, items: list[int]) -> None:
        items[:] = [items[i] for i in self.order]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(pools(kinds=["tags"], most=6))
def test_the_possible_draws_are_the_ones_the_drawing_code_makes(pool: Pool) -> None:
    # For draw: {tag: count} the drawing code tries the candidates in a random order; over
    # every order it must draw each set the analysis considers, and nothing else. (draw: N
    # uses random.sample, which draws every N-subset; without draw there is one attempt.)
    every = draws(pool)
    assume(every)
    questions = [Question(f"q{n}", tuple(tags)) for n, tags in enumerate(pool.tags)]
    spec = {str(tag): count for tag, count in pool.groups}
    made = {
        tuple(sorted(rules._draw_by_tag(questions, spec, _Order(order))))  # type: ignore[arg-type]
        for order in itertools.permutations(range(len(questions)))
    }
    assert made == set(every)


def test_a_pool_without_draw_has_one_attempt() -> None:
    pool = Pool.of([1, 2, 3], [["a"], [], ["a", "b"]], None)
    assert pool.single_attempt
    assert draws(pool) == [(0, 1, 2)]
    assert pool.highest_share([True, False, True], Fraction(1, 2)) == (Fraction(4, 6), (0, 1, 2))


def test_overlapping_tags_defeat_picking_per_group_but_not_the_greedy() -> None:
    # Groups a: 1, b: 1. Per group, the heaviest "a" question and the heaviest "b" question
    # is q0 both times, which is not a draw; the greedy finds q0 + q2 (q0 fills the a slot).
    pool = Pool.of([5, 1, 3], [["a", "b"], ["a"], ["b"]], {"a": 1, "b": 1})
    weights = [Fraction(5), Fraction(1), Fraction(3)]
    assert pool.best_draw(weights) == (0, 2)
    assert max(draws(pool), key=lambda d: sum(weights[q] for q in d)) == (0, 2)
