"""One test per validation rule, asserting the exact ``path:line: message`` report."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from learnapp.content import Problem, check, check_instructors, load_course, load_courses
from tests.content.conftest import BASE, MakeCourse

DATA = Path(__file__).parent.parent / "data"


def lines_of(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems]


def test_fixture_course_is_valid() -> None:
    result = load_course(DATA / "courses" / "basics")
    assert result.problems == []
    assert result.course is not None
    assert result.course.id == "basics"


def test_base_course_is_valid(make_course: MakeCourse) -> None:
    result = load_course(make_course())
    assert result.problems == []
    assert result.course is not None


def test_review_statement_and_date_are_loaded(make_course: MakeCourse) -> None:
    course_md = COURSE.replace(
        "level: beginner",
        'level: beginner\nreviewed_by: "Not yet reviewed by a clinician"\n'
        "last_reviewed: 2026-12-07",
    )
    result = load_course(make_course({"course.md": course_md}))
    assert result.problems == []
    assert result.course is not None
    assert result.course.reviewed_by == "Not yet reviewed by a clinician"
    assert result.course.last_reviewed == date(2026, 12, 7)


def test_a_quoted_review_date_is_read_too(make_course: MakeCourse) -> None:
    course_md = COURSE.replace("level: beginner", 'level: beginner\nlast_reviewed: "2026-12-07"')
    result = load_course(make_course({"course.md": course_md}))
    assert result.course is not None
    assert result.course.last_reviewed == date(2026, 12, 7)


@pytest.mark.parametrize(
    ("written", "tag"), [("en", "en"), ("es", "es"), ("pt-BR", "pt-BR"), ("zh-Hant", "zh-Hant")]
)
def test_the_course_language_is_loaded_as_a_language_tag(
    make_course: MakeCourse, written: str, tag: str
) -> None:
    course_md = COURSE.replace("level: beginner", f"level: beginner\nlanguage: {written}")
    result = load_course(make_course({"course.md": course_md}))
    assert result.problems == []
    assert result.course is not None
    assert result.course.language == tag


def test_a_course_without_a_language_declares_none(make_course: MakeCourse) -> None:
    result = load_course(make_course())
    assert result.course is not None
    assert result.course.language is None


ONE = BASE["m1/one.md"]
QUIZ = BASE["m1/quiz.md"]
COURSE = BASE["course.md"]
MODULE = BASE["m1/module.md"]

RULES = [
    pytest.param(
        {"m1/one.md": "# no front matter\n"},
        "demo/m1/one.md:1: lesson must start with front matter: a line '---', YAML, then '---'",
        id="no-front-matter",
    ),
    pytest.param(
        {"m1/one.md": "---\nid: one\ntitle: One\n"},
        "demo/m1/one.md:1: lesson must start with front matter: a line '---', YAML, then '---'",
        id="unclosed-front-matter",
    ),
    pytest.param(
        {"m1/one.md": ONE.replace("minutes: 5\n", "")},
        'demo/m1/one.md:1: lesson is missing required key "minutes"',
        id="missing-key",
    ),
    pytest.param(
        {"m1/one.md": ONE.replace("title: One\n", "title: One\ntitel: Typo\n")},
        'demo/m1/one.md:4: unknown key "titel" in lesson (did you mean "title"?)',
        id="unknown-key",
    ),
    pytest.param(
        {"m1/one.md": ONE.replace("minutes: 5", "minutes: ten")},
        'demo/m1/one.md:4: "minutes" must be an integer from 1 to 10000, got "ten"',
        id="wrong-type",
    ),
    pytest.param(
        {"m1/one.md": ONE.replace("id: one", "id: One_Bad")},
        'demo/m1/one.md:2: "id" "One_Bad" is not a valid id: lowercase letters, digits and'
        " '-', starting with a letter or digit, at most 64",
        id="bad-id",
    ),
    pytest.param(
        {"course.md": COURSE.replace("level: beginner", "level: expert")},
        'demo/course.md:6: "level" must be one of beginner, intermediate, advanced, got "expert"',
        id="bad-enum",
    ),
    pytest.param(
        {"course.md": COURSE.replace("level: beginner", "level: beginner\nlast_reviewed: soon")},
        'demo/course.md:7: "last_reviewed" must be a date such as 2026-12-07, got "soon"',
        id="last-reviewed-not-a-date",
    ),
    pytest.param(
        {
            "course.md": COURSE.replace(
                "level: beginner", "level: beginner\nlast_reviewed: 2026-12-07T10:00:00Z"
            )
        },
        'demo/course.md:7: "last_reviewed" must be a date such as 2026-12-07, got'
        " 2026-12-07 10:00:00+00:00",
        id="last-reviewed-a-date-time",
    ),
    pytest.param(
        {"course.md": COURSE.replace("level: beginner", "level: beginner\nlanguage: english")},
        'demo/course.md:7: "language" must be a language tag such as en, es or pt-BR, got'
        ' "english"',
        id="language-not-a-tag",
    ),
    pytest.param(
        {"course.md": COURSE.replace("level: beginner", "level: beginner\nlanguage: [en]")},
        'demo/course.md:7: "language" must be a language tag such as en, es or pt-BR, got a list',
        id="language-not-text",
    ),
    pytest.param(
        {"course.md": COURSE.replace("level: beginner", "level: beginner\nreviewed_by: [a, b]")},
        'demo/course.md:7: "reviewed_by" must be a non-empty text, got a list',
        id="reviewed-by-not-text",
    ),
    pytest.param(
        {"course.md": COURSE.replace('version: "1"', "version: 1.0")},
        'demo/course.md:5: "version" must be a text (quote it: "1.0")',
        id="version-not-text",
    ),
    pytest.param(
        {"m1/one.md": ONE.replace("title: One", "title: [One")},
        "demo/m1/one.md:4: YAML syntax error: expected ',' or ']', but got ':'",
        id="yaml-syntax",
    ),
    pytest.param(
        {"m1/one.md": "---\n- a list\n---\nBody\n"},
        "demo/m1/one.md:2: front matter of lesson must be a mapping of keys",
        id="front-matter-not-mapping",
    ),
    pytest.param(
        {"m1/two.md": BASE["m1/two.md"].replace("id: two", "id: one")},
        'demo/m1/two.md:2: duplicate id "one" (also the lesson in demo/m1/one.md:2)',
        id="duplicate-lesson-id",
    ),
    pytest.param(
        {"m1/module.md": MODULE.replace("id: demo-m1", "id: one")},
        'demo/m1/one.md:2: duplicate id "one" (also the module in demo/m1/module.md:2)',
        id="duplicate-id-across-kinds",
    ),
    pytest.param(
        {"course.md": COURSE.replace("  - m1\n", "  - m1\n  - m9\n")},
        'demo/course.md:11: module folder "m9" does not exist',
        id="module-missing",
    ),
    pytest.param(
        {"m1/module.md": MODULE.replace("  - two.md\n", "  - two.md\n  - three.md\n")},
        'demo/m1/module.md:7: lesson file "three.md" not found in m1/',
        id="lesson-missing",
    ),
    pytest.param(
        {"m1/module.md": MODULE.replace("  - two.md\n", "  - ../../etc/passwd.md\n")},
        'demo/m1/module.md:6: lesson file "../../etc/passwd.md" must be a plain name'
        " inside this folder",
        id="lesson-path-traversal",
    ),
    pytest.param(
        {"m1/one.md": ONE + "\nSee [two](nope.md).\n"},
        'demo/m1/one.md:10: broken link "nope.md": m1/nope.md not found',
        id="broken-link-file",
    ),
    pytest.param(
        {"m1/one.md": ONE + "\nSee [two](two.md#nope).\n"},
        'demo/m1/one.md:10: broken link "two.md#nope": no heading "#nope" in m1/two.md',
        id="broken-link-anchor",
    ),
    pytest.param(
        {"m1/one.md": ONE + "\nSee [above](#nowhere).\n"},
        'demo/m1/one.md:10: broken link "#nowhere": no heading with that anchor in this file',
        id="broken-local-anchor",
    ),
    pytest.param(
        {"m1/one.md": ONE + "\n![pic](images/nope.png)\n"},
        'demo/m1/one.md:10: broken image "images/nope.png": m1/images/nope.png not found',
        id="missing-image",
    ),
    pytest.param(
        {"m1/one.md": ONE + "\nSee [secret](../../../etc/passwd).\n"},
        'demo/m1/one.md:10: link "../../../etc/passwd" points outside the course folder',
        id="link-traversal",
    ),
    pytest.param(
        {"m1/one.md": ONE + "\n![x](../../outside.png)\n"},
        'demo/m1/one.md:10: image "../../outside.png" points outside the course folder',
        id="image-traversal",
    ),
    pytest.param(
        {"m1/one.md": ONE + "\n![x](/etc/passwd)\n"},
        'demo/m1/one.md:10: image "/etc/passwd" must be a relative path inside the course folder',
        id="absolute-path",
    ),
    pytest.param(
        {"m1/one.md": ONE + "\n[src](module.md)\n"},
        'demo/m1/one.md:10: link "module.md" is not a lesson or quiz listed in this course',
        id="link-to-non-lesson-markdown",
    ),
    pytest.param(
        {"m1/one.md": ONE + "\n[x](.git/config)\n"},
        'demo/m1/one.md:10: link ".git/config" names a hidden file',
        id="hidden-file",
    ),
    pytest.param(
        {"m1/one.md": ONE + "\n[x](ftp://example.com/file)\n"},
        'demo/m1/one.md:10: link scheme "ftp:" is not allowed (use http, https, mailto or a'
        " relative path)",
        id="bad-scheme",
    ),
    pytest.param(
        {"m1/quiz.md": QUIZ.replace("prompt: Pick A.", "prompt: [Pick A.")},
        "demo/m1/quiz.md:9: YAML syntax error: expected ',' or ']', but got ':'",
        id="quiz-yaml-syntax",
    ),
    pytest.param(
        {"m1/quiz.md": QUIZ.replace("    correct: true\n", "")},
        'demo/m1/quiz.md:9: question "q1" needs exactly one correct choice (correct: true or'
        " weight: 100), found 0",
        id="no-correct-choice",
    ),
    pytest.param(
        {"m1/quiz.md": QUIZ.replace("type: single", "type: drawing")},
        'demo/m1/quiz.md:7: unknown question type "drawing" (known: single, multiple, true_false,'
        " short, numeric, matching, ordering, essay)",
        id="unknown-question-type",
    ),
    pytest.param(
        {"m1/quiz.md": QUIZ.replace("type: single\n", "")},
        'demo/m1/quiz.md:5: question is missing required key "type"',
        id="question-without-type",
    ),
    pytest.param(
        {"m1/quiz.md": QUIZ.replace("prompt: Pick A.\n", "")},
        'demo/m1/quiz.md:5: question "q1" is missing required key "prompt"',
        id="question-missing-prompt",
    ),
    pytest.param(
        {"m1/quiz.md": QUIZ.replace("prompt: Pick A.", "prompt: Pick A.\nlesson: nope")},
        'demo/m1/quiz.md:9: question "q1" names unknown lesson "nope"',
        id="question-unknown-lesson",
    ),
    pytest.param(
        {"m1/quiz.md": QUIZ.replace("prompt: Pick A.", "prompt: Pick A.\nlesson: one#nope")},
        'demo/m1/quiz.md:9: lesson "one" has no heading "#nope"',
        id="question-unknown-anchor",
    ),
    pytest.param(
        {"m1/quiz.md": QUIZ + QUIZ[QUIZ.index("```question") :]},
        'demo/m1/quiz.md:15: duplicate question id "q1" (also in demo/m1/quiz.md:6)',
        id="duplicate-question-id",
    ),
    pytest.param(
        {"m1/quiz.md": "---\nid: demo-quiz\ntitle: Quiz\n---\nNo questions here.\n"},
        "demo/m1/quiz.md:1: quiz has no questions (```question blocks)",
        id="quiz-without-questions",
    ),
    pytest.param(
        {"m1/quiz.md": QUIZ.replace("title: Quiz", "title: Quiz\ndraw: 5")},
        "demo/m1/quiz.md:4: draw: 5 but the quiz has only 1 questions",
        id="draw-too-many",
    ),
    pytest.param(
        {
            "m1/quiz.md": QUIZ.replace("title: Quiz", "title: Quiz\ndraw: {a: 1, b: 1}").replace(
                "prompt: Pick A.", "prompt: Pick A.\ntags: [a, b]"
            )
        },
        "demo/m1/quiz.md:4: draw: 2 different questions are needed, but questions carrying"
        " several of these tags cannot fill every group at once",
        id="draw-overlapping-tags",
    ),
    pytest.param(
        {"m1/quiz.md": QUIZ.replace("title: Quiz", "title: Quiz\nopens_at: 2026-01-01")},
        'demo/m1/quiz.md:4: "opens_at" must be an ISO date-time with time zone, got 2026-01-01'
        " (add a time zone, e.g. Z)",
        id="naive-date",
    ),
    pytest.param(
        {"m1/quiz.md": QUIZ.replace("title: Quiz", "title: Quiz\nreview: sometimes")},
        'demo/m1/quiz.md:4: "review" must be one of immediately, after_submit,'
        ' after_last_attempt, after_close, never, got "sometimes"',
        id="quiz-enum",
    ),
    pytest.param(
        {
            "m1/two.md": BASE["m1/two.md"].replace(
                "minutes: 5", "minutes: 5\nprerequisites: [ghost]"
            )
        },
        'demo/m1/two.md:5: unknown prerequisite "ghost"',
        id="unknown-prerequisite",
    ),
    pytest.param(
        {
            "m1/one.md": ONE.replace("minutes: 5", "minutes: 5\nprerequisites: [two]"),
            "m1/two.md": BASE["m1/two.md"].replace(
                "minutes: 5", "minutes: 5\nprerequisites:\n  - one"
            ),
        },
        "demo/m1/two.md:6: prerequisite cycle: one -> two -> one",
        id="prerequisite-cycle",
    ),
    pytest.param(
        {
            "m1/module.md": MODULE.replace(
                "title: Module one", "title: Module one\nprerequisites: [one]"
            )
        },
        "demo/m1/module.md:4: prerequisite cycle: demo-m1 -> one -> demo-m1",
        id="module-needs-own-lesson",
    ),
    pytest.param(
        {
            "course.md": COURSE.replace(
                "---\nLanding", "completion:\n  lessons: [one, ghost]\n---\nLanding"
            )
        },
        'demo/course.md:12: completion names unknown lesson "ghost"',
        id="completion-unknown-lesson",
    ),
    pytest.param(
        {
            "course.md": COURSE.replace(
                "---\nLanding", "completion:\n  quizzes:\n    ghost-quiz: 70\n---\nLanding"
            )
        },
        'demo/course.md:13: completion names unknown quiz "ghost-quiz"',
        id="completion-unknown-quiz",
    ),
    pytest.param(
        {
            "course.md": COURSE.replace(
                "---\nLanding", "completion:\n  quizzes:\n    demo-quiz: 170\n---\nLanding"
            )
        },
        'demo/course.md:13: passing score of "demo-quiz" must be a percentage 0-100, got 170',
        id="completion-bad-score",
    ),
    pytest.param(
        {"course.md": COURSE.replace("teacher@example.com", "not-an-email")},
        'demo/course.md:8: instructor "not-an-email" is not an e-mail address',
        id="instructor-not-email",
    ),
    pytest.param(
        {"m1/one.md": b"---\nid: one\ntitle: \xff\n---\n"},
        "demo/m1/one.md:1: file is not valid UTF-8 (byte 19)",
        id="not-utf8",
    ),
    pytest.param(
        {"m1/one.md": ONE.replace("title: One", "title: One\ntitle: Again")},
        "demo/m1/one.md:4: duplicate key 'title'",
        id="duplicate-key",
    ),
    pytest.param(
        {"m1/one.md": ONE.replace("title: One", "title: &a One\nalias: *a")},
        "demo/m1/one.md:4: YAML syntax error: YAML aliases (*name) are not supported",
        id="yaml-alias",
    ),
]


@pytest.mark.parametrize(("files", "expected"), RULES)
def test_rule_reports_path_and_line(
    make_course: MakeCourse, files: dict[str, str | bytes], expected: str
) -> None:
    text_files = {k: v for k, v in files.items() if isinstance(v, str)}
    course_dir = make_course(text_files)
    for rel, data in files.items():
        if isinstance(data, bytes):
            (course_dir / rel).write_bytes(data)
    result = load_course(course_dir)
    assert expected in lines_of(result.problems)
    assert result.course is None


def test_every_problem_in_a_file_is_reported(make_course: MakeCourse) -> None:
    lesson = "---\nid: Bad Id\ntitel: x\nminutes: -1\nobjectives: yes\n---\n[a](x.md) [b](y.md)\n"
    result = load_course(make_course({"m1/one.md": lesson}))
    assert lines_of(result.problems) == [
        'demo/m1/one.md:1: lesson is missing required key "title"',
        'demo/m1/one.md:2: "id" "Bad Id" is not a valid id: lowercase letters, digits and \'-\','
        " starting with a letter or digit, at most 64",
        'demo/m1/one.md:3: unknown key "titel" in lesson (did you mean "title"?)',
        'demo/m1/one.md:4: "minutes" must be an integer from 1 to 10000, got -1',
        'demo/m1/one.md:5: "objectives" must be a list, got true',
        'demo/m1/one.md:7: broken link "x.md": m1/x.md not found',
        'demo/m1/one.md:7: broken link "y.md": m1/y.md not found',
    ]


def test_every_question_problem_is_reported(make_course: MakeCourse) -> None:
    quiz = """---
