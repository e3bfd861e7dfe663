"""One enrollment and one completion per student, whatever the number of parallel requests."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from learnapp.progress.models import Enrollment, LessonCompletion


def count(db, model) -> int:
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.conc
def test_twenty_parallel_enrolls_make_one_enrollment(parallel_post, basics, login, student, db):
    login(student)
    statuses = parallel_post("/courses/basics/enroll")
    assert set(statuses) == {302}, statuses
    assert count(db, Enrollment) == 1


@pytest.mark.conc
def test_twenty_parallel_completions_make_one_row(parallel_post, basics, login, student, db):
    login(student)
    statuses = parallel_post("/courses/basics/lessons/basics-intro/complete")
    assert set(statuses) == {302}, statuses
    assert count(db, LessonCompletion) == 1
    assert count(db, Enrollment) == 1
