"""Question types: parsing with line numbers, grading tables, storage round trips."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from learnapp.content.errors import CourseFileError, Location
from learnapp.content.yamlmarks import load_yaml
from learnapp.quizzes.questions import QUESTION_TYPES, QuestionSpec, grade


def parse(text: str) -> QuestionSpec:
    """Parse question YAML as if it sat in a fence on line 1 of q.md (YAML from line 2)."""
    raw, problems = load_yaml(text, Location("q.md", 2))
    assert problems == []
    return QUESTION_TYPES[raw["type"]].parse(raw, Location("q.md", 1))


def problems_of(text: str) -> list[str]:
    raw, problems = load_yaml(text, Location("q.md", 2))
    assert problems == []
    with pytest.raises(CourseFileError) as info:
        QUESTION_TYPES[raw["type"]].parse(raw, Location("q.md", 1))
    return [str(p) for p in info.value.problems]


SINGLE = """id: q
type: single
prompt: Pick one.
points: 2
choices:
  - text: Right
    correct: true
    feedback: Yes.
  - text: Half
    weight: 50
  - text: Wrong
    weight: -50
    feedback: No.
"""
MULTIPLE = """id: q
type: multiple
points: 3
prompt: Pick the right ones.
choices:
  - {id: r1, text: Right 1, correct: true}
  - {id: r2, text: Right 2, correct: true}
  - {id: r3, text: Right 3, correct: true}
  - {id: w1, text: Wrong 1}
  - {id: w2, text: Wrong 2}
"""
TRUE_FALSE = """id: q
type: true_false
prompt: The sky is green.
answer: false
feedback_true: Look again.
feedback_false: Right.
"""
SHORT = """id: q
type: short
prompt: Who?
answers:
  - Stanley Lief
  - text: Lief
    weight: 50
    feedback: Full name please.
  - text: Travell
    weight: 0
    feedback: She popularised trigger points.
pattern: "s\\\\.? ?lief"
"""
NUMERIC = """id: q
type: numeric
prompt: Pi?
points: 4
answers:
  - value: "3.14159"
    tolerance: "0.001"
  - min: 3
    max: "3.2"
    weight: 25
    feedback: Roughly.
"""
MATCHING = """id: q
type: matching
prompt: Match.
pairs:
  - prompt: Lief
    answer: Europe
  - prompt: Nimmo
    answer: USA
  - prompt: Chaitow
    answer: Britain
distractors:
  - Japan
"""
ORDERING = """id: q
type: ordering
prompt: Order.
items:
  - First
  - Second
  - {id: third, text: Third}
  - Fourth
