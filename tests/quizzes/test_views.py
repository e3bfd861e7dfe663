"""What students see of a question: no answer key while answering, all of it at review.

Real specs come from the fixture quiz (one question of each type) and the NMT course.
"""

from __future__ import annotations

import functools
import json
import random
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learnapp.content import load_course
from learnapp.content.specs import QuizSettings
from learnapp.quizzes import rules
from learnapp.quizzes.questions import QUESTION_TYPES, Grade, QuestionSpec, best_answer, grade
from learnapp.quizzes.questions.matching import MatchingData
from learnapp.quizzes.questions.numeric import NumericData
from learnapp.quizzes.questions.ordering import OrderingData
from learnapp.quizzes.questions.single import ChoiceData
from learnapp.quizzes.rules import ReviewScope

COURSES = ("tests/data/courses/basics", "courses/nmt")
SHUFFLED = QuizSettings(shuffle_choices=True)


@functools.cache
def all_specs() -> tuple[QuestionSpec, ...]:
    specs: list[QuestionSpec] = []
    for path in COURSES:
        course = load_course(path).course
        assert course is not None, path
        specs.extend(q for quiz in course.quizzes() for q in quiz.questions)
    return tuple(specs)


def spec_ids() -> list[str]:
    return [spec.id for spec in all_specs()]


def spec_by_id(qid: str) -> QuestionSpec:
    return next(spec for spec in all_specs() if spec.id == qid)


def planned_order(spec: QuestionSpec, seed: int) -> tuple[str, ...]:
    return rules.plan_attempt([spec], SHUFFLED, random.Random(seed))[0].choice_order


@pytest.mark.parametrize("path", COURSES)
def test_fixtures_cover_every_question_type(path: str) -> None:
    course = load_course(path).course
    assert course is not None
    # Types a person grades have their own fixtures (tests/quizzes/test_essay.py and the
    # grading tests): every test here answers and grades questions automatically.
    automatic = {name for name, kind in QUESTION_TYPES.items() if not kind.is_manual}
    assert {q.type for quiz in course.quizzes() for q in quiz.questions} == automatic


# --- no answer key while answering ---------------------------------------------------------

#: Exactly what a student may see while answering, per type.
VIEW_KEYS = {
    "single": {"id", "type", "points", "prompt_html", "choices"},
    "multiple": {"id", "type", "points", "prompt_html", "choices"},
    "true_false": {"id", "type", "points", "prompt_html"},
    "short": {"id", "type", "points", "prompt_html"},
    "numeric": {"id", "type", "points", "prompt_html"},
    "matching": {"id", "type", "points", "prompt_html", "prompts", "options"},
    "ordering": {"id", "type", "points", "prompt_html", "items"},
}
OPTION_KEYS = {"choices": {"id", "html"}, "options": {"id", "html"}, "items": {"id", "html"}}
TOKEN = re.compile(r"o[1-9][0-9]*")


