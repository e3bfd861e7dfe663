"""The quiz-quality check: one test per rule on a minimal course, exact ``path:line`` output."""

from __future__ import annotations

import itertools
import random
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from learnapp.content import Problem, check, load_course
from learnapp.content.quality import CODES, check_quality, is_quality, strict
from tests.content.conftest import BASE, MakeCourse

#: Distinct prompts (no two are near-duplicates), used in turn by :func:`question`.
PROMPTS = itertools.cycle(
    [
        "Which muscle flexes the elbow?",
        "What does a practitioner feel for first?",
        "When should treatment stop at once?",
        "Who described the referral maps?",
        "How long is an isometric contraction held?",
        "Where do Lief's strokes begin?",
        "Why is pressure kept below pain?",
        "What follows the release of a point?",
        "Which sign calls for a doctor?",
        "How often should home care be done?",
        "What is checked before the session?",
        "Which tissue changes texture under the thumb?",
        "When was the technique first taught?",
        "What makes a stretch comfortable?",
        "Which position eases a tender point?",
        "How is the barrier found?",
    ]
)


def question(qid: str, kind: str, body: str, **keys: str) -> str:
    """A question block that passes every rule unless ``keys`` say otherwise."""
    common = {
        "lesson": "one",
        "prompt": next(PROMPTS),
        "explanation": "The lesson explains why.",
        **keys,
    }
    head = f"id: {qid}\ntype: {kind}\n" + "".join(
        f"{key}: {value}\n" for key, value in common.items() if value
    )
    return f"```question\n{head}{textwrap.dedent(body)}```\n"


def single(qid: str, right: str, *wrong: str, **keys: str) -> str:
    choices = f"  - text: {right}\n    correct: true\n" + "".join(f"  - text: {w}\n" for w in wrong)
    return question(qid, "single", f"choices:\n{choices}", **keys)


def true_false(qid: str, answer: bool, **keys: str) -> str:
    return question(qid, "true_false", f"answer: {str(answer).lower()}\n", **keys)


def quiz_file(*questions: str, front: str = "", quiz_id: str = "demo-quiz") -> str:
    return f"---\nid: {quiz_id}\ntitle: Quiz\n{front}---\nIntro.\n\n" + "\n".join(questions)


#: Lesson two is linked by one question, so only the tested rule fires.
LINK_TWO = single(
    "q-two", "Firm", "Soft", "Light", lesson="two", prompt="Which lesson is the second one?"
)


def write(make_course: MakeCourse, *questions: str, front: str = "", **files: str) -> Path:
    return make_course({"m1/quiz.md": quiz_file(LINK_TWO, *questions, front=front), **files})


def found(course_dir: Path, code: str | None = None) -> list[str]:
    result = load_course(course_dir)
    assert result.course is not None, [str(p) for p in result.problems]
    return [str(p) for p in check_quality(result.course) if code is None or p.code == code]


def line_of(path: Path, needle: str, after: str = "") -> int:
    """1-based line of the first line containing ``needle`` (after the line with ``after``)."""
    lines = path.read_text().split("\n")
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i + 1 for i, line in enumerate(lines[start:], start) if needle in line)


# --- a clean course and the base course ------------------------------------------------------


def test_a_course_following_every_rule_has_no_warning(make_course: MakeCourse) -> None:
    course = write(make_course, single("q-one", "Firm", "Soft", "Light"))
    assert found(course) == []


def test_base_course_warnings_are_exact(make_course: MakeCourse) -> None:
    tail = (
        "; add one, or write assessed: false in its front matter if it needs none"
        " (an introduction, a glossary, references) [unassessed-lesson]"
    )
    assert found(make_course()) == [
        'demo/m1/one.md:2: warning: no question tests lesson "one" (lesson: one)' + tail,
        'demo/m1/quiz.md:6: warning: question "q1" does not say why the right answer is right:'
        " write an explanation: (or feedback on the right answer) of more than one word"
        " [no-explanation]",
        'demo/m1/quiz.md:6: warning: question "q1" has no lesson: key; name the lesson (and'
        " heading) it tests, so the review links to it and every lesson can be checked for a"
        " question [no-lesson-link]",
        'demo/m1/two.md:2: warning: no question tests lesson "two" (lesson: two)' + tail,
    ]


