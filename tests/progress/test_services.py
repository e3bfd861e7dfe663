"""Enrollment, completion rules, retired items, prerequisites and resume."""

from __future__ import annotations

from decimal import Decimal

import pytest

from learnapp.catalog.models import CourseInstructor
from learnapp.extensions import db
from learnapp.progress import services
from learnapp.progress.models import Enrollment, LessonCompletion


def progress(user, course):
    return services.course_progress(user, course)


def complete(user, course, *lessons):
    for lesson in lessons:
        services.complete_lesson(user, course, lesson)
    db.session.commit()


# --- enrollment and completion rows -------------------------------------------------------------


def test_enrolling_twice_keeps_one_row(basics, student):
    first = services.enroll(student, basics)
    second = services.enroll(student, basics)
    assert first.id == second.id
    assert db.session.scalar(db.select(db.func.count(Enrollment.id))) == 1


def test_unenrolling_keeps_the_row_and_reenrolling_clears_it(basics, student, lesson):
    enrollment = services.enroll(student, basics)
    complete(student, basics, lesson("basics-intro"))
    assert services.unenroll(student, basics) is True
    assert enrollment.unenrolled_at is not None
    assert services.unenroll(student, basics) is False
    state = progress(student, basics)
    assert not state.is_enrolled
    assert state.was_enrolled
    assert state.lesson(lesson("basics-intro").id).is_done  # history kept
    services.enroll(student, basics)
    assert enrollment.unenrolled_at is None
    assert progress(student, basics).is_enrolled
    assert db.session.scalar(db.select(db.func.count(Enrollment.id))) == 1


def test_completing_a_lesson_enrolls_and_happens_once(basics, student, lesson):
    intro = lesson("basics-intro")
    assert services.complete_lesson(student, basics, intro) is True
    assert services.complete_lesson(student, basics, intro) is False
    assert services.get_enrollment(student, basics).is_active
    assert db.session.scalar(db.select(db.func.count(LessonCompletion.id))) == 1


# --- completion rules -----------------------------------------------------------------------------


def test_course_needs_every_lesson_and_the_passing_score(
    basics, student, lesson, basics_quiz, submit_result
):
    complete(student, basics, lesson("basics-intro"), lesson("basics-second"))
    state = progress(student, basics)
    assert (state.done, state.total, state.percent) == (2, 4, 50)
    assert [item.slug for item in state.missing] == ["basics-third", "basics-quiz"]
    complete(student, basics, lesson("basics-third"))
    submit_result(student, basics_quiz, "69.99")
    state = progress(student, basics)
    assert not state.is_complete
    assert state.missing[0].best == Decimal("69.99")
    assert state.missing[0].passing == 70
    submit_result(student, basics_quiz, 70)
    state = progress(student, basics)
    assert state.is_complete
    assert state.percent == 100


def test_the_quiz_grading_method_decides_the_score_that_counts(
    basics, student, basics_quiz, submit_result
):
    basics_quiz.settings = {**basics_quiz.settings, "grading": "latest"}
    db.session.commit()
    submit_result(student, basics_quiz, 90)
    submit_result(student, basics_quiz, 40)
    item = progress(student, basics).quiz(basics_quiz.id)
    assert item.best == 40
    assert not item.is_done


def test_practice_quizzes_never_block_completion(basics, student, lesson, basics_quiz):
    basics.completion = {"lessons": [], "all_lessons": True, "quizzes": {}}
    db.session.commit()
    complete(student, basics, lesson("basics-intro"), lesson("basics-second"))
    complete(student, basics, lesson("basics-third"))
    state = progress(student, basics)
    assert state.is_complete
    assert not state.quiz(basics_quiz.id).is_required


def test_only_the_listed_lessons_are_required(basics, student, lesson):
    basics.completion = {"lessons": ["basics-intro"], "all_lessons": False, "quizzes": {}}
    db.session.commit()
    assert progress(student, basics).total == 1
    complete(student, basics, lesson("basics-intro"))
    assert progress(student, basics).is_complete


def test_retired_items_are_ignored_and_their_rows_kept(basics, student, lesson):
    basics.completion = {"lessons": [], "all_lessons": True, "quizzes": {}}
    basics.modules[1].prerequisites = []
    third = lesson("basics-third")
    db.session.commit()
    complete(student, basics, lesson("basics-intro"), third)
    third.is_retired = True  # as a sync does when the file drops the lesson
    basics.content_hash = "without-third"  # a sync that changes rows gives a new version
    db.session.commit()
    state = progress(student, basics)
    assert (state.done, state.total) == (1, 2)
    third.is_retired = False  # the lesson comes back: so does its completion
    basics.content_hash = "with-third-again"
    db.session.commit()
    assert progress(student, basics).done == 2


def test_progress_follows_a_lesson_added_to_the_course(courses_root, sync, student, db):
    from learnapp.catalog.models import Course, Lesson

    sync()
    course = db.session.scalar(db.select(Course).filter_by(slug="basics"))
    intro = db.session.scalar(db.select(Lesson).filter_by(slug="basics-intro"))
    complete(student, course, intro)
    assert progress(student, course).total == 4
    module = courses_root / "basics/01-start"
    (module / "extra.md").write_text(
        "---\nid: basics-extra\ntitle: Extra\nminutes: 2\n---\nMore.\n"
    )
    listing = (module / "module.md").read_text()
    (module / "module.md").write_text(
        listing.replace("  - second.md\n", "  - second.md\n  - extra.md\n")
    )
    assert sync().ok
    state = progress(student, course)
    assert (state.done, state.total) == (1, 5)


