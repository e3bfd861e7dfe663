"""A tiny valid course written to a temp folder, with per-test file overrides."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

BASE: dict[str, str] = {
    "course.md": """---
id: demo
title: Demo
summary: A demo course.
version: "1"
level: beginner
estimated_hours: 2
instructors: [teacher@example.com]
modules:
  - m1
---
Landing text.
""",
    "m1/module.md": """---
id: demo-m1
title: Module one
lessons:
  - one.md
  - two.md
quizzes:
  - quiz.md
---
""",
    "m1/one.md": """---
id: one
title: One
minutes: 5
---
## First heading

Text of lesson one.
""",
    "m1/two.md": """---
id: two
title: Two
minutes: 5
---
## Second heading

Text of lesson two.
""",
    "m1/quiz.md": """---
id: demo-quiz
title: Quiz
---
```question
id: q1
type: single
prompt: Pick A.
choices:
  - text: A
    correct: true
  - text: B
```
""",
}

MakeCourse = Callable[..., Path]


@pytest.fixture
def make_course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MakeCourse:
    """Write BASE plus overrides (None deletes a file) to ./demo; return the relative path."""
    monkeypatch.chdir(tmp_path)

    def make(files: dict[str, str | None] | None = None, name: str = "demo") -> Path:
        merged: dict[str, str | None] = {**BASE, **(files or {})}
        for rel, text in merged.items():
            if text is None:
                continue
            path = tmp_path / name / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return Path(name)

    return make