def test_every_warning_has_a_known_code(make_course: MakeCourse) -> None:
    result = load_course(make_course())
    assert result.course is not None
    problems = check_quality(result.course)
    assert problems
    assert all(p.code in CODES and p.severity == "warning" for p in problems)


# --- longest-correct -----------------------------------------------------------------------


def test_longest_right_option_in_most_questions_warns_at_each_right_choice(
    make_course: MakeCourse,
) -> None:
    course = write(
        make_course,
        single("q-a", "A long and careful right answer", "Short", "Brief"),
        single("q-b", "Another long and detailed right answer", "Not", "Nope"),
        single("q-c", "Yet another long, qualified right answer", "Out", "Wrong"),
        single("q-d", "Right", "A distractor that is much longer", "Other"),
    )
    quiz = course / "m1" / "quiz.md"
    assert found(course, "longest-correct") == [
        f"demo/m1/quiz.md:{line_of(quiz, 'text: A long and careful')}: warning: question"
        ' "q-a": the right option is the longest (31 characters, the longest other 5), as in'
        " 3 of 5 choice questions of this quiz; students can pick it without knowing: shorten"
        " it or lengthen the others [longest-correct]",
        f"demo/m1/quiz.md:{line_of(quiz, 'text: Another long')}: warning: question"
        ' "q-b": the right option is the longest (38 characters, the longest other 4), as in'
        " 3 of 5 choice questions of this quiz; students can pick it without knowing: shorten"
        " it or lengthen the others [longest-correct]",
        f"demo/m1/quiz.md:{line_of(quiz, 'text: Yet another')}: warning: question"
        ' "q-c": the right option is the longest (40 characters, the longest other 5), as in'
        " 3 of 5 choice questions of this quiz; students can pick it without knowing: shorten"
        " it or lengthen the others [longest-correct]",
    ]


def test_longest_right_option_in_half_the_questions_is_fine(make_course: MakeCourse) -> None:
    course = write(
        make_course,
        single("q-a", "A long and careful right answer", "Short", "Brief"),
        single("q-b", "Another long and detailed right answer", "Not", "Nope"),
        single("q-c", "Right", "A distractor that is much longer", "Other"),
    )  # with LINK_TWO (right "Firm" shorter than "Light"): 2 of 4
    assert found(course, "longest-correct") == []


def test_a_tie_with_a_distractor_is_not_longest(make_course: MakeCourse) -> None:
    course = write(
        make_course,
        single("q-a", "Equal length", "Same length!", "x"),
        single("q-b", "Also long right", "Also long wrong", "y"),
        single("q-c", "Third long right", "Third long wrong", "z"),
        single("q-d", "A long and careful right answer", "Short", "Brief"),
    )
    assert found(course, "longest-correct") == []


def test_three_qualifying_questions_never_warn_alone(make_course: MakeCourse) -> None:
    course = make_course(
        {
            "m1/quiz.md": quiz_file(
                single("q-a", "A long and careful right answer", "Short", "Brief", lesson="two"),
                single("q-b", "Another long and detailed right answer", "Not", "Nope"),
                single("q-c", "Yet another long, qualified right answer", "Out", "Wrong"),
            )
        }
    )
    assert found(course, "longest-correct") == []


def test_two_choice_questions_do_not_count(make_course: MakeCourse) -> None:
    course = write(
        make_course,
        *(single(f"q-{n}", f"A long and careful right answer {n}", "Soft") for n in range(4)),
    )
    assert found(course, "longest-correct") == []


