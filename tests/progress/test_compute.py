"""Invariants of the pure progress function on generated courses and histories."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from learnapp.catalog.snapshots import CourseSnapshot
from learnapp.progress.compute import NO_ROWS, CourseProgress, StudentRows, compute
from tests.progress.generated import courses_and_histories, make_course

RUNS = settings(max_examples=300, deadline=None)


def _states(state: CourseProgress) -> dict[tuple[str, int], tuple[bool, bool]]:
    """(kind, id) -> (done, locked) of every item."""
    return {
        (item.kind, item.id): (item.is_done, item.locked)
        for module in state.modules
        for item in module.items
    }


@RUNS
@given(courses_and_histories(), st.booleans(), st.booleans())
def test_progress_is_never_above_100_percent(course_and_history, is_staff, assume_enrolled):
    course, history = course_and_history
    state = compute(course, history, is_staff=is_staff, assume_enrolled=assume_enrolled)
    assert 0 <= state.done <= state.total
    assert 0 <= state.percent <= 100
    assert state.is_complete == (state.done == state.total)
    for module in state.modules:
        assert 0 <= module.done <= module.total
        assert 0 <= module.percent <= 100


@RUNS
@given(courses_and_histories(), st.data())
def test_progress_is_monotone_in_completions(course_and_history, data):
    """Completing more lessons never undoes an item, unlocks less, or lowers a figure."""
    course, history = course_and_history
    more = data.draw(st.lists(st.sampled_from([lesson.id for lesson in course.lessons] or [0])))
    after = replace(history, completed={**history.completed, **dict.fromkeys(more)})
    before_state = compute(course, history, is_staff=False, assume_enrolled=True)
    after_state = compute(course, after, is_staff=False, assume_enrolled=True)
    assert after_state.done >= before_state.done
    assert after_state.percent >= before_state.percent
    for module_before, module_after in zip(before_state.modules, after_state.modules, strict=True):
        assert module_after.done >= module_before.done
    before_items, after_items = _states(before_state), _states(after_state)
    for key, (done, locked) in before_items.items():
        done_after, locked_after = after_items[key]
        assert done_after or not done
        assert locked or not locked_after


def _unmet(course: CourseSnapshot, rows: StudentRows, prerequisites: tuple[str, ...]) -> bool:
    """Whether a prerequisite the course still has is not met (written apart from the code)."""
    for slug in prerequisites:
        if (lesson := course.lesson(slug)) is not None:
            if lesson.id not in rows.completed:
                return True
        elif (quiz := course.quiz(slug)) is not None:
            mark = course.completion.quizzes.get(slug)
            if mark is None:
                if quiz.id not in rows.submitted and quiz.id not in rows.overrides:
                    return True
            else:
                manual = rows.overrides.get(quiz.id)
                scores = [attempt.percent for attempt in rows.attempts.get(quiz.id, ())]
                if manual is not None:
                    scores = [manual.percent]
                elif scores and quiz.grading == "latest":
                    scores = [scores[-1]]
                elif scores and quiz.grading == "first":
                    scores = [scores[0]]
                if not scores or max(scores) < mark:
                    return True
        else:
            module = next((m for m in course.modules if m.slug == slug), None)
            lessons = module.lessons if module is not None else ()
            if any(lesson.id not in rows.completed for lesson in lessons):
                return True
    return False


@RUNS
@given(courses_and_histories(), st.booleans(), st.booleans())
def test_locks_follow_prerequisites(course_and_history, is_staff, assume_enrolled):
    course, history = course_and_history
    state = compute(course, history, is_staff=is_staff, assume_enrolled=assume_enrolled)
    locks_apply = (bool(history.enrolled) or assume_enrolled) and not is_staff
    for module_state in state.modules:
        module = module_state.module
        module_unmet = _unmet(course, history, module.prerequisites)
        assert module_state.locked == (locks_apply and module_unmet)
        for item in module_state.items:
            own = item.row.prerequisites if item.kind == "lesson" else ()
            assert item.locked == (locks_apply and (module_unmet or _unmet(course, history, own)))
    if state.next_item is not None:
        assert not state.next_item.locked
        assert not state.next_item.is_done


@RUNS
@given(courses_and_histories())
def test_a_student_who_never_enrolled_sees_nothing_locked(course_and_history):
    course, history = course_and_history
    state = compute(course, replace(history, enrolled=None), is_staff=False)
    assert not any(locked for _done, locked in _states(state).values())
    assert not state.was_enrolled


def test_an_empty_course_is_complete_at_100_percent():
    state = compute(make_course(()), NO_ROWS, is_staff=False)
    assert (state.percent, state.is_complete, state.next_item) == (100, True, None)
