"""Property tests: arbitrary front matter and question YAML never crash the loader.

Every problem must name a file of the course and a line inside it (RELIABILITY check 16).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learnapp.content import load_course
from learnapp.content.errors import Location
from learnapp.content.quality import check_quality
from learnapp.content.yamlmarks import load_yaml
from learnapp.quizzes.questions import QUESTION_TYPES
from tests.content.conftest import BASE

KEYS = [
    "id", "title", "summary", "version", "status", "level", "estimated_hours", "instructors",
    "authors", "reviewed_by", "last_reviewed", "certificate", "modules", "completion", "minutes",
    "language",
    "prerequisites", "objectives",
    "lessons", "quizzes", "attempts", "time_limit", "opens_at", "closes_at", "per_page", "draw",
    "grading", "review", "type", "prompt", "points", "tags", "explanation", "lesson", "choices",
    "answer", "answers", "pattern", "case_sensitive", "pairs", "distractors", "items", "text",
    "correct", "weight", "feedback", "value", "tolerance", "min", "max", "blueprint", "assessed",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["all", "unlimited", "one", "two.md", "m1", "../x", "q1", "single", "#a"]),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), children, max_size=5
        ),
    ),
    max_leaves=20,
)
mappings = st.dictionaries(
    st.one_of(st.sampled_from(KEYS), st.text(max_size=10)), values, max_size=10
)
question_mappings = st.fixed_dictionaries(
    {"type": st.one_of(st.sampled_from(sorted(QUESTION_TYPES)), st.text(max_size=8))},
    optional={"id": st.sampled_from(["q1", "q2", "Bad Id"]), "prompt": st.text(max_size=20)},
).flatmap(lambda base: mappings.map(lambda extra: {**extra, **base}))


def dump(value: Any) -> str:
    return yaml.safe_dump(value, allow_unicode=True, sort_keys=False)


def load_with(files: dict[str, str]) -> None:
    """Write BASE with ``files`` over it, load it, and check every problem's location."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "course"
        for rel, text in {**BASE, **files}.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        result = load_course(root)
        quality = check_quality(result.course) if result.course is not None else []
        for problem in [*result.problems, *quality]:
            assert problem.line >= 1
            assert problem.path.startswith(str(root))
            assert "internal error" not in problem.message
            path = Path(problem.path)
            if path.is_file():
                count = len(path.read_text(encoding="utf-8").splitlines())
                assert problem.line <= count + 1, problem
        if result.course is None:
            assert any(p.is_error for p in result.problems)


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(
    front=mappings, target=st.sampled_from(["course.md", "m1/module.md", "m1/one.md", "m1/quiz.md"])
)
def test_arbitrary_front_matter_never_crashes(front: dict[str, Any], target: str) -> None:
    body = BASE[target].split("---\n", 2)[2]
    load_with({target: f"---\n{dump(front)}---\n{body}"})


@FAST
@given(text=st.text(max_size=200), target=st.sampled_from(["course.md", "m1/one.md", "m1/quiz.md"]))
def test_arbitrary_front_matter_text_never_crashes(text: str, target: str) -> None:
    load_with({target: f"---\n{text}\n---\nBody [x](one.md)\n"})


@FAST
@given(question=question_mappings)
def test_arbitrary_question_yaml_never_crashes(question: dict[str, Any]) -> None:
    quiz = f"---\nid: demo-quiz\ntitle: Quiz\n---\nIntro.\n\n```question\n{dump(question)}```\n"
    load_with({"m1/quiz.md": quiz})


@FAST
@given(text=st.text(max_size=300))
def test_arbitrary_question_text_never_crashes(text: str) -> None:
    quiz = f"---\nid: demo-quiz\ntitle: Quiz\n---\n```question\n{text}\n```\n"
    load_with({"m1/quiz.md": quiz})


@FAST
@given(body=st.text(alphabet=st.characters(codec="utf-8"), max_size=400))
def test_arbitrary_lesson_markdown_never_crashes(body: str) -> None:
    load_with({"m1/one.md": BASE["m1/one.md"] + body})


@settings(max_examples=200, deadline=None)
@given(question=question_mappings)
def test_question_parse_raises_only_course_file_errors(question: dict[str, Any]) -> None:
    from learnapp.content.errors import CourseFileError

    raw, _ = load_yaml(dump(question), Location("q.md", 2))
    if not isinstance(raw, dict) or raw.get("type") not in QUESTION_TYPES:
        return
    spec, problems = QUESTION_TYPES[raw["type"]].parse_with_problems(raw, Location("q.md", 1))
    assert all(p.line >= 1 and p.path == "q.md" for p in problems)
    if spec is None:
        assert any(p.is_error for p in problems)
        with pytest.raises(CourseFileError):
            QUESTION_TYPES[raw["type"]].parse(raw, Location("q.md", 1))
    else:
        assert spec.points >= 1