# --- prerequisites and locks ----------------------------------------------------------------------


def test_a_lesson_waits_for_its_prerequisite(basics, student, lesson):
    services.enroll(student, basics)
    second = progress(student, basics).lesson(lesson("basics-second").id)
    assert second.locked
    assert second.lock_message == "To unlock this, complete “Introduction”."
    complete(student, basics, lesson("basics-intro"))
    assert not progress(student, basics).lesson(lesson("basics-second").id).locked


def test_lessons_and_quizzes_wait_for_their_module_prerequisites(
    basics, student, lesson, basics_quiz
):
    services.enroll(student, basics)
    complete(student, basics, lesson("basics-intro"))
    state = progress(student, basics)
    third, quiz = state.lesson(lesson("basics-third").id), state.quiz(basics_quiz.id)
    assert third.locked
    assert quiz.locked
    assert quiz.lock_message == "To unlock this, complete the lessons of “Getting started”."
    assert state.modules[1].locked
    complete(student, basics, lesson("basics-second"))
    state = progress(student, basics)
    assert not state.lesson(lesson("basics-third").id).locked
    assert not state.quiz(basics_quiz.id).locked


def test_a_quiz_prerequisite_needs_the_passing_score(
    basics, student, lesson, basics_quiz, submit_result
):
    third = lesson("basics-third")
    third.prerequisites = ["basics-quiz"]
    basics.modules[1].prerequisites = []
    db.session.commit()
    services.enroll(student, basics)
    submit_result(student, basics_quiz, 50)
    item = progress(student, basics).lesson(third.id)
    assert item.lock_message == "To unlock this, pass “Basics quiz” with at least 70%."
    submit_result(student, basics_quiz, 75)
    assert not progress(student, basics).lesson(third.id).locked


def test_a_practice_quiz_prerequisite_needs_a_submission(
    basics, student, lesson, basics_quiz, submit_result
):
    basics.completion = {"lessons": [], "all_lessons": True, "quizzes": {}}
    third = lesson("basics-third")
    third.prerequisites = ["basics-quiz"]
    basics.modules[1].prerequisites = []
    db.session.commit()
    services.enroll(student, basics)
    assert progress(student, basics).lesson(third.id).lock_message == (
        "To unlock this, submit “Basics quiz”."
    )
    submit_result(student, basics_quiz, 10)
    assert not progress(student, basics).lesson(third.id).locked


def test_several_blockers_are_listed_together(basics, student, lesson):
    third = lesson("basics-third")
    third.prerequisites = ["basics-intro"]
    db.session.commit()
    services.enroll(student, basics)
    assert progress(student, basics).lesson(third.id).lock_message == (
        "To unlock this, complete “Introduction” and complete the lessons of “Getting started”."
    )


def test_visitors_who_have_not_enrolled_are_not_locked(basics, student, lesson):
    assert not progress(student, basics).lesson(lesson("basics-second").id).locked
    assert not services.course_progress(None, basics).lesson(lesson("basics-second").id).locked


@pytest.mark.parametrize("who", ["instructor", "admin", "assigned"])
def test_instructors_and_admins_are_never_locked(
    basics, lesson, basics_quiz, instructor, admin, make_user, who
):
    user = {"instructor": instructor, "admin": admin}.get(who)
    if user is None:
        user = make_user(role="instructor")
        db.session.add(CourseInstructor(course_id=basics.id, user_id=user.id))
        db.session.commit()
    services.enroll(user, basics)
    state = progress(user, basics)
    assert state.is_staff
    assert not state.lesson(lesson("basics-third").id).locked
    assert not state.quiz(basics_quiz.id).locked
    services.complete_lesson(user, basics, lesson("basics-third"))
    services.ensure_quiz_unlocked(user, basics, basics_quiz)


def test_an_instructor_of_another_course_is_locked(basics, lesson, make_user):
    other = make_user(role="instructor")
    services.enroll(other, basics)
    assert progress(other, basics).lesson(lesson("basics-second").id).locked


def test_completing_a_locked_lesson_is_refused(basics, student, lesson):
    with pytest.raises(services.ItemLocked, match="complete “Introduction”"):
        services.complete_lesson(student, basics, lesson("basics-second"))


def test_starting_a_locked_quiz_is_refused(basics, student, basics_quiz):
    services.enroll(student, basics)
    with pytest.raises(services.ItemLocked, match="Getting started"):
        services.ensure_quiz_unlocked(student, basics, basics_quiz)


# --- resume ---------------------------------------------------------------------------------------


def test_continue_walks_the_course_in_order(basics, student, lesson, basics_quiz, submit_result):
    services.enroll(student, basics)
    order = []
    for slug in ["basics-intro", "basics-second", "basics-third"]:
        order.append(progress(student, basics).next_item.slug)
        complete(student, basics, lesson(slug))
    order.append(progress(student, basics).next_item.slug)
    assert order == ["basics-intro", "basics-second", "basics-third", "basics-quiz"]
    submit_result(student, basics_quiz, 100)
    assert progress(student, basics).next_item is None


def test_continue_skips_what_is_done_out_of_order(basics, student, lesson):
    basics.modules[1].prerequisites = []
    db.session.commit()
    complete(student, basics, lesson("basics-intro"), lesson("basics-third"))
    assert progress(student, basics).next_item.slug == "basics-second"


def test_module_progress_counts_its_required_items(basics, student, lesson):
    complete(student, basics, lesson("basics-intro"))
    first, second = progress(student, basics).modules
    assert (first.done, first.total, first.percent) == (1, 2, 50)
    assert (second.done, second.total) == (0, 2)
