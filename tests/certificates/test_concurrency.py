"""One certificate per student and course, whatever the number of parallel completions."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from learnapp.certificates.models import Certificate


@pytest.mark.conc
def test_twenty_parallel_completions_make_one_certificate(
    parallel_post, basics, login, student, finish, db
):
    # Everything done but the last lesson; 20 requests complete it at once.
    finish(student, lessons=("basics-intro", "basics-second"))
    login(student)
    statuses = parallel_post("/courses/basics/lessons/basics-third/complete")
    assert set(statuses) == {302}, statuses
    db.session.commit()
    assert db.session.scalar(select(func.count(Certificate.id))) == 1


@pytest.mark.conc
def test_twenty_parallel_claims_make_one_certificate(
    parallel_post, basics, login, student, finish, db
):
    finish(student)
    login(student)
    statuses = parallel_post("/courses/basics/certificate")
    assert set(statuses) == {302}, statuses
    db.session.commit()
    assert db.session.scalar(select(func.count(Certificate.id))) == 1
