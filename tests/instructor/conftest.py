"""Fixtures for the instructor area: a second course with its own instructor, the five
principals of the route x role matrix, and quick attempts with chosen times."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from learnapp.auth.models import Role, User
from learnapp.catalog.models import Course, Lesson, Quiz
from learnapp.database import utcnow
from learnapp.extensions import db
from learnapp.progress.models import Enrollment, LessonCompletion
from learnapp.quizzes.models import SUBMITTED, QuizAttempt

OTHER_TEACHER = "teacher2@example.com"

OTHER_COURSE = {
    "course.md": f"""---
id: other
title: Another course
summary: Taught by someone else.
version: "2.0"
status: published
level: beginner
estimated_hours: 1
instructors: [{OTHER_TEACHER}]
modules:
  - 01-only
completion:
  lessons: all
---
Another course.
""",
    "01-only/module.md": """---
id: other-m1
title: Only module
lessons:
  - lesson.md
---
""",
    "01-only/lesson.md": """---
id: other-lesson
title: Other lesson
minutes: 3
---
Text.
""",
}

#: A fixed clock for completion dates.
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=utcnow().tzinfo)


def write_course(root: Path, folder: str, files: dict[str, str]) -> None:
    for relpath, text in files.items():
        path = root / folder / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture
def courses(courses_root, make_user, sync) -> dict[str, Course]:
    """``basics`` (taught by instructor@example.com) and ``other`` (by teacher2@example.com)."""
    write_course(courses_root, "other", OTHER_COURSE)
    make_user(email=OTHER_TEACHER, role=Role.INSTRUCTOR, display_name="Otto Other")
    report = sync()
    assert report.ok, report.problems
    return {course.slug: course for course in db.session.scalars(db.select(Course)).all()}


@pytest.fixture
def basics_course(courses) -> Course:
    return courses["basics"]


@pytest.fixture
def quiz(courses) -> Quiz:
    return db.session.scalar(db.select(Quiz).filter_by(slug="basics-quiz"))


@pytest.fixture
def people(courses, make_user, instructor, admin) -> dict[str, User]:
    """The principals: a student of basics, the other course's instructor, basics'
    instructor and an admin."""
    return {
        "student": make_user(email="learner@example.com", display_name="Lee Learner"),
        "other_instructor": db.session.scalar(db.select(User).filter_by(email=OTHER_TEACHER)),
        "instructor": instructor,
        "admin": admin,
    }


@pytest.fixture
def enroll() -> Callable[..., Enrollment]:
    def make(user: User, course: Course, *, left: bool = False) -> Enrollment:
        row = Enrollment(user_id=user.id, course_id=course.id, enrolled_at=T0)
        if left:
            row.unenrolled_at = T0 + timedelta(days=1)
        db.session.add(row)
        db.session.commit()
        return row

    return make


@pytest.fixture
def complete() -> Callable[..., LessonCompletion]:
    def make(user: User, lesson_slug: str, at: datetime) -> LessonCompletion:
        lesson = db.session.scalar(db.select(Lesson).filter_by(slug=lesson_slug))
        row = LessonCompletion(user_id=user.id, lesson_id=lesson.id, completed_at=at)
        db.session.add(row)
        db.session.commit()
        return row

    return make


@pytest.fixture
def attempt_at() -> Callable[..., QuizAttempt]:
    """``attempt_at(user, quiz, percent, at, number=None, status=SUBMITTED)``: a graded attempt
    (no answer rows) submitted at ``at``."""

    def make(
        user: User,
        quiz: Quiz,
        percent: int | str | None,
        at: datetime,
        *,
        number: int | None = None,
        status: str = SUBMITTED,
    ) -> QuizAttempt:
        if number is None:
            number = 1 + len(
                db.session.scalars(
                    db.select(QuizAttempt).filter_by(user_id=user.id, quiz_id=quiz.id)
                ).all()
            )
        graded = percent is not None and status != "open"
        attempt = QuizAttempt(
            user_id=user.id,
            quiz_id=quiz.id,
            number=number,
            status=status,
            started_at=at - timedelta(minutes=10),
            submitted_at=at if graded else None,
            token_nonce=secrets.token_hex(16),
            score=Decimal(percent) if graded else None,
            max_score=Decimal(100),
            percent=Decimal(percent) if graded else None,
        )
        db.session.add(attempt)
        db.session.commit()
        return attempt

    return make
