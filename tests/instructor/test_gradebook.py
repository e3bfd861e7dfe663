"""Gradebook figures against values computed by hand, the pure rules, and the page itself.

The fixture course ``basics`` requires its three lessons and ``basics-quiz`` at 70 % (grading
``highest``), so every student has 4 required items.

=====  ==========================  ==================================  ========  ===========
who    lessons                     attempts (percent @ time)           progress  completed
=====  ==========================  ==================================  ========  ===========
Ann    intro@1h second@2h third@3h  50@4h, 80@5h, 60@6h -> 80, passed   4/4 100%  5h (the 80)
Bob    intro@1h                    #1 100 discarded, #2 60 -> 60       1/4 25%   -
Cy     (never enrolled)            40@1h -> 40                         0/4 0%    -
Dee    all three @1h               30@2h, set by hand 75 @7h           4/4 100%  7h (manual)
Eve    (left the course)           none                                0/4 0%    -
=====  ==========================  ==================================  ========  ===========

The course's instructor and an admin, with attempts of their own, are not students.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from learnapp.certificates.models import Certificate
from learnapp.extensions import db
from learnapp.instructor import gradebook as gb
from learnapp.instructor import services
from learnapp.quizzes import lifecycle
from learnapp.quizzes.models import DISCARDED, ScoreOverride

from .conftest import T0

H = timedelta(hours=1)


@pytest.fixture
def classroom(courses, quiz, make_user, enroll, complete, attempt_at, instructor, admin):
    basics = courses["basics"]
    ann = make_user(display_name="Ann Archer", email="ann@example.com")
    bob = make_user(display_name="Bob Baker", email="bob@example.com")
    cy = make_user(display_name="Cy Cole", email="cy@example.com")
    dee = make_user(display_name="Dee Dunn", email="dee@example.com")
    eve = make_user(display_name="Eve Evans", email="eve@example.com")
    for student in (ann, bob, dee):
        enroll(student, basics)
    enroll(eve, basics, left=True)
    for n, slug in enumerate(["basics-intro", "basics-second", "basics-third"], start=1):
        complete(ann, slug, T0 + n * H)
        complete(dee, slug, T0 + H)
    complete(bob, "basics-intro", T0 + H)
    for n, percent in enumerate([50, 80, 60], start=4):
        attempt_at(ann, quiz, percent, T0 + n * H)
    attempt_at(bob, quiz, 100, T0 + H, status=DISCARDED)
    attempt_at(bob, quiz, 60, T0 + 2 * H)
    attempt_at(cy, quiz, 40, T0 + H)
    attempt_at(dee, quiz, 30, T0 + 2 * H)
    # Dee's manual pass completes the course: the completion step issues her certificate.
    issued = lifecycle.set_manual_score(dee, quiz, Decimal(75), reason="oral exam", actor=admin)
    issued.revoked_at = T0 + 8 * H
    db.session.scalar(select(ScoreOverride).filter_by(user_id=dee.id)).set_at = T0 + 7 * H
    # Staff who tried the quiz are not students of the course.
    enroll(instructor, basics)
    attempt_at(instructor, quiz, 100, T0)
    attempt_at(admin, quiz, 100, T0)
    db.session.add(
        Certificate(
            public_id=secrets.token_urlsafe(16),
            user_id=ann.id,
            course_id=basics.id,
            name=ann.display_name,
            course_title=basics.title,
            version_label=basics.version_label,
            content_hash=basics.content_hash,
        )
    )
    db.session.commit()
    return basics


def by_name(book: services.Gradebook) -> dict[str, gb.GradebookRow]:
    return {row.name.split()[0]: row for row in book.rows}


def test_figures_match_the_hand_computed_table(classroom):
    book = services.build_gradebook(classroom)
    rows = by_name(book)
    assert set(rows) == {"Ann", "Bob", "Cy", "Dee", "Eve"}
    assert book.quizzes == [gb.QuizColumn("basics-quiz", "Basics quiz", 70)]
    expected = {
        #      percent done enrolled  score            manual  passed  completed at
        "Ann": (100, 4, True, Decimal("80.00"), False, True, T0 + 5 * H),
        "Bob": (25, 1, True, Decimal("60.00"), False, False, None),
        "Cy": (0, 0, None, Decimal("40.00"), False, False, None),
        "Dee": (100, 4, True, Decimal("75.00"), True, True, T0 + 7 * H),
        "Eve": (0, 0, False, None, False, False, None),
    }
    for name, (percent, done, enrolled, score, manual, passed, completed) in expected.items():
        row = rows[name]
        cell = row.cells["basics-quiz"]
        assert (row.percent, row.done, row.total) == (percent, done, 4), name
        assert row.enrolled is enrolled, name
        assert (cell.percent, cell.is_overridden, cell.passed) == (score, manual, passed), name
        assert row.completed_at == completed, name
    assert rows["Ann"].certificate is not None
    assert not rows["Ann"].certificate.is_revoked
    assert rows["Dee"].certificate is not None
    assert rows["Dee"].certificate.is_revoked
    assert rows["Bob"].certificate is None


def test_gradebook_agrees_with_the_students_own_progress(classroom, quiz):
    from learnapp.auth.models import User
    from learnapp.progress import services as progress

    for row in services.build_gradebook(classroom).rows:
        state = progress.course_progress(db.session.get(User, row.user_id), classroom)
        assert (row.percent, row.done, row.is_complete) == (
            state.percent,
            state.done,
            state.is_complete,
        )
        assert row.cells["basics-quiz"].percent == state.quiz(quiz.id).best


@pytest.mark.parametrize(
    ("query", "status", "names"),
    [
        ("", "", ["Ann", "Bob", "Cy", "Dee", "Eve"]),
        ("", "completed", ["Ann", "Dee"]),
        ("", "not-completed", ["Bob", "Cy", "Eve"]),
        ("BAKER", "", ["Bob"]),
        ("cy@", "", ["Cy"]),
        ("dunn", "completed", ["Dee"]),
        ("bob", "completed", []),
    ],
)
def test_filters(classroom, query, status, names):
    book = services.build_gradebook(classroom, query=query, status=status)
    assert sorted(by_name(book)) == names
    assert book.student_count == 5


@pytest.mark.parametrize(
    ("key", "descending", "names"),
    [
        ("name", False, ["Ann", "Bob", "Cy", "Dee", "Eve"]),
        ("name", True, ["Eve", "Dee", "Cy", "Bob", "Ann"]),
        ("progress", True, ["Ann", "Dee", "Bob", "Cy", "Eve"]),
        ("quiz:basics-quiz", True, ["Ann", "Dee", "Bob", "Cy", "Eve"]),  # no score: last
        ("quiz:basics-quiz", False, ["Cy", "Bob", "Dee", "Ann", "Eve"]),
        ("completed", False, ["Ann", "Dee", "Bob", "Cy", "Eve"]),
    ],
)
def test_sorting(classroom, key, descending, names):
    rows = gb.sort_rows(services.build_gradebook(classroom).rows, key, descending)
    assert [row.name.split()[0] for row in rows] == names


def test_the_page_shows_the_figures_sorted_and_marked(classroom, client, login, instructor):
    login(instructor)
    page = client.get("/instruct/courses/basics/gradebook?sort=quiz:basics-quiz&dir=desc").get_data(
        as_text=True
    )
    assert page.index("Ann Archer") < page.index("Dee Dunn") < page.index("Bob Baker")
    assert 'aria-sort="descending"' in page
    assert "set by hand" in page
    assert "revoked" in page
    assert "instructor@example.com" not in page
    assert "admin@example.com" not in page
    assert "<caption" in page
    assert 'scope="col"' in page
    assert 'scope="row"' in page


def test_paging(classroom, client, login, instructor, monkeypatch):
    monkeypatch.setattr(gb, "PAGE_SIZE", 2)
    monkeypatch.setattr(gb.paginate, "__defaults__", (2,))
    login(instructor)
    page = client.get("/instruct/courses/basics/gradebook?page=2").get_data(as_text=True)
    assert "Cy Cole" in page
    assert "Dee Dunn" in page
    assert "Ann Archer" not in page
    assert "Eve Evans" not in page
    assert "Page 2 of 3" in page


def test_empty_states(courses, client, login, instructor):
    login(instructor)
    page = client.get("/instruct/courses/basics/gradebook").get_data(as_text=True)
    assert "No students yet" in page
    page = client.get("/instruct/courses/basics/gradebook?q=nobody").get_data(as_text=True)
    assert "No students yet" in page


def test_no_match_state(classroom, client, login, instructor):
    login(instructor)
    page = client.get("/instruct/courses/basics/gradebook?q=zzz").get_data(as_text=True)
    assert "No student matches these filters" in page


# --- pure rules -------------------------------------------------------------------------------


def test_passed_at_highest_keeps_the_first_passing_attempt():
    attempts = [(1, Decimal(50), T0), (2, Decimal(80), T0 + H), (3, Decimal(90), T0 + 2 * H)]
    assert gb.passed_at(attempts, "highest", 70) == T0 + H


def test_passed_at_latest_follows_the_last_attempt():
    passed_then_failed = [(1, Decimal(80), T0), (2, Decimal(40), T0 + H)]
    assert gb.passed_at(passed_then_failed, "latest", 70) is None
    failed_then_passed = [(2, Decimal(90), T0 + 2 * H), (1, Decimal(40), T0 + H)]
    assert gb.passed_at(failed_then_passed, "latest", 70) == T0 + 2 * H


def test_passed_at_first_only_counts_attempt_one():
    attempts = [(1, Decimal(40), T0), (2, Decimal(100), T0 + H)]
    assert gb.passed_at(attempts, "first", 70) is None


def test_a_manual_score_replaces_the_attempts():
    attempts = [(1, Decimal(100), T0)]
    assert gb.passed_at(attempts, "highest", 70, (Decimal(10), T0 + H)) is None
    assert gb.passed_at([], "highest", 70, (Decimal(70), T0 + H)) == T0 + H


def test_completed_at_needs_every_item():
    assert gb.completed_at([T0, T0 + H]) == T0 + H
    assert gb.completed_at([T0, None]) is None
    assert gb.completed_at([]) is None


def test_paginate_clamps_the_page_number():
    rows = [gb.GradebookRow(i, f"n{i}", f"e{i}", True, 0, 0, 0, None) for i in range(5)]
    assert gb.paginate(rows, 9, size=2).number == 3
    assert gb.paginate(rows, -1, size=2).rows == rows[:2]
    assert gb.paginate([], 1).pages == 1