def test_longest_right_options_across_the_course_warn(make_course: MakeCourse) -> None:
    second = quiz_file(
        single("q-c", "Yet another long, qualified right answer", "Out", "Wrong"),
        single("q-d", "The fourth long and detailed right answer", "Up", "Down"),
        quiz_id="demo-quiz-2",
    )
    course = make_course(
        {
            "m1/module.md": BASE["m1/module.md"].replace("  - quiz.md", "  - quiz.md\n  - q2.md"),
            "m1/quiz.md": quiz_file(
                single("q-a", "A long and careful right answer", "Short", "Brief", lesson="two"),
                single("q-b", "Another long and detailed right answer", "Not", "Nope"),
            ),
            "m1/q2.md": second,
        }
    )
    lines = found(course, "longest-correct")
    assert len(lines) == 4
    assert all("as in 4 of 4 choice questions of the course;" in line for line in lines)


def test_multiple_compares_the_longest_right_with_the_longest_wrong(
    make_course: MakeCourse,
) -> None:
    body = """\
        choices:
          - text: The long and careful right answer
            correct: true
          - text: Short right
            correct: true
          - text: Wrong
          - text: Bad
        """
    course = write(
        make_course,
        *(question(f"q-{n}", "multiple", body) for n in range(3)),
    )
    quiz = course / "m1" / "quiz.md"
    lines = found(course, "longest-correct")
    assert len(lines) == 3
    assert lines[0].startswith(
        f"demo/m1/quiz.md:{line_of(quiz, 'text: The long and careful')}: warning: question"
        ' "q-0": the right option is the longest (33 characters, the longest other 5)'
    )


# --- true-false-balance ----------------------------------------------------------------------


def test_all_true_false_answers_the_same_warn_at_each_question(make_course: MakeCourse) -> None:
    course = write(make_course, *(true_false(f"q-tf{n}", False) for n in range(3)))
    quiz = course / "m1" / "quiz.md"
    assert found(course, "true-false-balance") == [
        f'demo/m1/quiz.md:{line_of(quiz, f"id: q-tf{n}")}: warning: question "q-tf{n}" has'
        " the answer false, as all 3 true/false questions of this quiz; students can answer"
        " false without knowing: make about half of them true [true-false-balance]"
        for n in range(3)
    ]


@pytest.mark.parametrize(
    ("answers", "warned"),
    [
        pytest.param([False, False], 0, id="two-questions-are-too-few"),
        pytest.param([True, True, False], 0, id="2-of-3"),
        pytest.param([True, True, True, True, False], 0, id="4-of-5-is-80-percent"),
        pytest.param([True] * 5 + [False], 5, id="5-of-6-is-more-than-80-percent"),
        pytest.param([True, False, True, False], 0, id="balanced"),
    ],
)
def test_true_false_balance_threshold(
    make_course: MakeCourse, answers: list[bool], warned: int
) -> None:
    course = write(make_course, *(true_false(f"q-tf{n}", a) for n, a in enumerate(answers)))
    lines = found(course, "true-false-balance")
    assert len(lines) == warned
    if warned:
        assert all("has the answer true, as 5 of 6 true/false questions" in x for x in lines)


def test_true_false_answers_across_the_course_warn(make_course: MakeCourse) -> None:
    course = make_course(
        {
            "m1/module.md": BASE["m1/module.md"].replace("  - quiz.md", "  - quiz.md\n  - q2.md"),
            "m1/quiz.md": quiz_file(LINK_TWO, true_false("q-a", False), true_false("q-b", False)),
            "m1/q2.md": quiz_file(true_false("q-c", False), quiz_id="demo-quiz-2"),
        }
    )
    lines = found(course, "true-false-balance")
    assert [line.split(": warning")[0] for line in lines] == [
        f"demo/m1/q2.md:{line_of(course / 'm1' / 'q2.md', 'id: q-c')}",
        f"demo/m1/quiz.md:{line_of(course / 'm1' / 'quiz.md', 'id: q-a')}",
        f"demo/m1/quiz.md:{line_of(course / 'm1' / 'quiz.md', 'id: q-b')}",
    ]
    assert all("as all 3 true/false questions of the course;" in line for line in lines)