id: demo-quiz
title: Quiz
---
```question
id: q1
type: numeric
prompt: How many?
points: 0
answers:
  - value: four
  - min: 5
    max: 1
```

```question
id: q2
type: true_false
prompt: Yes?
answer: maybe
```
"""
    result = load_course(make_course({"m1/quiz.md": quiz}))
    assert lines_of(result.problems) == [
        'demo/m1/quiz.md:9: "points" must be an integer from 1 to 1000, got 0',
        'demo/m1/quiz.md:11: "value" must be a number, got "four"',
        "demo/m1/quiz.md:12: answer 2 has min: 5 greater than max: 1",
        'demo/m1/quiz.md:20: "answer" must be true or false, got "maybe"',
    ]


def test_crlf_and_bom_keep_line_numbers(make_course: MakeCourse) -> None:
    text = "\ufeff" + ONE.replace("minutes: 5", "minutes: x").replace("\n", "\r\n")
    result = load_course(make_course({"m1/one.md": text}))
    assert lines_of(result.problems) == [
        'demo/m1/one.md:4: "minutes" must be an integer from 1 to 10000, got "x"'
    ]


def test_symlink_out_of_the_course_is_refused(make_course: MakeCourse, tmp_path: Path) -> None:
    (tmp_path / "secret.png").write_bytes(b"x")
    course_dir = make_course({"m1/one.md": ONE + "\n![x](leak.png)\n"})
    os.symlink(tmp_path / "secret.png", course_dir / "m1" / "leak.png")
    assert lines_of(load_course(course_dir).problems) == [
        "demo/m1/leak.png:1: file is a symbolic link leading out of the course folder",
        'demo/m1/one.md:10: image "leak.png" points outside the course folder (symlink)',
    ]


def test_unlisted_markdown_file_is_a_warning(make_course: MakeCourse) -> None:
    result = load_course(make_course({"m1/draft.md": ONE.replace("id: one", "id: draft")}))
    assert lines_of(result.problems) == [
        "demo/m1/draft.md:1: warning: file is not listed in module.md, so it is ignored"
    ]
    assert result.course is not None


def test_external_image_is_a_warning(make_course: MakeCourse) -> None:
    result = load_course(make_course({"m1/one.md": ONE + "\n![x](https://example.com/a.png)\n"}))
    assert lines_of(result.problems) == [
        'demo/m1/one.md:10: warning: image "https://example.com/a.png" is loaded from another'
        " site; put it in the course folder"
    ]
    assert result.course is not None


def test_check_instructors_warns_about_unknown_emails(make_course: MakeCourse) -> None:
    course = load_course(make_course()).course
    assert course is not None
    assert check_instructors(course, ["TEACHER@example.com"]) == []
    assert lines_of(check_instructors(course, [])) == [
        'demo/course.md:8: warning: instructor "teacher@example.com" has no account'
    ]


def test_check_accepts_a_file_inside_a_course(make_course: MakeCourse) -> None:
    make_course({"m1/one.md": ONE.replace("minutes: 5", "minutes: 0")})
    expected = ['demo/m1/one.md:4: "minutes" must be an integer from 1 to 10000, got 0']
    assert lines_of(check("demo/m1/one.md")) == expected
    assert lines_of(check("demo")) == expected
    assert lines_of(check(".")) == [p.replace("demo/", "./demo/", 1) for p in expected]


def test_check_outside_a_course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.md").write_text("hi")
    assert lines_of(check("notes.md")) == [
        "notes.md:1: not inside a course: no course.md found here or above"
    ]
    assert lines_of(check("missing")) == ["missing:1: no such file or folder"]


def test_one_broken_course_never_stops_the_others(make_course: MakeCourse) -> None:
    make_course(name="good")
    make_course({"course.md": COURSE.replace("id: demo", "id: other")}, name="renamed")
    make_course(
        {"course.md": COURSE.replace("id: demo", "id: broken"), "m1/one.md": "broken"},
        name="broken",
    )
    results = load_courses(".")
    assert [(r.path, r.course is not None) for r in results] == [
        ("./broken", False),
        ("./good", True),
        ("./renamed", True),
    ]


def test_two_folders_with_one_course_id_both_fail(make_course: MakeCourse) -> None:
    """Neither may take the course: the first in name order is not always the real one."""
    make_course(name="a")
    make_course(name="b")
    make_course({"course.md": COURSE.replace("id: demo", "id: other")}, name="c")
    results = load_courses(".")
    assert [r.course is not None for r in results] == [False, False, True]
    assert lines_of(results[0].problems) == [
        './a/course.md:2: course id "demo" is also used by ./b/course.md:2: neither folder is'
        " loaded until one of them changes its id"
    ]
    assert lines_of(results[1].problems) == [
        './b/course.md:2: course id "demo" is also used by ./a/course.md:2: neither folder is'
        " loaded until one of them changes its id"
    ]


def test_a_course_that_does_not_load_still_claims_its_id(make_course: MakeCourse) -> None:
    make_course({"m1/one.md": "broken"}, name="a-copy")
    make_course(name="b")
    results = load_courses(".")
    assert [r.course for r in results] == [None, None]
    assert any("is also used by ./a-copy/course.md:2" in p.message for p in results[1].problems)


def test_missing_course_md(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "empty").mkdir()
    assert lines_of(load_course("empty").problems) == [
        "empty/course.md:1: course.md not found: every course folder needs one"
    ]


BROKEN = DATA / "broken-courses"


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        ("many-errors", "many-errors.txt"),
        ("traversal", "traversal.txt"),
        ("cycles", "cycles.txt"),
    ],
)
def test_broken_fixture_courses(
    folder: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(BROKEN)
    result = load_course(folder)
    assert result.course is None
    assert lines_of(result.problems) == (BROKEN / expected).read_text().splitlines()


@pytest.mark.parametrize(
    ("relpath", "served"),
    [
        ("01-start/images/diagram.png", True),
        ("01-start/intro.md", False),
        ("02-more/quiz.md", False),
        ("02-more/QUIZ.MD", False),
        ("../basics/course.md", False),
        ("../../../../etc/passwd", False),
        ("/etc/passwd", False),
        ("01-start\\images\\diagram.png", False),
        (".git/config", False),
        ("01-start/images", False),
        ("", False),
    ],
)
def test_resolve_asset(relpath: str, served: bool) -> None:
    from learnapp.content import resolve_asset

    assert (resolve_asset(DATA / "courses" / "basics", relpath) is not None) is served


def test_draw_by_tag_accepts_overlapping_tags_when_distinct_questions_exist() -> None:
    from types import SimpleNamespace

    from learnapp.content.loader import _can_draw

    both = [SimpleNamespace(tags=("a", "b")), SimpleNamespace(tags=("a", "b"))]
    assert _can_draw({"a": 1, "b": 1}, both)  # type: ignore[arg-type]
    assert not _can_draw({"a": 2, "b": 1}, both)  # type: ignore[arg-type]
    chain = [SimpleNamespace(tags=("a",)), SimpleNamespace(tags=("a", "b"))]
    assert _can_draw({"a": 1, "b": 1}, chain)  # type: ignore[arg-type]
