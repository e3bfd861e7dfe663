"""Generate valid course folders: the scale catalogue and the load-test exam course.

    python bench/gencourses.py scale DIR [--courses 200] [--lessons 50]
    python bench/gencourses.py exam DIR

The output follows docs/course-format.md; ``flask courses check DIR`` accepts it.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

MODULES_PER_COURSE = 5

WORDS = [
    "palpation",
    "tissue",
    "tone",
    "pressure",
    "release",
    "barrier",
    "stroke",
    "thumb",
    "finger",
    "muscle",
    "fascia",
    "tendon",
    "posture",
    "breathing",
    "comfort",
    "referral",
    "assessment",
    "history",
    "evidence",
    "safety",
    "client",
    "practitioner",
    "gentle",
    "slow",
    "gliding",
    "contact",
    "texture",
    "warmth",
    "tenderness",
    "range",
    "motion",
    "stretch",
    "contract",
    "relax",
    "position",
    "ease",
    "hold",
    "minute",
    "second",
    "pattern",
    "band",
    "point",
    "spot",
    "layer",
    "deep",
    "superficial",
]


def _sentence(seed: int, length: int = 14) -> str:
    words = [WORDS[(seed * 7 + i * 13) % len(WORDS)] for i in range(length)]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def _paragraph(seed: int, sentences: int = 4) -> str:
    return " ".join(_sentence(seed + i) for i in range(sentences))


def lesson_body(course: int, module: int, lesson: int) -> str:
    """About 2 KB of Markdown: headings, paragraphs, a list, a table, sometimes code."""
    seed = course * 1000 + module * 100 + lesson
    parts = [
        _paragraph(seed),
        "## Key ideas",
        "\n".join(
            f"- **{WORDS[(seed + i) % len(WORDS)]}**: {_sentence(seed + i, 8)}" for i in range(4)
        ),
        "## In practice",
        _paragraph(seed + 10, 3),
        "| Step | What to notice |\n|---|---|\n"
        + "\n".join(f"| {i + 1} | {_sentence(seed + 20 + i, 6)} |" for i in range(4)),
        '!!! note "Remember"\n    ' + _sentence(seed + 30, 12),
        "## Summary",
        _paragraph(seed + 40, 2),
    ]
    if lesson % 5 == 0:
        parts.insert(5, "```python\ndef pressure(level: int) -> str:\n    return 'ok' * level\n```")
    return "\n\n".join(parts) + "\n"


def write_scale(root: Path, courses: int, lessons: int) -> int:
    """Write ``courses`` courses of ``lessons`` lessons each; returns the bytes of lesson text."""
    total = 0
    per_module = max(1, lessons // MODULES_PER_COURSE)
    for c in range(1, courses + 1):
        course_dir = root / f"scale-{c:03d}"
        modules = [f"m{m}" for m in range(1, MODULES_PER_COURSE + 1)]
        (course_dir).mkdir(parents=True, exist_ok=True)
        (course_dir / "course.md").write_text(
            "---\n"
            f"id: scale-{c:03d}\n"
            f'title: "Scale course {c}"\n'
            f"summary: Generated course number {c} for the scale benchmark.\n"
            'version: "1.0"\n'
            "status: published\n"
            "level: beginner\n"
            "estimated_hours: 5\n"
            "modules:\n" + "".join(f"  - {m}\n" for m in modules) + "---\n\n"
            f"{_paragraph(c, 3)}\n"
        )
        for m, module in enumerate(modules, start=1):
            module_dir = course_dir / module
            module_dir.mkdir(exist_ok=True)
            names = [f"lesson-{i:02d}.md" for i in range(1, per_module + 1)]
            quiz = m == MODULES_PER_COURSE
            (module_dir / "module.md").write_text(
                "---\n"
                f"id: mod-{m}\n"
                f"title: Module {m}\n"
                "lessons:\n"
                + "".join(f"  - {name}\n" for name in names)
                + ("quizzes:\n  - quiz.md\n" if quiz else "")
                + "---\n"
            )
            for i, name in enumerate(names, start=1):
                body = lesson_body(c, m, i)
                total += len(body)
                (module_dir / name).write_text(
                    "---\n"
                    f"id: m{m}-lesson-{i:02d}\n"
                    f"title: Module {m}, lesson {i}\n"
                    "minutes: 5\n"
                    "objectives:\n"
                    f"  - {_sentence(c + i, 6)}\n"
                    "---\n\n" + body
                )
            if quiz:
                (module_dir / "quiz.md").write_text(
                    _quiz(f"scale-quiz-{c}", 3, attempts="unlimited")
                )
    return total


def _question(n: int) -> str:
    kind = ("single", "multiple", "true_false", "short", "numeric")[n % 5]
    head = f"```question\nid: q-{n:02d}\ntype: {kind}\nprompt: Question {n}, {_sentence(n, 8)}\n"
    if kind == "single":
        body = "choices:\n" + "".join(
            f"  - text: Option {k} {WORDS[(n + k) % len(WORDS)]}\n"
            + ("    correct: true\n" if k == 1 else "")
            for k in range(1, 5)
        )
    elif kind == "multiple":
        body = "choices:\n" + "".join(
            f"  - text: Option {k} {WORDS[(n + k) % len(WORDS)]}\n"
            + ("    correct: true\n" if k in (1, 2) else "")
            for k in range(1, 5)
        )
    elif kind == "true_false":
        body = f"answer: {'true' if n % 2 else 'false'}\n"
    elif kind == "short":
        body = "answers: [palpation, touch]\n"
    else:
        body = f"answers:\n  - value: {1900 + n}\n"
    return head + body + "```\n"


def _quiz(quiz_id: str, questions: int, *, attempts: str, extra: str = "") -> str:
    return (
        "---\n"
        f"id: {quiz_id}\n"
        f"title: Quiz {quiz_id}\n"
        f"attempts: {attempts}\n"
        f"{extra}"
        "---\n\n"
        "Answer every question.\n\n" + "\n".join(_question(n) for n in range(1, questions + 1))
    )


EXAM_COURSE = "load-exam"
EXAM_QUIZ = "class-exam"
EXAM_QUESTIONS = 20
EXAM_PER_PAGE = 2


def write_exam(root: Path) -> None:
    """One course with a timed exam: 20 questions, 10 pages, one attempt, 30 minutes."""
    course_dir = root / EXAM_COURSE
    module_dir = course_dir / "exam"
    module_dir.mkdir(parents=True, exist_ok=True)
    (course_dir / "course.md").write_text(
        "---\n"
        f"id: {EXAM_COURSE}\n"
        'title: "Load test: the class exam"\n'
        "summary: One timed exam taken by a whole class at once.\n"
        'version: "1.0"\n'
        "status: published\n"
        "level: beginner\n"
        "estimated_hours: 1\n"
        "certificate: true\n"
        "modules:\n  - exam\n"
        "completion:\n"
        "  lessons: []\n"
        f"  quizzes:\n    {EXAM_QUIZ}: 0\n"
        "---\n\nThe exam course for `make loadtest`.\n"
    )
    (module_dir / "module.md").write_text(
        "---\nid: exam-module\ntitle: Exam\nlessons:\n  - intro.md\nquizzes:\n  - exam.md\n---\n"
    )
    (module_dir / "intro.md").write_text(
        "---\nid: exam-intro\ntitle: Before the exam\nminutes: 1\n---\n\n" + lesson_body(0, 0, 1)
    )
    (module_dir / "exam.md").write_text(
        _quiz(
            EXAM_QUIZ,
            EXAM_QUESTIONS,
            attempts="1",
            extra=(
                "time_limit: 30\n"
                f"per_page: {EXAM_PER_PAGE}\n"
                "shuffle_questions: true\n"
                "shuffle_choices: true\n"
                "grading: first\n"
                "review: after_submit\n"
            ),
        )
    )


def copy_repo_courses(root: Path) -> None:
    """The repository's own courses, so the normal pages exist next to generated ones."""
    source = Path(__file__).resolve().parent.parent / "courses"
    for course in source.iterdir():
        if course.is_dir():
            shutil.copytree(course, root / course.name, dirs_exist_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=["scale", "exam"])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--courses", type=int, default=200)
    parser.add_argument("--lessons", type=int, default=50)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    if args.kind == "scale":
        size = write_scale(args.dir, args.courses, args.lessons)
        print(f"{args.courses} courses x {args.lessons} lessons, {size / 1e6:.1f} MB of lessons")
    else:
        write_exam(args.dir)
        print(f"exam course in {args.dir / EXAM_COURSE}")


if __name__ == "__main__":
    main()