# --- all-of-the-above ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "All of the above",
        "None of the above.",
        "both of the above",
        "ALL OF THESE",
        "None of these",
        "Neither of the above",
        "All the above",
        "None of the options",
    ],
)
def test_all_or_none_of_the_above_warns_at_the_choice(make_course: MakeCourse, text: str) -> None:
    course = write(make_course, single("q-a", "Firm", "Soft", text))
    quiz = course / "m1" / "quiz.md"
    (line,) = found(course, "all-of-the-above")
    assert line.startswith(
        f'demo/m1/quiz.md:{line_of(quiz, f"text: {text}")}: warning: question "q-a": the'
        f' choice "{text}" points at the other choices'
    )
    assert line.endswith(" [all-of-the-above]")


@pytest.mark.parametrize("text", ["None", "Above the knee", "All muscles tense", "Both hands"])
def test_choices_that_stand_alone_are_fine(make_course: MakeCourse, text: str) -> None:
    assert found(write(make_course, single("q-a", "Firm", "Soft", text)), "all-of-the-above") == []


# --- duplicate-prompt ------------------------------------------------------------------------


def test_the_same_prompt_in_another_quiz_warns_at_the_later_question(
    make_course: MakeCourse,
) -> None:
    prompt = "Which stroke opens a **first** session?"
    course = make_course(
        {
            "m1/module.md": BASE["m1/module.md"].replace("  - quiz.md", "  - quiz.md\n  - q2.md"),
            "m1/quiz.md": quiz_file(LINK_TWO, single("q-a", "Firm", "Soft", prompt=f'"{prompt}"')),
            "m1/q2.md": quiz_file(
                single("q-b", "Firm", "Soft", prompt='"which stroke opens a first session"'),
                quiz_id="demo-quiz-2",
            ),
        }
    )
    first = line_of(course / "m1" / "quiz.md", "id: q-a")
    assert found(course, "duplicate-prompt") == [
        f"demo/m1/q2.md:{line_of(course / 'm1' / 'q2.md', 'id: q-b')}: warning: question"
        ' "q-b" has the same prompt as question "q-a"'
        f" (demo/m1/quiz.md:{first}); one gives the other away: ask something else, or keep"
        " one [duplicate-prompt]"
    ]


def test_a_nearly_identical_prompt_warns(make_course: MakeCourse) -> None:
    long = "Which of these signs, found during the first assessment, should stop the treatment"
    course = write(
        make_course,
        single("q-a", "Firm", "Soft", prompt=f"{long} at once?"),
        single("q-b", "Firm", "Soft", prompt=f"{long} at one?"),
    )
    (line,) = found(course, "duplicate-prompt")
    assert '"q-b" has nearly the same prompt (99 % alike) as question "q-a"' in line


def test_different_prompts_are_fine(make_course: MakeCourse) -> None:
    course = write(
        make_course,
        single("q-a", "Firm", "Soft", prompt="Which muscle flexes the elbow?"),
        single("q-b", "Firm", "Soft", prompt="Which nerve supplies the deltoid?"),
    )
    assert found(course, "duplicate-prompt") == []


def test_a_duplicate_among_hundreds_of_questions_is_found(make_course: MakeCourse) -> None:
    rng = random.Random(7)
    vocabulary = [f"word{n}" for n in range(2000)]
    prompts = [" ".join(rng.sample(vocabulary, 10)) + "?" for _ in range(300)]
    prompts[250] = prompts[40].upper()
    questions = [single(f"q-{n}", "Firm", "Soft", prompt=p) for n, p in enumerate(prompts)]
    course = write(make_course, *questions)
    (line,) = found(course, "duplicate-prompt")
    assert line.startswith(f"demo/m1/quiz.md:{line_of(course / 'm1' / 'quiz.md', 'id: q-250')}")
    assert '"q-250" has the same prompt as question "q-40"' in line


