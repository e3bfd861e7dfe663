"""Grading properties: points stay within [0, max], choice order never matters, garbage is 0."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from learnapp.content.errors import CourseFileError, Location
from learnapp.quizzes.questions import QUESTION_TYPES, QuestionSpec, grade

json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        st.text(max_size=10),
        st.sampled_from(["a", "b", "c", "0", "NaN", "1e9999", "-0"]),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(
            st.one_of(st.text(max_size=3), st.sampled_from(["0", "1", "2"])), children, max_size=4
        ),
    ),
    max_leaves=15,
)


@st.composite
def choice_lists(draw: st.DrawFn, kind: str) -> list[dict[str, Any]]:
    """Valid-looking choices: single has one correct choice, multiple at least one."""
    size = draw(st.integers(min_value=2, max_value=6))
    right = draw(st.integers(min_value=0, max_value=size - 1))
    choices = []
    for index in range(size):
        correct = index == right or (kind == "multiple" and draw(st.booleans()))
        entry: dict[str, Any] = {"text": f"choice {index}", "correct": correct}
        if draw(st.booleans()):
            if kind == "single":
                low, high = (100, 100) if correct else (-100, 99)
            else:
                low, high = (1, 100) if correct else (-100, 0)
            entry["weight"] = draw(st.integers(min_value=low, max_value=high))
        choices.append(entry)
    return choices


def build(raw: dict[str, Any]) -> QuestionSpec | None:
    try:
        return QUESTION_TYPES[raw["type"]].parse(raw, Location("q.md", 1))
    except CourseFileError:
        return None


def choice_question(kind: str, choices: list[dict[str, Any]], points: int) -> dict[str, Any]:
    with_ids = [{**c, "id": f"c{i}"} for i, c in enumerate(choices)]
    return {"id": "q", "type": kind, "prompt": "P", "points": points, "choices": with_ids}


@settings(max_examples=300, deadline=None)
@given(
    kind_choices=st.sampled_from(["single", "multiple"]).flatmap(
        lambda kind: st.tuples(st.just(kind), choice_lists(kind))
    ),
    points=st.integers(min_value=1, max_value=7),
    picks=st.lists(st.integers(min_value=0, max_value=5), max_size=6),
    seed=st.integers(),
)
def test_choice_grades_are_bounded_and_order_free(
    kind_choices: tuple[str, list[dict[str, Any]]], points: int, picks: list[int], seed: int
) -> None:
    kind, choices = kind_choices
    raw = choice_question(kind, choices, points)
    spec = build(raw)
    assume(spec is not None)
    assert spec is not None
    ids = [f"c{i}" for i in picks if i < len(choices)]
    answer: object = ids if kind == "multiple" else (ids[0] if ids else "")
    result = grade(spec, answer)
    assert Decimal(0) <= result.points <= result.max_points == Decimal(points)
    shuffled_raw = dict(raw, choices=random.Random(seed).sample(raw["choices"], len(choices)))
    shuffled = build(shuffled_raw)
    assert shuffled is not None
    assert grade(shuffled, answer).points == result.points
    if kind == "multiple":
        reordered = random.Random(seed).sample(ids, len(ids))
        assert grade(spec, reordered).points == result.points


@settings(max_examples=100, deadline=None)
@given(count=st.integers(min_value=1, max_value=8), wrong=st.integers(min_value=1, max_value=8))
def test_ticking_everything_scores_zero(count: int, wrong: int) -> None:
    choices = [{"text": f"r{i}", "correct": True} for i in range(count)]
    choices += [{"text": f"w{i}"} for i in range(wrong)]
    spec = build(choice_question("multiple", choices, 1))
    assert spec is not None
    everything = [f"c{i}" for i in range(count + wrong)]
    assert grade(spec, everything).points == 0
    assert grade(spec, everything[:count]).points == 1


SPECS = {
    "single": {"choices": [{"text": "A", "correct": True}, {"text": "B"}]},
    "multiple": {"choices": [{"text": "A", "correct": True}, {"text": "B"}]},
    "true_false": {"answer": True},
    "short": {"answers": ["yes"]},
    "numeric": {"answers": [{"value": 2}]},
    "matching": {"pairs": [{"prompt": "x", "answer": "X"}, {"prompt": "y", "answer": "Y"}]},
    "ordering": {"items": ["one", "two", "three"]},
}


@settings(max_examples=500, deadline=None)
@given(kind=st.sampled_from(sorted(SPECS)), answer=json_values)
def test_any_json_answer_is_graded_without_raising(kind: str, answer: object) -> None:
    spec = build({"id": "q", "type": kind, "prompt": "P", "points": 3, **SPECS[kind]})
    assert spec is not None
    result = grade(spec, answer)
    assert Decimal(0) <= result.points <= result.max_points == 3


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(sorted(SPECS)),
    answer=st.one_of(st.none(), st.integers(), st.floats(), st.lists(st.integers(), min_size=1)),
)
def test_wrongly_shaped_answers_score_zero(kind: str, answer: object) -> None:
    spec = build({"id": "q", "type": kind, "prompt": "P", "points": 3, **SPECS[kind]})
    assert spec is not None
    assert grade(spec, answer).points == 0


@settings(max_examples=200, deadline=None)
@given(
    weights=st.lists(st.integers(min_value=0, max_value=100), min_size=1, max_size=5),
    given_=st.text(max_size=6),
)
def test_short_answer_points_are_bounded(weights: list[int], given_: str) -> None:
    answers = [{"text": f"a{i}", "weight": w} for i, w in enumerate(weights)] + ["a"]
    spec = build({"id": "q", "type": "short", "prompt": "P", "points": 2, "answers": answers})
    assert spec is not None
    assert Decimal(0) <= grade(spec, given_).points <= 2
