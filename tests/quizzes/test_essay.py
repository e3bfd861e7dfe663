"""The essay question type on its own: schema, form reading, pending grade, rubric grading,
review. No Flask."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from learnapp.content.errors import CourseFileError, Location
from learnapp.quizzes.questions import QUESTION_TYPES, Grade, QuestionSpec
from learnapp.quizzes.questions.essay import MAX_ESSAY_CHARS, Essay, word_count

ESSAY = QUESTION_TYPES["essay"]
assert isinstance(ESSAY, Essay)


def raw(**fields: Any) -> dict[str, Any]:
    return {
        "id": "case",
        "type": "essay",
        "prompt": "What would you ask, and would you treat?",
        "min_words": 20,
        "max_words": 200,
        "model_answer": "Ask about **red flags**.",
        "rubric": [
            {
                "id": "history",
                "criterion": "Red flags",
                "levels": [
                    {"points": 0, "text": "None"},
                    {"points": 1, "text": "Some"},
                    {"points": 2, "text": "All"},
                ],
            },
            {
                "id": "decision",
                "criterion": "Decision",
                "levels": [{"points": 0, "text": "Missing"}, {"points": 3, "text": "Reasoned"}],
            },
        ],
        **fields,
    }


def parse(**fields: Any) -> QuestionSpec:
    return ESSAY.parse(raw(**fields), Location("quiz.md", 10))


def errors(**fields: Any) -> list[str]:
    with pytest.raises(CourseFileError) as info:
        parse(**fields)
    return [str(p) for p in info.value.problems]


def test_points_are_the_rubric_total() -> None:
    spec = parse()
    assert spec.points == 5
    assert QuestionSpec.from_dict(spec.to_dict()) == spec


def test_points_that_disagree_with_the_rubric_are_an_error() -> None:
    assert errors(points=4) == [
        'quiz.md:10: question "case" has "points" 4 but its rubric adds up to 5'
        " (leave points: out to use the rubric's total)"
    ]


def test_an_essay_without_rubric_keeps_its_points() -> None:
    spec = parse(rubric=None, points=10)
    assert spec.points == 10


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"min_words": 300}, '"min_words" (300) is more than "max_words" (200)'),
        ({"min_words": 0}, '"min_words" must be an integer from 1 to 3000'),
        ({"rubric": []}, "a rubric needs at least one criterion"),
        (
            {"rubric": [{"criterion": "A", "levels": [{"points": 1, "text": "x"}]}]},
            "at least two levels",
        ),
        (
            {
                "rubric": [
                    {
                        "criterion": "A",
                        "levels": [{"points": 0, "text": "x"}, {"points": 0, "text": "y"}],
                    }
                ]
            },
            "two levels of one criterion give 0 points",
        ),
        (
            {"rubric": [{"criterion": "A", "levels": [{"points": 0, "text": "x"}, {"text": "y"}]}]},
            'is missing required key "points"',
        ),
        ({"rubric": [{"levels": []}]}, 'criterion 1 is missing required key "criterion"'),
        ({"rubric": ["just text"]}, "criterion 1 must be a mapping"),
        ({"rubric": [{"id": "Bad Id", "criterion": "A", "levels": []}]}, 'criterion "id" "Bad Id"'),
    ],
)
def test_schema_errors_name_the_problem(fields: dict[str, Any], message: str) -> None:
    assert any(message in error for error in errors(**fields)), errors(**fields)


def test_view_shows_the_limits_but_not_the_model_answer_or_rubric() -> None:
    view = ESSAY.view(parse(), [])
    assert view["min_words"] == 20
    assert view["max_words"] == 200
    assert "red flags" not in str(view)
    assert "Reasoned" not in str(view)


def test_form_reading_keeps_line_breaks_and_caps_the_length() -> None:
    view = ESSAY.view(parse(), [])
    form = MultiDict({"q_1": "First line.\r\nSecond line."})
    assert ESSAY.read_form(view, "q_1", form) == (True, "First line.\nSecond line.")
    assert ESSAY.read_form(view, "q_1", MultiDict({"q_1": "  "})) == (True, None)
    assert ESSAY.read_form(view, "q_1", MultiDict()) == (False, None)
    long = ESSAY.read_form(view, "q_1", MultiDict({"q_1": "x" * (MAX_ESSAY_CHARS + 10)}))
    assert len(long[1]) == MAX_ESSAY_CHARS


def test_a_written_essay_is_pending_and_a_blank_one_scores_zero() -> None:
    spec = parse()
    pending = ESSAY.grade(spec, "Some words here.")
    assert pending.pending
    assert not pending.is_correct
    blank = ESSAY.grade(spec, None)
    assert (blank.pending, blank.points, blank.max_points) == (False, 0, 5)


def test_rubric_grade_sums_the_chosen_levels() -> None:
    grade = ESSAY.grade_by_person(parse(), {"history": "1", "decision": 1}, None)
    assert (grade.points, grade.max_points) == (Decimal(4), Decimal(5))
    assert grade.detail == {"levels": {"history": 1, "decision": 1}}


@pytest.mark.parametrize(
    "levels",
    [{}, {"history": "1"}, {"history": "3", "decision": "0"}, {"history": "x", "decision": "0"}],
)
def test_rubric_grade_needs_a_valid_level_for_every_criterion(levels: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="Choose a level for every criterion"):
        ESSAY.grade_by_person(parse(), levels, None)


def test_points_without_rubric_are_checked_and_rounded() -> None:
    spec = parse(rubric=None, points=10)
    assert ESSAY.grade_by_person(spec, {}, "7.255").points == Decimal("7.26")
    for bad in ("11", "-1", "x", "nan", None):
        with pytest.raises(ValueError, match="Give points from 0 to 10"):
            ESSAY.grade_by_person(spec, {}, bad)


@given(st.dictionaries(st.sampled_from(["history", "decision", "other"]), st.integers(-3, 5)))
def test_a_rubric_grade_stays_within_zero_and_max(levels: dict[str, int]) -> None:
    try:
        grade = ESSAY.grade_by_person(parse(), levels, None)
    except ValueError:
        return
    assert 0 <= grade.points <= grade.max_points


def test_review_while_pending_says_awaiting_and_shows_no_score() -> None:
    spec = parse()
    shown = ESSAY.review(spec, [], "My answer.", ESSAY.grade(spec, "My answer."))
    assert shown["status"] == "awaiting"
    assert shown["score"] is None
    assert shown["answer"] == "My answer."
    assert shown["words"] == 2
    assert all(c["points"] is None for c in shown["rubric"])


def test_review_after_grading_marks_the_chosen_levels() -> None:
    spec = parse()
    grade = ESSAY.grade_by_person(spec, {"history": 2, "decision": 0}, None)
    graded = Grade(grade.points, grade.max_points, ["<p>Good history.</p>"], detail=grade.detail)
    shown = ESSAY.review(spec, [], "My answer.", graded)
    assert (shown["status"], shown["score"]) == ("partial", "2")
    assert [c["points"] for c in shown["rubric"]] == [2, 0]
    assert [lv["chosen"] for lv in shown["rubric"][0]["levels"]] == [False, False, True]
    assert shown["feedback"] == ["<p>Good history.</p>"]
    assert "red flags" in shown["model_answer_html"]


def test_review_hides_model_answer_and_rubric_with_the_key() -> None:
    spec = parse()
    shown = ESSAY.review(
        spec, [], "x", ESSAY.grade(spec, "x"), show_correct=False, show_feedback=False
    )
    assert "model_answer_html" not in shown
    assert "rubric" not in shown


def test_criterion_points_for_item_analysis() -> None:
    spec = parse()
    assert ESSAY.analysis_criteria(spec)[1][0] == "decision"
    assert ESSAY.criterion_points(spec, {"levels": {"history": 1, "decision": 1}}) == {
        "history": 1,
        "decision": 3,
    }
    assert ESSAY.criterion_points(spec, {"points": "3"}) == {}


def test_word_count() -> None:
    assert word_count("  one two\nthree ") == 3
    assert word_count(None) == 0


def test_a_model_answer_counts_as_the_explanation_for_quality_checks() -> None:
    assert ESSAY.right_feedback(parse()) == [parse().data.model_answer_html]
    assert ESSAY.right_feedback(parse(model_answer=None)) == []