def strings_in(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def key_material(spec: QuestionSpec) -> set[str]:
    """Every string of the spec's answer key, explanation and lesson link (HTML and text)."""
    stored = spec.to_dict()
    data = stored["data"]
    secret: list[object] = [stored["explanation_html"], stored["lesson"]]
    if spec.type in ("single", "multiple"):
        secret += [(c["weight"], c["feedback_html"]) for c in data["choices"]]
    elif spec.type == "true_false":
        secret += [data["feedback_true_html"], data["feedback_false_html"]]
    elif spec.type in ("short", "numeric"):
        secret += [data["answers"], data.get("pattern")]
    elif spec.type == "matching":
        secret += [data["key"]]
    found: set[str] = set()
    for value in secret:
        if isinstance(value, str):
            found.add(value)
        elif isinstance(value, tuple | list | dict):
            found.update(strings_in(list(value) if isinstance(value, tuple) else value))
    texts = {re.sub(r"<[^>]+>", "", s).strip() for s in found}
    return {s.casefold() for s in found | texts}


def shown_material(spec: QuestionSpec) -> str:
    """What the view legitimately shows: prompt, choice/option/item texts, id and type."""
    data = spec.to_dict()["data"]
    parts = [spec.id, spec.type, spec.prompt_html]
    parts += [c["text_html"] for c in data.get("choices", [])]
    parts += [o["text_html"] for o in data.get("options", [])]
    parts += list(data.get("prompts_html", []))
    parts += [i["text_html"] for i in data.get("items", [])]
    return "\n".join(parts).casefold()


def distinguishing(spec: QuestionSpec) -> set[str]:
    """Key strings that could only come from the key: long enough and not shown anyway."""
    shown = shown_material(spec)
    return {s for s in key_material(spec) if len(s) >= 3 and s not in shown}


@pytest.mark.parametrize("qid", spec_ids())
def test_view_contains_no_answer_key(qid: str) -> None:
    spec = spec_by_id(qid)
    secrets = distinguishing(spec)
    for seed in range(5):
        view = rules.view_question(spec, planned_order(spec, seed))
        text = json.dumps(view, ensure_ascii=False).casefold()
        leaked = sorted(s for s in secrets if s in text)
        assert not leaked, f"{qid} view shows {leaked}"


@pytest.mark.parametrize(
    ("qid", "expected"),
    [
        (
            "q-single",
            {"yes.", "no.", "everything has an id.", "<p>everything has an id.</p>\n"},
        ),
        ("q-single", {"basics-second#key-ideas"}),
        ("q-short", {"introduction", "intro", "close; the full title is introduction."}),
        ("q-true-false", {"right, ids are permanent."}),
    ],
)
def test_leak_check_looks_for_feedback_answers_and_explanations(
    qid: str, expected: set[str]
) -> None:
    # Guards against a vacuous leak test.
    assert expected <= distinguishing(spec_by_id(qid))


@pytest.mark.parametrize("qid", spec_ids())
def test_view_shows_only_the_allowed_fields(qid: str) -> None:
    spec = spec_by_id(qid)
    view = rules.view_question(spec, planned_order(spec, 0))
    assert set(view) == VIEW_KEYS[spec.type]
    for key, allowed in OPTION_KEYS.items():
        for option in view.get(key, []):
            assert set(option) == allowed
    for prompt in view.get("prompts", []):
        assert set(prompt) == {"index", "html"}
    assert not any(isinstance(v, bool) for v in _leaves(view)), "no flags at all"


def _leaves(value: object) -> Iterator[object]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


@pytest.mark.parametrize("qid", spec_ids())
def test_view_option_ids_are_tokens_in_display_order(qid: str) -> None:
    # Real ids would leak the key: ordering items and matching answers default to a, b, c in
    # key order. Tokens number the options as shown, so they carry nothing.
    spec = spec_by_id(qid)
    order = planned_order(spec, 3)
    view = rules.view_question(spec, order)
    options = view.get("choices") or view.get("options") or view.get("items") or []
    assert [o["id"] for o in options] == [f"o{i + 1}" for i in range(len(order))]
    assert all(TOKEN.fullmatch(o["id"]) for o in options)


@pytest.mark.parametrize("qid", [q for q in spec_ids() if spec_by_id(q).type == "ordering"])
def test_ordering_view_never_shows_the_correct_order(qid: str) -> None:
    spec = spec_by_id(qid)
    assert isinstance(spec.data, OrderingData)
    correct = [item.text_html for item in spec.data.items]
    for seed in range(50):
        view = rules.view_question(spec, planned_order(spec, seed))
        assert [item["html"] for item in view["items"]] != correct


@pytest.mark.parametrize("qid", ["q-single", "q-matching", "q-ordering"])
def test_view_refuses_an_order_that_does_not_fit(qid: str) -> None:
    spec = spec_by_id(qid)
    order = planned_order(spec, 0)
    for wrong in (order[:-1], (*order, "zz"), (*order[:-1], order[0]), ()):
        with pytest.raises(ValueError, match="planned order"):
            rules.view_question(spec, wrong)


# --- answers through the view's tokens -------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(), index=st.integers(min_value=0))
def test_correct_answer_through_any_order_gets_full_marks(seed: int, index: int) -> None:
    specs = all_specs()
    spec = specs[index % len(specs)]
    order = planned_order(spec, seed)
    posted = rules.answer_to_view(spec, order, best_answer(spec))
    answer = rules.answer_from_view(spec, order, json.loads(json.dumps(posted)))
    result = grade(spec, answer)
    assert result.points == result.max_points == Decimal(spec.points)


def student_answer(spec: QuestionSpec, picks: list[int]) -> object:
    """A student's answer named by what they clicked (option texts), independent of order."""
    data = spec.data
    if isinstance(data, ChoiceData):
        texts = [c.text_html for c in data.choices]
        chosen = [texts[p % len(texts)] for p in picks]
        return chosen[0] if spec.type == "single" and chosen else sorted(set(chosen))
    if isinstance(data, MatchingData):
        texts = [o.text_html for o in data.options]
        return {str(i): texts[p % len(texts)] for i, p in enumerate(picks[: len(data.key)])}
    if isinstance(data, OrderingData):
        texts = [item.text_html for item in data.items]
        rng = random.Random(sum(picks))
        rng.shuffle(texts)
        return texts
    return None


def in_tokens(view: dict[str, Any], by_text: object) -> object:
    """Translate an answer given as option texts into the tokens of this view."""
    options = view.get("choices") or view.get("options") or view.get("items") or []
    token = {o["html"]: o["id"] for o in options}
    if isinstance(by_text, str):
        return token[by_text]
    if isinstance(by_text, list):
        return [token[text] for text in by_text]
    if isinstance(by_text, dict):
        return {index: token[text] for index, text in by_text.items()}
    return None


OPTION_TYPES = ("single", "multiple", "matching", "ordering")


@settings(max_examples=80, deadline=None)
@given(
    seeds=st.tuples(st.integers(), st.integers()),
    index=st.integers(min_value=0),
    picks=st.lists(st.integers(min_value=0, max_value=20), min_size=1, max_size=6),
)
def test_choice_order_never_changes_a_grade(
    seeds: tuple[int, int], index: int, picks: list[int]
) -> None:
    specs = [spec for spec in all_specs() if spec.type in OPTION_TYPES]
    spec = specs[index % len(specs)]
    clicked = student_answer(spec, picks)
    grades = []
    for seed in seeds:
        order = planned_order(spec, seed)
        posted = in_tokens(rules.view_question(spec, order), clicked)
        grades.append(grade(spec, rules.answer_from_view(spec, order, posted)))
    assert grades[0] == grades[1]


@pytest.mark.parametrize(
    ("qid", "posted"),
    [
        ("q-single", "a"),
        ("q-single", ["o1"]),
        ("q-multiple", ["o1", "zz"]),
        ("q-multiple", "o1"),
        ("q-matching", {"0": "a"}),
        ("q-matching", ["o1"]),
        ("q-ordering", ["a", "b", "c"]),
        ("q-ordering", {"0": "o1"}),
    ],
)
def test_unknown_tokens_grade_zero(qid: str, posted: object) -> None:
    spec = spec_by_id(qid)
    answer = rules.answer_from_view(spec, planned_order(spec, 0), posted)
    assert answer is None
    assert grade(spec, answer).points == 0


def test_blank_matching_prompts_are_dropped() -> None:
    spec = spec_by_id("q-matching")
    order = planned_order(spec, 0)
    view = rules.view_question(spec, order)
    token = next(o["id"] for o in view["options"] if o["html"] == "What you will learn")
    answer = rules.answer_from_view(spec, order, {"0": token, "1": ""})
    assert answer == {"0": "a"}
    assert grade(spec, answer).points == Decimal("0.50")


@pytest.mark.parametrize("qid", ["q-true-false", "q-short", "q-numeric"])
def test_answers_without_options_pass_through(qid: str) -> None:
    spec = spec_by_id(qid)
    for value in (True, "Introduction", "4", None):
        assert rules.answer_from_view(spec, (), value) == value
        assert rules.answer_to_view(spec, (), value) == value


# --- review ----------------------------------------------------------------------------------

ALL = ReviewScope(True, True, True, True)
RESPONSES = ReviewScope(True, True, False, False)


def review_of(qid: str, answer: object, scope: ReviewScope = ALL) -> dict[str, Any]:
    spec = spec_by_id(qid)
    order = planned_order(spec, 0)
    return rules.review_question(spec, order, answer, grade(spec, answer), scope)


def test_review_of_single_choice() -> None:
    review = review_of("q-single", "b")
    colour, ident = sorted(review["choices"], key=lambda c: c["html"])
    assert colour == {
        "id": colour["id"],
        "html": "A colour",
        "picked": True,
        "correct": False,
        "feedback_html": "No.",
    }
    assert ident["picked"] is False
    assert ident["correct"] is True
    assert ident["feedback_html"] == ""  # feedback is for students who picked it
    assert review["status"] == "wrong"
    assert review["score"] == "0.00"
    assert review["feedback"] == ["No."]
    assert review["explanation_html"] == "<p>Everything has an id.</p>\n"
    assert review["lesson"] == "basics-second#key-ideas"


def test_review_of_multiple_choice_with_partial_credit() -> None:
    review = review_of("q-multiple", ["a"])
    picked = {c["html"]: (c["picked"], c["correct"]) for c in review["choices"]}
    assert picked == {
        "Introduction": (True, True),
        "Second lesson": (False, True),
        "Cooking": (False, False),
    }
    assert (review["score"], review["max_points"], review["status"]) == ("1.00", "2", "partial")


def test_review_of_true_false() -> None:
    review = review_of("q-true-false", False)
    assert (review["answer"], review["correct_answer"], review["status"]) == (False, False, "right")
    assert review["feedback"] == ["Right, ids are permanent."]


def test_review_of_short_answer_lists_accepted_answers() -> None:
    review = review_of("q-short", "intro")
    assert review["answer"] == "intro"
    assert review["accepted"] == ["introduction", "intro (50%)"]
    assert review["pattern"] is None
    assert review["feedback"] == ["Close; the full title is Introduction."]
    assert review["status"] == "partial"


def test_review_of_numeric_lists_values_and_ranges() -> None:
    review = review_of("q-numeric", "3.5")
    assert review["accepted"] == ["4", "3 to 5 (50%)"]
    assert (review["answer"], review["score"]) == ("3.5", "0.50")


def test_numeric_review_shows_tolerances() -> None:
    tolerant = next(
        spec
        for spec in all_specs()
        if isinstance(spec.data, NumericData) and any(a.tolerance for a in spec.data.answers)
    )
    review = rules.review_question(tolerant, (), None, grade(tolerant, None), ALL)
    assert any(" ± " in text for text in review["accepted"])


def test_review_of_matching_shows_picked_and_correct_answers() -> None:
    review = review_of("q-matching", {"0": "a", "1": "c"})
    first, second = review["prompts"]
    assert (first["picked_html"], first["correct_html"], first["right"]) == (
        "What you will learn",
        "What you will learn",
        True,
    )
    assert (second["picked_html"], second["correct_html"], second["right"]) == (
        "Cooking",
        "Ordering things",
        False,
    )
    tokens = {o["id"] for o in review["options"]}
    assert {first["picked"], first["correct"], second["picked"], second["correct"]} <= tokens


def test_review_of_ordering_shows_the_correct_order() -> None:
    review = review_of("q-ordering", ["a", "c", "b"])
    assert [i["html"] for i in review["correct_order"]] == ["Plan", "Write", "Review"]
    assert [(i["html"], i["right"]) for i in review["answer"]] == [
        ("Plan", True),
        ("Review", False),
        ("Write", False),
    ]
    assert review["score"] == "0.33"


@pytest.mark.parametrize("qid", spec_ids())
def test_review_without_correct_or_feedback_shows_no_key(qid: str) -> None:
    # after_last_attempt with attempts left: score and own responses, nothing else.
    spec = spec_by_id(qid)
    order = planned_order(spec, 1)
    answer = best_answer(spec)
    review = rules.review_question(spec, order, answer, grade(spec, answer), RESPONSES)
    text = json.dumps(review, ensure_ascii=False).casefold()
    given = answer.casefold() if isinstance(answer, str) else ""
    # The student's own answer is shown, and other accepted answers may be part of it.
    leaked = sorted(s for s in distinguishing(spec) if s in text and s not in given)
    assert not leaked, f"{qid} review shows {leaked}"
    forbidden = {
        "correct",
        "correct_answer",
        "correct_html",
        "correct_order",
        "accepted",
        "pattern",
        "score",
        "status",
        "right",
        "feedback",
        "feedback_html",
        "explanation_html",
        "lesson",
    }
    assert not forbidden & set(_keys(review))


def _keys(value: object) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


@pytest.mark.parametrize("qid", spec_ids())
def test_full_review_is_json_and_carries_the_grade(qid: str) -> None:
    spec = spec_by_id(qid)
    answer = best_answer(spec)
    result: Grade = grade(spec, answer)
    review = json.loads(json.dumps(review_of(qid, answer)))
    assert review["status"] == "right"
    assert Decimal(review["score"]) == result.points == Decimal(review["max_points"])
    assert review["explanation_html"] == spec.explanation_html