# --- no-lesson-link and unassessed-lesson ------------------------------------------------------


def test_a_question_without_lesson_warns_at_the_question(make_course: MakeCourse) -> None:
    course = write(make_course, single("q-a", "Firm", "Soft", lesson=""))
    quiz = course / "m1" / "quiz.md"
    assert found(course, "no-lesson-link") == [
        f'demo/m1/quiz.md:{line_of(quiz, "id: q-a")}: warning: question "q-a" has no lesson:'
        " key; name the lesson (and heading) it tests, so the review links to it and every"
        " lesson can be checked for a question [no-lesson-link]"
    ]


def test_a_lesson_no_question_links_to_warns_at_its_id(make_course: MakeCourse) -> None:
    course = make_course({"m1/quiz.md": quiz_file(single("q-a", "Firm", "Soft"))})
    assert found(course, "unassessed-lesson") == [
        'demo/m1/two.md:2: warning: no question tests lesson "two" (lesson: two); add one, or'
        " write assessed: false in its front matter if it needs none (an introduction, a"
        " glossary, references) [unassessed-lesson]"
    ]


def test_a_link_to_a_heading_counts_for_the_lesson(make_course: MakeCourse) -> None:
    course = write(make_course, single("q-a", "Firm", "Soft", lesson="one#first-heading"))
    assert found(course, "unassessed-lesson") == []


def test_assessed_false_declares_a_lesson_that_needs_no_question(
    make_course: MakeCourse,
) -> None:
    two = BASE["m1/two.md"].replace("minutes: 5\n", "minutes: 5\nassessed: false\n")
    course = make_course({"m1/quiz.md": quiz_file(single("q-a", "Firm", "Soft")), "m1/two.md": two})
    assert found(course, "unassessed-lesson") == []


def test_assessed_must_be_a_boolean(make_course: MakeCourse) -> None:
    two = BASE["m1/two.md"].replace("minutes: 5\n", "minutes: 5\nassessed: nope\n")
    result = load_course(make_course({"m1/two.md": two}))
    assert [str(p) for p in result.errors] == [
        'demo/m1/two.md:5: "assessed" must be true or false, got "nope"'
    ]


def test_a_course_without_quizzes_needs_no_question(make_course: MakeCourse) -> None:
    module = BASE["m1/module.md"].replace("quizzes:\n  - quiz.md\n", "")
    course = make_course({"m1/module.md": module, "m1/quiz.md": None})
    assert found(course) == []


