"""Fixtures for certificates: a student who completed the test course, and their certificate."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from learnapp.auth.models import User
from learnapp.catalog.models import Course
from learnapp.certificates import services
from learnapp.certificates.models import Certificate
from learnapp.extensions import db
from learnapp.progress import services as progress

LESSONS = ("basics-intro", "basics-second", "basics-third")


@pytest.fixture
def finish(basics, lesson, basics_quiz, submit_result) -> Callable[..., None]:
    """``finish(user, percent=90)``: complete every lesson and submit the quiz with ``percent``."""

    def run(user: User, percent: int | str = 90, lessons: tuple[str, ...] = LESSONS) -> None:
        for slug in lessons:
            progress.complete_lesson(user, basics, lesson(slug))
        db.session.commit()
        submit_result(user, basics_quiz, percent)

    return run


@pytest.fixture
def certificate(basics: Course, student: User, finish) -> Certificate:
    finish(student)
    issued = services.issue_if_complete(student, basics)
    db.session.commit()
    assert issued is not None
    return issued
