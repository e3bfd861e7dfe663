"""Item analysis figures checked against values computed by hand on a small fixture.

Four attempts at a quiz of four questions (max 5 points):

=======  ====  =========  ===========  ==========  ===========  =====  =======
attempt  user  number     Q1 single    Q2 t/f      Q3 short/2   Q4 t/f total
=======  ====  =========  ===========  ==========  ===========  =====  =======
A1       u1    1          1 ("a")      1 (True)    2 ("x")      1      5 (100%)
A2       u2    1          1 ("a")      0 (False)   1 ("y")      1      3 (60%)
A3       u3    1          0 ("b")      1 (True)    0 (none)     1      2 (40%)
A4       u1    2          0 (none)     0 (False)   0 (none)     1      1 (20%)
=======  ====  =========  ===========  ==========  ===========  =====  =======

Q1: points 1 1 0 0, rest 4 2 2 1. Facility 2/4 = 50 %. Deviations of points ±0.5, of the rest
(mean 2.25) 1.75 -0.25 -0.25 -1.25: Σxy = 1.5, Σx² = 1, Σy² = 4.75, r = 1.5/√4.75 = 0.6882.
Sample SD of 1 1 0 0 = √(1/3) = 57.74 % of 1 point.
Q2: points 1 0 1 0, rest 4 3 1 1: Σxy = 0.5, Σy² = 6.75, r = 0.5/√6.75 = 0.1925.
Q3: points 2 1 0 0 (max 2), facility 3/8 = 37.5 %; rest 3 2 2 1: deviations 1.25 0.25 -0.75
-0.75 and 1 0 0 -1, Σxy = 2, Σx² = 2.75, Σy² = 2, r = 2/√5.5 = 0.8528; SD √(2.75/3)/2 = 47.87 %.
Q4: everyone 1 point: facility 100 %, no variance so discrimination undefined.
Scores 100 60 40 20: mean 55, median 50, sample SD √(3500/3) = 34.16.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from learnapp.analysis import stats
from learnapp.analysis.stats import AnswerData, AttemptData, ChoiceInfo, QuestionInfo

D = Decimal

Q1 = QuestionInfo(
    1,
    "q1",
    "single",
    1,
    "Pick a",
    (
        ChoiceInfo("a", "Alpha", True),
        ChoiceInfo("b", "Beta", False),
        ChoiceInfo("c", "Gamma", False),
    ),
)
Q2 = QuestionInfo(
    2,
    "q2",
    "true_false",
    2,
    "True?",
    (ChoiceInfo("true", "True", True), ChoiceInfo("false", "False", False)),
)
Q3 = QuestionInfo(3, "q3", "short", 3, "Type x")
Q4 = QuestionInfo(
    4,
    "q4",
    "true_false",
    4,
    "Easy",
    (ChoiceInfo("true", "True", True), ChoiceInfo("false", "False", False)),
)
QUESTIONS = [Q1, Q2, Q3, Q4]


def attempt(aid, user, number, q1, q2, q3):
    (p1, r1), (p2, r2), (p3, r3) = q1, q2, q3
    return AttemptData(
        aid,
        user,
        number,
        (
            AnswerData(1, D(p1), D(1), r1, "v1"),
            AnswerData(2, D(p2), D(1), r2, "v1"),
            AnswerData(3, D(p3), D(2), r3, "v1"),
            AnswerData(4, D(1), D(1), True, "v1"),
        ),
    )


ATTEMPTS = [
    attempt(1, 1, 1, (1, "a"), (1, True), (2, "x")),
    attempt(2, 2, 1, (1, "a"), (0, False), (1, "y")),
    attempt(3, 3, 1, (0, "b"), (1, True), (0, None)),
    attempt(4, 1, 2, (0, None), (0, False), (0, None)),
]


@pytest.fixture
def result():
    return stats.analyse(ATTEMPTS, QUESTIONS, "all", min_attempts=4)


def by_slug(result, slug):
    return next(q for q in result.questions if q.question.slug == slug)


def test_summary_of_all_attempts(result):
    assert result.attempts == 4
    assert result.students == 3
    assert result.mean == pytest.approx(55)
    assert result.median == pytest.approx(50)
    assert result.sd == pytest.approx(34.1565, abs=1e-4)
    assert (result.minimum, result.maximum) == (pytest.approx(20), pytest.approx(100))


def test_facility_is_mean_points_over_max_points(result):
    assert by_slug(result, "q1").facility == pytest.approx(50)
    assert by_slug(result, "q2").facility == pytest.approx(50)
    assert by_slug(result, "q3").facility == pytest.approx(37.5)
    assert by_slug(result, "q4").facility == pytest.approx(100)


def test_discrimination_correlates_points_with_the_rest_of_the_test(result):
    assert by_slug(result, "q1").discrimination == pytest.approx(68.82, abs=0.01)
    assert by_slug(result, "q2").discrimination == pytest.approx(19.25, abs=0.01)
    assert by_slug(result, "q3").discrimination == pytest.approx(85.28, abs=0.01)


def test_discrimination_is_undefined_without_variance(result):
    assert by_slug(result, "q4").discrimination is None


def test_standard_deviation_in_percent_of_max_points(result):
    assert by_slug(result, "q1").sd == pytest.approx(57.735, abs=0.001)
    assert by_slug(result, "q3").sd == pytest.approx(47.871, abs=0.001)


def test_attempts_and_answered_counts(result):
    q1, q3 = by_slug(result, "q1"), by_slug(result, "q3")
    assert (q1.attempts, q1.answered, q1.no_answer) == (4, 3, 1)
    assert (q3.attempts, q3.answered, q3.no_answer) == (4, 2, 2)


def test_choice_counts(result):
    q1 = by_slug(result, "q1")
    assert [(c.choice.id, c.count) for c in q1.choices] == [("a", 2), ("b", 1), ("c", 0)]
    assert [c.percent for c in q1.choices] == [50, 25, 0]
    q2 = by_slug(result, "q2")
    assert [(c.choice.id, c.count) for c in q2.choices] == [("true", 2), ("false", 2)]
    assert by_slug(result, "q3").choices == ()


def test_histogram_bins(result):
    counts = {b.label: b.count for b in result.histogram}
    assert counts == {
        "0\u201310%": 0,
        "10\u201320%": 0,
        "20\u201330%": 1,
        "30\u201340%": 0,
        "40\u201350%": 1,
        "50\u201360%": 0,
        "60\u201370%": 1,
        "70\u201380%": 0,
        "80\u201390%": 0,
        "90\u2013100%": 1,
    }


def test_bins_include_their_lower_end_and_the_last_includes_100():
    bins = stats.histogram(
        [Fraction(0), Fraction(999, 100), Fraction(10), Fraction(70), Fraction(100)]
    )
    assert [b.count for b in bins] == [2, 1, 0, 0, 0, 0, 0, 1, 0, 1]


def test_very_easy_question_is_flagged(result):
    assert any("Very easy" in flag for flag in by_slug(result, "q4").flags)
    assert by_slug(result, "q1").flags == ()


def test_no_flags_below_the_minimum_number_of_attempts():
    result = stats.analyse(ATTEMPTS, QUESTIONS, "all")  # default minimum: 10 attempts
    assert stats.MIN_ATTEMPTS_FOR_FLAGS == 10
    assert all(q.flags == () for q in result.questions)
    assert all(q.has_too_few_attempts for q in result.questions)


def test_first_attempts_only():
    result = stats.analyse(ATTEMPTS, QUESTIONS, "first", min_attempts=3)
    assert result.attempts == 3
    assert result.students == 3
    q1 = by_slug(result, "q1")
    # A1, A2, A3: Q1 points 1 1 0.
    assert q1.facility == pytest.approx(200 / 3)
    assert [(c.choice.id, c.count) for c in q1.choices] == [("a", 2), ("b", 1), ("c", 0)]


@pytest.mark.parametrize(
    ("which", "ids"),
    [("all", [1, 2, 3, 4]), ("first", [1, 2, 3]), ("latest", [2, 3, 4]), ("highest", [1, 2, 3])],
)
def test_which_attempts_count(which, ids):
    assert [a.id for a in stats.select_attempts(ATTEMPTS, which)] == ids


def test_unknown_selection_is_refused():
    with pytest.raises(ValueError, match="unknown attempt selection"):
        stats.select_attempts(ATTEMPTS, "best")


def test_default_selection_follows_the_grading_method():
    assert stats.default_which("first") == "first"
    assert stats.default_which("latest") == "latest"
    assert stats.default_which("highest") == "highest"
    assert stats.default_which(None) == "highest"


def test_anonymised_attempts_each_count_as_their_own_student():
    attempts = [
        attempt(1, None, 1, (1, "a"), (1, True), (2, "x")),
        attempt(2, None, 2, (0, "b"), (0, False), (0, None)),
    ]
    assert len(stats.select_attempts(attempts, "first")) == 2


def _pairs(points, rest):
    """Attempts with a question worth 1 (``points``) and another worth 10 (``rest``)."""
    target = QuestionInfo(1, "target", "single", 1, "T", (ChoiceInfo("a", "A", True),))
    attempts = [
        AttemptData(
            i, i, 1, (AnswerData(1, D(p), D(1), "a" if p else None), AnswerData(2, D(r), D(10)))
        )
        for i, (p, r) in enumerate(zip(points, rest, strict=True))
    ]
    return stats.analyse(attempts, [target], min_attempts=4).questions[0]


def test_negative_discrimination_is_flagged():
    # The strongest students on the rest of the test got this question wrong.
    q = _pairs([0, 0, 1, 1, 0], [10, 9, 2, 1, 8])
    assert q.discrimination < 0
    assert any("Negative discrimination" in flag for flag in q.flags)


def test_very_hard_question_is_flagged():
    q = _pairs([0, 0, 0, 0, 0], [10, 9, 2, 1, 8])
    assert q.facility == 0
    assert q.discrimination is None  # no variance on the question
    assert any("Very hard" in flag for flag in q.flags)


def test_a_question_nobody_was_shown():
    result = stats.analyse([], QUESTIONS)
    q1 = by_slug(result, "q1")
    assert (q1.attempts, q1.facility, q1.discrimination, q1.sd) == (0, None, None, None)
    assert result.mean is None
    assert result.median is None
    assert [b.count for b in result.histogram] == [0] * 10


def test_answers_of_questions_without_a_row_still_count_in_the_rest():
    # Only Q1 is listed, yet its rest of the test is the other questions' points.
    result = stats.analyse(ATTEMPTS, [Q1], "all")
    assert result.questions[0].discrimination == pytest.approx(68.82, abs=0.01)


def test_picked_reads_each_choice_type():
    assert stats.picked("single", "a") == {"a"}
    assert stats.picked("single", ["a"]) == set()
    assert stats.picked("multiple", ["a", "c", 3]) == {"a", "c"}
    assert stats.picked("multiple", "a") == set()
    assert stats.picked("true_false", False) == {"false"}
    assert stats.picked("true_false", "true") == set()
    assert stats.picked("short", "a") == set()


def test_choices_over_versions_keep_current_ones_first():
    from learnapp.quizzes.questions import QuestionSpec
    from learnapp.quizzes.questions.choices import Choice
    from learnapp.quizzes.questions.single import ChoiceData

    def spec(*choices):
        return QuestionSpec("q", "single", 1, "<p>P</p>", ChoiceData(tuple(choices)))

    current = spec(Choice("a", "<em>New</em> A", False), Choice("c", "C", True))
    old = spec(Choice("a", "Old A", True), Choice("b", "B", False))
    choices = stats.choices_of([current, old])
    assert [(c.id, c.label, c.is_correct, c.is_current) for c in choices] == [
        ("a", "New A", False, True),
        ("c", "C", True, True),
        ("b", "B", False, False),
    ]


def test_plain_text_strips_tags_and_cuts():
    assert stats.plain_text("<p>What <strong>is</strong>\n it?</p>") == "What is it?"
    assert stats.plain_text("<p>abcdefghij</p>", limit=5) == "abcd…"


# --- essays: rubric criteria -------------------------------------------------------------------


def test_rubric_criteria_get_mean_and_spread_over_the_answers_graded_with_them() -> None:
    criteria = (
        stats.CriterionInfo("flags", "Asks about red flags", 4),
        stats.CriterionInfo("decision", "Decision", 2),
    )
    info = stats.QuestionInfo(1, "q-essay", "essay", 1, "Case", criteria=criteria)
    graded = [{"flags": 4, "decision": 2}, {"flags": 2, "decision": 0}, {"flags": 0}, {}]
    attempts = [
        stats.AttemptData(
            i,
            i,
            1,
            (
                stats.AnswerData(
                    1, Decimal(sum(points.values())), Decimal(6), "text", criteria=points
                ),
            ),
        )
        for i, points in enumerate(graded, 1)
    ]
    (question,) = stats.analyse(attempts, [info]).questions
    flags, decision = question.criteria
    assert (flags.graded, flags.mean, flags.sd) == (3, 2.0, 2.0)
    assert (decision.graded, decision.mean) == (2, 1.0)
    assert decision.sd == pytest.approx(1.4142135)


def test_criteria_of_reads_an_essays_rubric_and_nothing_else() -> None:
    from learnapp.content.errors import Location
    from learnapp.quizzes.questions import QUESTION_TYPES

    essay = QUESTION_TYPES["essay"].parse(
        {
            "id": "e",
            "type": "essay",
            "prompt": "Why?",
            "rubric": [
                {
                    "criterion": "*Reasoning*",
                    "levels": [{"points": 0, "text": "No"}, {"points": 3, "text": "Yes"}],
                }
            ],
        },
        Location("q.md", 1),
    )
    assert stats.criteria_of(essay) == (stats.CriterionInfo("a", "*Reasoning*", 3),)
    free = QUESTION_TYPES["essay"].parse(
        {"id": "f", "type": "essay", "prompt": "Why?", "points": 3}, Location("q.md", 1)
    )
    assert stats.criteria_of(free) == ()