# --- no-explanation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "body", "keys", "warned"),
    [
        pytest.param("single", "choices:\n  - text: A\n    correct: true\n  - text: B\n",
                     {"explanation": ""}, True, id="single-nothing"),
        pytest.param("single", "choices:\n  - text: A\n    correct: true\n  - text: B\n",
                     {"explanation": "Correct."}, True, id="one-word-explanation"),
        pytest.param("single", "choices:\n  - text: A\n    correct: true\n    feedback: Yes.\n"
                     "  - text: B\n    feedback: B is the opposite of what the lesson says.\n",
                     {"explanation": ""}, True, id="one-word-right-feedback"),
        pytest.param("single", "choices:\n  - text: A\n    correct: true\n"
                     "    feedback: Yes, A is what the lesson says.\n  - text: B\n",
                     {"explanation": ""}, False, id="right-feedback"),
        pytest.param("single", "choices:\n  - text: A\n    correct: true\n  - text: B\n",
                     {"explanation": "A, as the lesson says."}, False, id="explanation"),
        pytest.param("multiple", "choices:\n  - text: A\n    correct: true\n"
                     "    feedback: A is right because of X.\n  - text: C\n    correct: true\n"
                     "  - text: B\n", {"explanation": ""}, False, id="multiple-feedback"),
        pytest.param("true_false", "answer: true\nfeedback_true: Right.\n"
                     "feedback_false: No, the lesson says it is true.\n",
                     {"explanation": ""}, True, id="true-false-wrong-side-feedback"),
        pytest.param("true_false", "answer: false\nfeedback_false: Right, it is not so.\n",
                     {"explanation": ""}, False, id="true-false-right-feedback"),
        pytest.param("short", "answers:\n  - text: Lief\n    feedback: Right.\n"
                     "  - text: Li\n    weight: 50\n    feedback: Nearly, the full name is Lief.\n",
                     {"explanation": ""}, True, id="short-partial-feedback-only"),
        pytest.param("numeric", "answers:\n  - value: 1925\n    feedback: Yes, in 1925 exactly.\n",
                     {"explanation": ""}, False, id="numeric-feedback"),
        pytest.param("ordering", "items: [First, Second, Third]\n", {"explanation": ""}, True,
                     id="ordering-nothing"),
    ],
)  # fmt: skip
def test_a_right_answer_needs_more_than_one_word_of_explanation(
    make_course: MakeCourse, kind: str, body: str, keys: dict[str, str], warned: bool
) -> None:
    course = write(make_course, question("q-a", kind, body, **keys))
    quiz = course / "m1" / "quiz.md"
    expected = (
        [
            f'demo/m1/quiz.md:{line_of(quiz, "id: q-a")}: warning: question "q-a" does not'
            " say why the right answer is right: write an explanation: (or feedback on the right"
            " answer) of more than one word [no-explanation]"
        ]
        if warned
        else []
    )
    assert found(course, "no-explanation") == expected


# --- blueprint: syntax -----------------------------------------------------------------------


def tagged(qid: str, tags: str, points: int = 1) -> str:
    return single(qid, "Firm", "Soft", tags=tags, points=str(points))


POOL = [
    tagged("q-r1", "[recall]"),
    tagged("q-r2", "[recall]"),
    tagged("q-s1", "[scenario]", 2),
    tagged("q-s2", "[scenario]", 2),
]


@pytest.mark.parametrize(
    ("blueprint", "message", "key"),
    [
        pytest.param(
            "blueprint:\n  history: {max: 25}\n",
            'blueprint: no question of this quiz carries the tag "history"',
            "history:",
            id="unknown-tag",
        ),
        pytest.param(
            "blueprint:\n  recall: {min: 60, max: 40}\n",
            'blueprint: "recall" has min 60 above max 40',
            "recall:",
            id="min-above-max",
        ),
        pytest.param(
            "blueprint:\n  recall:\n    max: 120\n",
            'blueprint: "max" of "recall" must be a percentage from 0 to 100, got 120',
            "max: 120",
            id="max-out-of-range",
        ),
        pytest.param(
            "blueprint:\n  recall: {min: -5}\n",
            'blueprint: "min" of "recall" must be a percentage from 0 to 100, got -5',
            "recall:",
            id="min-out-of-range",
        ),
        pytest.param(
            "blueprint:\n  recall: {mx: 25}\n",
            'unknown key "mx" in blueprint "recall" (did you mean "max"?)',
            "recall:",
            id="unknown-key",
        ),
        pytest.param(
            "blueprint:\n  recall: 25\n",
            'blueprint: "recall" needs {min: P}, {max: P} or both, percentages of the'
            " quiz's points, got 25",
            "recall:",
            id="not-a-mapping",
        ),
        pytest.param(
            "blueprint: [recall]\n",
            '"blueprint" must map tags to {min: P, max: P} (percentages), got a list',
            "blueprint:",
            id="a-list",
        ),
        pytest.param(
            "blueprint:\n  Recall: {max: 25}\n",
            "blueprint: \"Recall\" is not a tag: lowercase letters, digits and '-', starting"
            " with a letter or digit, at most 64",
            "Recall:",
            id="not-a-tag",
        ),
    ],
)
def test_blueprint_errors_point_at_the_key(
    make_course: MakeCourse, blueprint: str, message: str, key: str
) -> None:
    course = make_course({"m1/quiz.md": quiz_file(*POOL, front=blueprint)})
    result = load_course(course)
    quiz = course / "m1" / "quiz.md"
    assert result.course is None
    assert [str(p) for p in result.errors] == [f"demo/m1/quiz.md:{line_of(quiz, key)}: {message}"]


