"""The question-type registry: each type owns its partial, form reading, best answer and GIFT.

No Flask: the partials are compiled by a bare Jinja environment, forms are Werkzeug MultiDicts.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from learnapp.quizzes.questions import QUESTION_TYPES, QuestionSpec, best_answer, grade
from tests.quizzes.test_views import all_specs

TEMPLATES = Path(__file__).parents[2] / "learnapp" / "quizzes" / "templates"


def _one_spec_per_type() -> list[QuestionSpec]:
    seen: dict[str, QuestionSpec] = {}
    for spec in all_specs():
        seen.setdefault(spec.type, spec)
    return list(seen.values())


@pytest.mark.parametrize("name", sorted(QUESTION_TYPES))
def test_every_type_has_a_partial_with_controls_and_review(app, name: str) -> None:
    # The app's environment: the partials use its filters and translation functions.
    module = app.jinja_env.get_template(QUESTION_TYPES[name].partial).module
    assert callable(module.controls)
    assert callable(module.review)


@pytest.mark.parametrize("spec", _one_spec_per_type(), ids=lambda spec: spec.type)
def test_best_answer_posted_through_the_form_scores_full_marks(spec: QuestionSpec) -> None:
    kind = QUESTION_TYPES[spec.type]
    order = kind.option_order(spec, True, random.Random(3))
    view = kind.view(spec, order)
    shown = kind.answer_to_view(spec, order, best_answer(spec))
    form = MultiDict()
    for key, value in kind.form_fields("q_1", shown).items():
        for item in value if isinstance(value, list) else [value]:
            form.add(key, item)
    present, value = kind.read_form(view, "q_1", form)
    assert present
    answer = kind.answer_from_view(spec, order, value)
    assert grade(spec, answer).is_correct


@pytest.mark.parametrize("spec", _one_spec_per_type(), ids=lambda spec: spec.type)
def test_a_form_without_the_question_is_not_an_answer(spec: QuestionSpec) -> None:
    kind = QUESTION_TYPES[spec.type]
    order = kind.option_order(spec, False, random.Random(1))
    assert kind.read_form(kind.view(spec, order), "q_1", MultiDict()) == (False, None)


@pytest.mark.parametrize("spec", _one_spec_per_type(), ids=lambda spec: spec.type)
def test_review_is_the_view_plus_the_shared_fields(spec: QuestionSpec) -> None:
    kind = QUESTION_TYPES[spec.type]
    order = kind.option_order(spec, False, random.Random(1))
    answer = best_answer(spec)
    shown = kind.review(spec, order, answer, grade(spec, answer))
    assert set(kind.view(spec, order)) <= set(shown)
    assert shown["status"] == "right"
    assert {"score", "max_points", "feedback", "explanation_html", "lesson"} <= set(shown)
    hidden = kind.review(
        spec,
        order,
        answer,
        grade(spec, answer),
        show_responses=False,
        show_correct=False,
        show_feedback=False,
    )
    assert not {"score", "status", "feedback", "explanation_html"} & set(hidden)


def test_gift_ranks_are_distinct() -> None:
    ranks = [kind.gift_rank for kind in QUESTION_TYPES.values() if kind.gift_rank is not None]
    assert len(ranks) == len(set(ranks))


@pytest.mark.parametrize("name", sorted(QUESTION_TYPES))
def test_analysis_category_is_known(name: str) -> None:
    from learnapp.quizzes.questions.base import ANALYSIS_CATEGORIES

    assert QUESTION_TYPES[name].analysis in ANALYSIS_CATEGORIES


@pytest.mark.parametrize(
    ("answers", "name"),
    [
        ("#5:1", "numeric"),
        ("=yes ~no", "single"),
        ("~%50%a ~%50%b ~c", "multiple"),
        ("=a -> 1 =b -> 2", "matching"),
        ("TRUE", "true_false"),
        ("=Paris", "short"),
    ],
)
def test_gift_answers_are_read_by_the_first_type_that_recognises_them(
    answers: str, name: str
) -> None:
    ranked = sorted(
        (k for k in QUESTION_TYPES.values() if k.gift_rank is not None),
        key=lambda k: k.gift_rank or 0,
    )
    assert next(k for k in ranked if k.gift_recognises(answers)).name == name
