"""An essay quiz added to the test course (``02-more/essays.md``), for the grading tests.

Kept out of tests/data/courses: the tests there answer every question automatically.
"""

from __future__ import annotations

from pathlib import Path

ESSAY_QUIZ = """---
id: essay-quiz
title: Case studies
attempts: 2
review: after_submit
---
Two short cases and one check.

```question
id: q-essay-rubric
type: essay
prompt: A patient has night pain. What would you ask, and would you treat?
min_words: 5
max_words: 200
model_answer: Ask about red flags first; refer before treating.
rubric:
  - id: flags
    criterion: Asks about red flags
    levels:
      - {points: 0, text: Not mentioned}
      - {points: 2, text: Some}
      - {points: 4, text: All that matter}
  - id: decision
    criterion: Decision
    levels:
      - {points: 0, text: Missing}
      - {points: 2, text: Reasoned}
```

```question
id: q-essay-free
type: essay
points: 4
prompt: Describe a trigger point in your own words.
```

```question
id: q-essay-check
type: true_false
prompt: Red flags come first.
answer: true
```
"""


def add_essay_quiz(root: Path, passing: int | None = None) -> None:
    """Write the quiz into ``root``'s basics course; with ``passing``, completing the course
    also needs a pass at it."""
    course = root / "basics"
    (course / "02-more" / "essays.md").write_text(ESSAY_QUIZ, encoding="utf-8")
    module = course / "02-more" / "module.md"
    module.write_text(
        module.read_text().replace("  - quiz.md\n", "  - quiz.md\n  - essays.md\n"),
        encoding="utf-8",
    )
    if passing is not None:
        course_md = course / "course.md"
        course_md.write_text(
            course_md.read_text().replace(
                "    basics-quiz: 70\n", f"    basics-quiz: 70\n    essay-quiz: {passing}\n"
            ),
            encoding="utf-8",
        )