def test_a_valid_blueprint_is_loaded(make_course: MakeCourse) -> None:
    front = "blueprint:\n  recall: {max: 50}\n  scenario: {min: 40, max: 80.5}\n"
    result = load_course(make_course({"m1/quiz.md": quiz_file(*POOL, front=front)}))
    assert result.course is not None
    quiz = result.course.quiz("demo-quiz")
    assert quiz is not None
    assert [(r.tag, r.minimum, r.maximum, r.line) for r in quiz.blueprint] == [
        ("recall", None, 50, 5),
        ("scenario", 40, Decimal("80.5"), 6),
    ]


# --- blueprint: breaches -----------------------------------------------------------------------


def blueprint_lines(course: Path) -> list[str]:
    return found(course, "blueprint")


def test_blueprint_without_draw_checks_the_one_attempt(make_course: MakeCourse) -> None:
    # recall: 2 of 6 points = 33.33 %; scenario: 4 of 6 = 66.67 %.
    front = "blueprint:\n  recall: {max: 25}\n  scenario: {min: 70}\n"
    course = make_course({"m1/quiz.md": quiz_file(*POOL, front=front)})
    assert blueprint_lines(course) == [
        "demo/m1/quiz.md:5: warning: the quiz gives recall 33.33 % of the points (max 25 %)"
        " [blueprint]",
        "demo/m1/quiz.md:6: warning: the quiz gives scenario 66.67 % of the points (min 70 %)"
        " [blueprint]",
    ]


def test_blueprint_limits_show_as_written_and_bounds_nest(make_course: MakeCourse) -> None:
    front = "blueprint:\n  recall:\n    min: 12.5\n    max: 33.3334\n  scenario: {min: 66.66}\n"
    course = make_course({"m1/quiz.md": quiz_file(*POOL[:3], front=front)})
    # recall: 2 of 4 points; scenario: 2 of 4.
    assert blueprint_lines(course) == [
        "demo/m1/quiz.md:5: warning: the quiz gives recall 50 % of the points (max 33.3334 %)"
        " [blueprint]",
        "demo/m1/quiz.md:8: warning: the quiz gives scenario 50 % of the points (min 66.66 %)"
        " [blueprint]",
    ]


def test_a_share_exactly_at_the_bound_meets_it(make_course: MakeCourse) -> None:
    front = "blueprint:\n  recall: {min: 50, max: 50}\n  scenario: {max: 50}\n"
    course = make_course({"m1/quiz.md": quiz_file(*POOL[:3], front=front)})
    assert blueprint_lines(course) == []


def test_blueprint_with_draw_names_the_worst_draw(make_course: MakeCourse) -> None:
    # draw: 2 of 4. Worst recall share: [q-r1, q-r2] = 100 %; worst scenario: the same, 0 %.
    front = "draw: 2\nblueprint:\n  recall: {max: 50}\n  scenario: {min: 50}\n"
    course = make_course({"m1/quiz.md": quiz_file(*POOL, front=front)})
    assert blueprint_lines(course) == [
        "demo/m1/quiz.md:6: warning: draw [q-r1, q-r2] gives recall 100 % of the points"
        " (max 50 %) [blueprint]",
        "demo/m1/quiz.md:7: warning: draw [q-r1, q-r2] gives scenario 0 % of the points"
        " (min 50 %) [blueprint]",
    ]


def test_blueprint_with_a_draw_per_tag_that_every_draw_meets(make_course: MakeCourse) -> None:
    # 1 recall (1 point) + 1 scenario (2 points) per attempt: recall is always 1/3.
    front = "draw: {recall: 1, scenario: 1}\nblueprint:\n  recall: {min: 30, max: 34}\n"
    course = make_course({"m1/quiz.md": quiz_file(*POOL, front=front)})
    assert blueprint_lines(course) == []