"""

D = Decimal
GRADES: list[Any] = [
    (SINGLE, "a", D(2), ["Yes."]),
    (SINGLE, "b", D(1), []),
    (SINGLE, "c", D(0), ["No."]),
    (SINGLE, "z", D(0), []),
    (SINGLE, ["a"], D(0), []),
    (SINGLE, None, D(0), []),
    (MULTIPLE, ["r1", "r2", "r3"], D(3), []),
    (MULTIPLE, ["r3", "r1", "r2", "r1"], D(3), []),
    (MULTIPLE, ["r1"], D(1), []),
    (MULTIPLE, ["r1", "r2"], D(2), []),
    (MULTIPLE, ["r1", "r2", "r3", "w1"], D("1.50"), []),
    (MULTIPLE, ["r1", "r2", "r3", "w1", "w2"], D(0), []),
    (MULTIPLE, ["w1"], D(0), []),
    (MULTIPLE, [], D(0), []),
    (MULTIPLE, ["r1", "evil"], D(0), []),
    (MULTIPLE, "r1", D(0), []),
    (MULTIPLE, [1, 2], D(0), []),
    (TRUE_FALSE, False, D(1), ["Right."]),
    (TRUE_FALSE, True, D(0), ["Look again."]),
    (TRUE_FALSE, "false", D(0), []),
    (TRUE_FALSE, 0, D(0), []),
    (SHORT, "Stanley Lief", D(1), []),
    (SHORT, "  stanley   LIEF ", D(1), []),
    (SHORT, "Lief", D("0.50"), ["Full name please."]),
    (SHORT, "S. Lief", D(1), []),
    (SHORT, "travell", D(0), ["She popularised trigger points."]),
    (SHORT, "Chaitow", D(0), []),
    (SHORT, "", D(0), []),
    (SHORT, "x" * 10_000, D(0), []),
    (SHORT, ["Lief"], D(0), []),
    (NUMERIC, "3.14159", D(4), []),
    (NUMERIC, "3.1420", D(4), []),
    (NUMERIC, "3.143", D(1), ["Roughly."]),
    (NUMERIC, "3", D(1), ["Roughly."]),
    (NUMERIC, "+3.2e0", D(1), ["Roughly."]),
    (NUMERIC, "4", D(0), []),
    (NUMERIC, "NaN", D(0), []),
    (NUMERIC, "Infinity", D(0), []),
    (NUMERIC, "-inf", D(0), []),
    (NUMERIC, "3,14", D(0), []),
    (NUMERIC, "1e999999999", D(0), []),
    (NUMERIC, 3.14159, D(0), []),
    (NUMERIC, "", D(0), []),
    (MATCHING, {"0": "a", "1": "b", "2": "c"}, D(1), []),
    (MATCHING, {"0": "a", "1": "c", "2": "b"}, D("0.33"), []),
    (MATCHING, {"0": "a"}, D("0.33"), []),
    (MATCHING, {"0": "d", "1": "d", "2": "d"}, D(0), []),
    (MATCHING, {"0": "a", "3": "b"}, D(0), []),
    (MATCHING, {"0": "a", "1": "zz"}, D(0), []),
    (MATCHING, {"-1": "a"}, D(0), []),
    (MATCHING, {"0": 1}, D(0), []),
    (MATCHING, ["a", "b", "c"], D(0), []),
    (ORDERING, ["a", "b", "third", "d"], D(1), []),
    (ORDERING, ["b", "a", "third", "d"], D("0.50"), []),
    (ORDERING, ["d", "third", "b", "a"], D(0), []),
    (ORDERING, ["a", "b", "third"], D(0), []),
    (ORDERING, ["a", "a", "third", "d"], D(0), []),
    (ORDERING, ["a", "b", "c", "d"], D(0), []),
    (ORDERING, "a,b,third,d", D(0), []),
]


@pytest.mark.parametrize(("text", "answer", "points", "feedback"), GRADES)
def test_grade_table(text: str, answer: object, points: Decimal, feedback: list[str]) -> None:
    spec = parse(text)
    result = grade(spec, answer)
    assert result.points == points
    assert result.max_points == spec.points
    assert result.feedback == feedback


@pytest.mark.parametrize("text", [SINGLE, MULTIPLE, TRUE_FALSE, SHORT, NUMERIC, MATCHING, ORDERING])
def test_spec_survives_a_json_round_trip(text: str) -> None:
    spec = parse(text)
    stored = json.loads(json.dumps(spec.to_dict()))
    assert QuestionSpec.from_dict(stored) == spec


def test_every_registered_type_is_tested() -> None:
    # essay: tests/quizzes/test_essay.py
    assert set(QUESTION_TYPES) == {
        "single", "multiple", "true_false", "short", "numeric", "matching", "ordering", "essay"
    }  # fmt: skip


def test_unknown_type_in_a_stored_spec_grades_zero() -> None:
    spec = parse(SINGLE)
    foreign = QuestionSpec(**{**spec.__dict__, "type": "drawing"})
    assert grade(foreign, "a").points == 0


def test_grader_refuses_a_spec_of_another_type() -> None:
    single = parse(SINGLE)
    assert QUESTION_TYPES["ordering"].grade(single, ["a", "b", "c"]).points == 0


def test_default_ids_continue_past_z() -> None:
    from learnapp.quizzes.questions.base import default_id

    assert [default_id(i) for i in (0, 25, 26, 27, 701, 702)] == ["a", "z", "aa", "ab", "zz", "aaa"]


PARSE_ERRORS = [
    pytest.param(
        "id: q\ntype: single\nprompt: P\nchoices:\n  - text: A\n  - text: B\n",
        [
            'q.md:5: question "q" needs exactly one correct choice (correct: true or weight: 100),'
            " found 0"
        ],
        id="single-no-correct",
    ),
    pytest.param(
        "id: q\ntype: single\nprompt: P\nchoices:\n  - text: A\n    correct: true\n"
        "    weight: 50\n  - text: B\n",
        ["q.md:8: a correct choice must weigh 100, not 50"],
        id="single-correct-with-weight",
    ),
    pytest.param(
        "id: q\ntype: single\nprompt: P\nchoices:\n  - text: A\n    correct: true\n",
        ['q.md:5: question "q" needs at least two choices'],
        id="single-one-choice",
    ),
    pytest.param(
        "id: q\ntype: single\nprompt: P\nchoices:\n  - {id: x, text: A, correct: true}\n"
        "  - {id: x, text: B}\n",
        ['q.md:7: duplicate choice id "x"'],
        id="duplicate-choice-id",
    ),
    pytest.param(
        "id: q\ntype: multiple\nprompt: P\nchoices:\n  - text: A\n  - text: B\n",
        ['q.md:5: question "q" has no correct choice'],
        id="multiple-no-correct",
    ),
    pytest.param(
        "id: q\ntype: multiple\nprompt: P\nchoices:\n  - text: A\n    weight: 40\n  - text: B\n"
        "    weight: 40\n",
        ['q.md:5: question "q": positive weights add up to 80%, so full marks are impossible'],
        id="multiple-unreachable",
    ),
    pytest.param(
        "id: q\ntype: true_false\nprompt: P\nanswer: yes please\n",
        ['q.md:5: "answer" must be true or false, got "yes please"'],
        id="true-false-not-bool",
    ),
    pytest.param(
        "id: q\ntype: short\nprompt: P\nanswers:\n  - text: A\n    weight: 50\n",
        ['q.md:5: question "q" has no answer worth 100%'],
        id="short-no-full-answer",
    ),
    pytest.param(
        "id: q\ntype: short\nprompt: P\npattern: '(a'\n",
        [
            'q.md:5: "pattern" is not a valid regular expression: missing ), unterminated'
            " subpattern at position 0"
        ],
        id="short-bad-regex",
    ),
    pytest.param(
        "id: q\ntype: short\nprompt: P\npattern: '(a+)+b'\n",
        ['q.md:5: "pattern" nests quantifiers like (a+)+, which can hang the grader'],
        id="short-redos",
    ),
    pytest.param(
        "id: q\ntype: numeric\nprompt: P\nanswers:\n  - value: 1\n    min: 0\n    max: 2\n",
        ["q.md:6: answer 1 has both value: and min:/max:; use one form"],
        id="numeric-both-forms",
    ),
    pytest.param(
        "id: q\ntype: numeric\nprompt: P\nanswers:\n  - value: .nan\n",
        ['q.md:6: "value" must be a number, got nan'],
        id="numeric-nan",
    ),
    pytest.param(
        "id: q\ntype: numeric\nprompt: P\nanswers:\n  - value: 1\n    tolerance: -1\n",
        ['q.md:7: "tolerance" must be >= 0 and only goes with value:'],
        id="numeric-negative-tolerance",
    ),
    pytest.param(
        "id: q\ntype: matching\nprompt: P\npairs:\n  - prompt: A\n    answer: X\n"
        "  - prompt: B\ndistractors: [X]\n",
        [
            'q.md:8: pair 2 is missing required key "answer"',
            'q.md:9: answer "X" appears twice, so students cannot tell them apart',
        ],
        id="matching-problems",
    ),
    pytest.param(
        "id: q\ntype: ordering\nprompt: P\nitems: [a, {text: b, id: a}, c]\n",
        ['q.md:5: duplicate item id "a"'],
        id="ordering-duplicate-id",
    ),
    pytest.param(
        "id: q\ntype: ordering\nprompt: P\nitems:\n  - First\n  - Second\n",
        [
            'q.md:5: question "q" needs at least three items: with fewer, the order shown would'
            " give the answer away"
        ],
        id="ordering-two-items",
    ),
    pytest.param(
        "id: Q 1\ntype: single\nprompt: ''\npoints: 1.5\ntags: [ok, Not Ok]\nlesson: x#\n"
        "colour: red\nchoices:\n  - text: A\n    correct: true\n  - text: B\n",
        [
            'q.md:2: "id" "Q 1" is not a valid id: lowercase letters, digits and \'-\', starting'
            " with a letter or digit, at most 64",
            'q.md:4: "prompt" must be a non-empty text, got ""',
            'q.md:5: "points" must be an integer from 1 to 1000, got 1.5',
            'q.md:6: "tags" item "Not Ok" is not a valid id: lowercase letters, digits and \'-\','
            " starting with a letter or digit, at most 64",
            'q.md:7: "lesson" must be <lesson-id> or <lesson-id>#<anchor>, got "x#"',
            'q.md:8: unknown key "colour" in question',
        ],
        id="common-keys",
    ),
]


@pytest.mark.parametrize(("text", "expected"), PARSE_ERRORS)
def test_parse_errors_name_the_line(text: str, expected: list[str]) -> None:
    assert problems_of(text) == expected