def test_blueprint_with_overlapping_drawn_tags(make_course: MakeCourse) -> None:
    # q-both carries both drawn tags and fills either slot. Drawing {a: 1, b: 1}: [q-both,
    # q-a] (q-both in the b slot) gives a 3 of 3 points, [q-both, q-b] 2 of 4, [q-a, q-b] 1 of 3.
    pool = [
        tagged("q-both", "[a, b]", 2),
        tagged("q-a", "[a]", 1),
        tagged("q-b", "[b]", 2),
    ]
    front = "draw: {a: 1, b: 1}\nblueprint:\n  a: {max: 60}\n"
    course = make_course({"m1/quiz.md": quiz_file(*pool, front=front)})
    assert blueprint_lines(course) == [
        "demo/m1/quiz.md:6: warning: draw [q-both, q-a] gives a 100 % of the points"
        " (max 60 %) [blueprint]"
    ]


# --- the CLI -------------------------------------------------------------------------------


CLEAN = {"m1/quiz.md": quiz_file(LINK_TWO, single("q-one", "Firm", "Soft", "Light"))}


def test_check_prints_quality_warnings_and_exits_0(make_course: MakeCourse, runner) -> None:
    course = make_course()
    result = runner.invoke(args=["courses", "check", str(course)])
    assert result.exit_code == 0, result.output
    assert (
        'demo/m1/quiz.md:6: warning: question "q1" has no lesson: key; name the lesson (and'
        " heading) it tests" in result.output
    )
    assert "[no-lesson-link]" in result.output


def test_strict_turns_quality_warnings_into_errors(make_course: MakeCourse, runner) -> None:
    course = make_course()
    result = runner.invoke(args=["courses", "check", "--strict", str(course)])
    assert result.exit_code == 1, result.output
    assert (
        'demo/m1/quiz.md:6: question "q1" has no lesson: key; name the lesson (and heading) it'
        " tests" in result.output
    )
    assert "4 error(s)" in result.output


def test_strict_leaves_other_warnings_as_warnings(make_course: MakeCourse, runner) -> None:
    # An unlisted .md file, a remote image and an instructor with no account stay warnings.
    one = BASE["m1/one.md"] + "\n![Logo](https://example.com/logo.png)\n"
    course = make_course({**CLEAN, "m1/extra.md": "# not listed\n", "m1/one.md": one})
    result = runner.invoke(args=["courses", "check", "--strict", str(course)])
    assert result.exit_code == 0, result.output
    assert "demo/m1/extra.md:1: warning: file is not listed in module.md" in result.output
    assert 'warning: image "https://example.com/logo.png" is loaded from another site' in (
        result.output
    )
    assert 'demo/course.md:8: warning: instructor "teacher@example.com" has no account' in (
        result.output
    )
    assert "OK: demo (3 warning(s))" in result.output


def test_strict_changes_only_quality_problems() -> None:
    quality = Problem("a.md", 3, "m", "warning", "no-lesson-link")
    other = Problem("a.md", 4, "n", "warning")
    assert strict([quality, other]) == [Problem("a.md", 3, "m", "error", "no-lesson-link"), other]
    assert is_quality(quality)
    assert not is_quality(other)


def test_check_of_one_file_includes_quality(make_course: MakeCourse) -> None:
    course = make_course()
    codes = {p.code for p in check(course / "m1" / "quiz.md")}
    assert codes == {"no-lesson-link", "no-explanation", "unassessed-lesson"}


def test_the_shipped_writing_course_passes_strict(runner) -> None:
    course = Path(__file__).resolve().parents[2] / "courses" / "writing-a-course"
    result = runner.invoke(args=["courses", "check", "--strict", str(course)])
    assert result.exit_code == 0, result.output
    assert not any(f"[{code}]" in result.output for code in CODES), result.output
