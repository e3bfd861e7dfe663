import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from learnapp.catalog import services
from learnapp.catalog.models import Course, Lesson, Module, Question, QuestionVersion, Quiz
from learnapp.content import quality
from learnapp.content.errors import Problem
from learnapp.content.files import course_fingerprint


def lines(problems):
    """Problems as stored (``Course.problems``) or reported, as English ``path:line:`` lines."""
    return [str(Problem.from_json(p) if isinstance(p, dict) else p) for p in problems]


def count(db, model, **where):
    return db.session.scalar(select(func.count()).select_from(model).filter_by(**where))


def test_sync_loads_the_whole_course(basics, db):
    assert basics.title == "Course basics"
    assert basics.is_published
    assert basics.certificate_enabled
    assert basics.lesson_count == 3
    assert basics.completion["quizzes"] == {"basics-quiz": 70}
    assert [m.slug for m in basics.modules] == ["basics-m1", "basics-m2"]
    assert count(db, Lesson) == 3
    assert count(db, Quiz) == 1
    assert count(db, Question) == 7
    assert count(db, QuestionVersion) == 7
    intro = db.session.scalar(select(Lesson).filter_by(slug="basics-intro"))
    assert "<table>" in intro.html
    assert intro.toc[0][1] == "what-you-will-learn"


def test_second_sync_changes_nothing_and_renders_nothing(basics, sync, db):
    before = {
        lesson.slug: (lesson.render_key, lesson.html)
        for lesson in db.session.scalars(select(Lesson))
    }
    synced_at = basics.synced_at
    report = sync()
    assert report.unchanged == ["basics"]
    assert report.rendered_lessons == 0
    db.session.refresh(basics)
    assert basics.synced_at == synced_at
    after = {
        lesson.slug: (lesson.render_key, lesson.html)
        for lesson in db.session.scalars(select(Lesson))
    }
    assert after == before


def test_editing_one_lesson_rerenders_only_lessons_that_depend_on_it(basics, sync, edit, db):
    edit("basics/02-more/third.md", "title: Third lesson", "title: Third lesson, revised")
    report = sync()
    assert report.updated == ["basics"]
    assert report.rendered_lessons == 1
    third = db.session.scalar(select(Lesson).filter_by(slug="basics-third"))
    assert third.title == "Third lesson, revised"


def test_renaming_a_file_keeps_the_row_by_id(basics, sync, courses_root, edit, db):
    old_id = db.session.scalar(select(Lesson.id).filter_by(slug="basics-second"))
    (courses_root / "basics/01-start/second.md").rename(courses_root / "basics/01-start/renamed.md")
    edit("basics/01-start/module.md", "- second.md", "- renamed.md")
    edit("basics/01-start/intro.md", "(second.md#key-ideas)", "(renamed.md#key-ideas)")
    assert sync().updated == ["basics"]
    lesson = db.session.scalar(select(Lesson).filter_by(slug="basics-second"))
    assert lesson.id == old_id
    assert lesson.source_path.endswith("renamed.md")


def test_removed_lessons_and_questions_are_retired_not_deleted(
    basics, sync, edit, courses_root, db
):
    (courses_root / "basics/01-start/second.md").unlink()
    edit("basics/01-start/module.md", "  - second.md\n", "")
    edit("basics/01-start/intro.md", "Read on in [the second lesson](second.md#key-ideas).", "")
    edit("basics/02-more/quiz.md", "lesson: basics-second#key-ideas\n", "")
    report = sync()
    assert report.ok, report.problems
    second = db.session.scalar(select(Lesson).filter_by(slug="basics-second"))
    assert second.is_retired
    assert count(db, Lesson, is_retired=False) == 2
    db.session.refresh(basics)
    assert basics.lesson_count == 2


def test_changed_question_keeps_its_old_version(basics, sync, courses_root, db):
    quiz = courses_root / "basics/02-more/quiz.md"
    text = quiz.read_text()
    quiz.write_text(text.replace("id: q-single\n", "id: q-single\npoints: 3\n", 1))
    assert sync().updated == ["basics"]
    question = db.session.scalar(select(Question).filter_by(slug="q-single"))
    assert question.points == 3
    assert count(db, QuestionVersion, question_id=question.id) == 2


def test_broken_course_keeps_serving_last_good_version(basics, sync, edit, db, client):
    edit("basics/02-more/third.md", "title: Third lesson", "title: [unclosed")
    report = sync()
    assert report.failed == ["basics"]
    db.session.refresh(basics)
    assert basics.has_errors
    assert any("third.md:" in line for line in lines(basics.problems))
    assert db.session.scalar(select(Lesson.title).filter_by(slug="basics-third")) == "Third lesson"
    assert client.get("/courses/basics/lessons/basics-third").status_code == 200


def test_one_broken_course_does_not_stop_others(courses_root, sync, db):
    import shutil

    shutil.copytree(courses_root / "basics", courses_root / "other")
    course_md = courses_root / "other/course.md"
    course_md.write_text(
        course_md.read_text()
        .replace("id: basics", "id: other")
        .replace("level: beginner", "level: expert")
    )
    report = sync()
    assert report.created == ["basics"]
    assert report.failed == ["other"]
    assert any("other/course.md:7:" in line and "level" in line for line in lines(report.problems))


def test_removed_course_folder_is_retired(basics, sync, courses_root, db):
    import shutil

    shutil.rmtree(courses_root / "basics")
    assert sync().retired == ["basics"]
    db.session.refresh(basics)
    assert basics.is_retired
    assert services.visible_courses(None) == []


def test_unknown_instructor_emails_are_warnings(basics):
    (line,) = lines(basics.problems)
    assert line.endswith('course.md:9: warning: instructor "instructor@example.com" has no account')
    assert not basics.has_errors


def test_known_instructor_gives_no_warning(instructor, sync, db, courses_root):
    sync()
    course = db.session.scalar(select(Course).filter_by(slug="basics"))
    assert course.problems == []


def test_instructors_are_named_by_file_or_assigned(basics, instructor, make_user, db):
    other = make_user(role="instructor")
    student = make_user()
    assert services.is_course_instructor(instructor, basics)
    assert not services.is_course_instructor(other, basics)
    assert not services.is_course_instructor(student, basics)
    services.assign_instructor(basics, other)
    db.session.commit()
    assert services.is_course_instructor(other, basics)


def test_draft_courses_are_visible_to_instructors_and_admins_only(
    courses_root, edit, sync, db, instructor, admin, student
):
    edit("basics/course.md", "status: published", "status: draft")
    sync()
    course = db.session.scalar(select(Course).filter_by(slug="basics"))
    assert not services.can_see(None, course)
    assert not services.can_see(student, course)
    assert services.can_see(instructor, course)
    assert services.can_see(admin, course)


def test_modules_are_ordered_as_the_course_file_says(basics, edit, sync, db):
    edit("basics/course.md", "  - 01-start\n  - 02-more", "  - 02-more\n  - 01-start")
    edit("basics/02-more/module.md", "prerequisites: [basics-m1]\n", "")
    report = sync()
    assert report.ok, report.problems
    modules = db.session.scalars(select(Module).order_by(Module.position)).all()
    assert [m.slug for m in modules] == ["basics-m2", "basics-m1"]


# --- unchanged folders are not parsed ------------------------------------------------------


@pytest.fixture
def loads(monkeypatch) -> list[str]:
    """The course folders sync parses (every call of ``load_course``)."""
    seen: list[str] = []
    real = services.load_course

    def spy(path, *args, **kwargs):
        seen.append(Path(path).name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(services, "load_course", spy)
    return seen


@pytest.fixture
def clean(instructor, sync, db) -> Course:
    """basics synced with its instructor's account present: no problems at all."""
    sync()
    course = db.session.scalar(select(Course).filter_by(slug="basics"))
    assert course.problems == []
    return course


def test_unchanged_clean_course_is_not_parsed(clean, sync, loads, db):
    synced_at, checked_at = clean.synced_at, clean.checked_at
    report = sync()
    assert report.unchanged == ["basics"]
    assert report.ok
    assert report.problems == []
    assert report.rendered_lessons == 0
    assert loads == []
    db.session.refresh(clean)
    assert (clean.synced_at, clean.checked_at, clean.problems) == (synced_at, checked_at, [])


def test_fingerprint_is_the_content_hash(clean, courses_root):
    assert course_fingerprint(courses_root / "basics") == clean.content_hash


def _edit_lesson(root: Path) -> None:
    third = root / "basics/02-more/third.md"
    third.write_text(third.read_text().replace("title: Third lesson", "title: Third, revised"))


def _touch_only(root: Path) -> None:
    """Same bytes, new mtime: not a change."""
    third = root / "basics/02-more/third.md"
    third.write_bytes(third.read_bytes())


def _rename_lesson(root: Path) -> None:
    (root / "basics/01-start/second.md").rename(root / "basics/01-start/renamed.md")
    for rel, old, new in (
        ("basics/01-start/module.md", "- second.md", "- renamed.md"),
        ("basics/01-start/intro.md", "(second.md#key-ideas)", "(renamed.md#key-ideas)"),
    ):
        path = root / rel
        path.write_text(path.read_text().replace(old, new))


def _add_unlisted_file(root: Path) -> None:
    (root / "basics/01-start/draft.md").write_text("---\nid: draft\n---\nNot listed.\n")


def _add_asset(root: Path) -> None:
    (root / "basics/01-start/images/other.png").write_bytes(b"\x89PNG\r\n\x1a\nnew")


def _remove_asset(root: Path) -> None:
    (root / "basics/01-start/images/diagram.png").unlink()


def _change_asset(root: Path) -> None:
    (root / "basics/01-start/images/diagram.png").write_bytes(b"\x89PNG\r\n\x1a\nchanged")


@pytest.mark.parametrize(
    ("change", "expect"),
    [
        (_touch_only, "unchanged"),
        (_edit_lesson, "updated"),
        (_rename_lesson, "updated"),
        (_add_unlisted_file, "updated"),
        (_add_asset, "updated"),
        (_remove_asset, "failed"),
        (_change_asset, "updated"),
    ],
)
def test_any_change_to_the_folder_is_parsed(clean, sync, loads, courses_root, db, change, expect):
    change(courses_root)
    report = sync()
    assert getattr(report, expect) == ["basics"]
    assert loads == ([] if expect == "unchanged" else ["basics"])
    db.session.refresh(clean)
    if expect == "updated":
        assert clean.content_hash == course_fingerprint(courses_root / "basics")
        assert sync().unchanged == ["basics"]  # and then it is clean again
    if change is _edit_lesson:
        title = db.session.scalar(select(Lesson.title).filter_by(slug="basics-third"))
        assert title == "Third, revised"
    if change is _add_unlisted_file:
        assert any("draft.md:1: warning" in line for line in lines(clean.problems))
        loads.clear()
        assert sync().unchanged == ["basics"]
        assert loads == ["basics"]  # a course with warnings is always parsed
    if change is _remove_asset:
        assert clean.has_errors
        _add_asset(courses_root)  # still broken: parsed, still failing
        assert sync().failed == ["basics"]


def test_course_with_warnings_is_parsed_every_time(basics, sync, loads):
    assert basics.problems  # the instructor has no account
    assert sync().unchanged == ["basics"]
    assert loads == ["basics"]


def test_instructor_account_removed_brings_the_warning_back(clean, instructor, sync, loads, db):
    instructor.email = "someone-else@example.com"
    db.session.commit()
    report = sync()
    assert report.unchanged == ["basics"]
    assert loads == ["basics"]
    db.session.refresh(clean)
    (line,) = lines(clean.problems)
    assert line.endswith('warning: instructor "instructor@example.com" has no account')


def test_broken_course_fixed_back_to_last_good_files_clears_problems(clean, sync, loads, edit, db):
    edit("basics/02-more/third.md", "title: Third lesson", "title: [unclosed")
    assert sync().failed == ["basics"]
    edit("basics/02-more/third.md", "title: [unclosed", "title: Third lesson")
    loads.clear()
    report = sync()  # same bytes as the stored content hash, but problems are stored
    assert report.unchanged == ["basics"]
    assert loads == ["basics"]
    db.session.refresh(clean)
    assert clean.problems == []
    loads.clear()
    assert sync().unchanged == ["basics"]
    assert loads == []


def test_renamed_course_folder_keeps_its_row(clean, sync, loads, courses_root, db):
    (courses_root / "basics").rename(courses_root / "renamed")
    report = sync()
    assert report.unchanged == ["basics"]
    assert report.retired == []
    assert loads == ["renamed"]
    db.session.refresh(clean)
    assert clean.source_dir == "renamed"
    assert not clean.is_retired
    loads.clear()
    assert sync().unchanged == ["basics"]
    assert loads == []


def test_removed_then_restored_folder_is_parsed_and_revived(clean, sync, loads, courses_root, db):
    shutil.move(courses_root / "basics", courses_root.parent / "basics-away")
    assert sync().retired == ["basics"]
    shutil.move(courses_root.parent / "basics-away", courses_root / "basics")
    report = sync()
    assert report.updated == ["basics"]
    assert loads == ["basics"]
    db.session.refresh(clean)
    assert not clean.is_retired


def test_copied_folder_with_the_same_id_fails_with_the_original(clean, sync, loads, courses_root):
    shutil.copytree(courses_root / "basics", courses_root / "copy")
    report = sync()
    assert report.unchanged == []
    assert report.failed == ["basics", "copy"]
    assert sorted(loads) == ["basics", "copy"]
    root = services.courses_dir()
    assert sorted(line for line in lines(report.problems) if "is also used by" in line) == [
        f'{root}/basics/course.md:2: course id "basics" is also used by {root}/copy/course.md:2:'
        " neither folder is loaded until one of them changes its id",
        f'{root}/copy/course.md:2: course id "basics" is also used by {root}/basics/course.md:2:'
        " neither folder is loaded until one of them changes its id",
    ]
    shutil.rmtree(courses_root / "copy")
    report = sync()
    assert report.ok
    assert report.unchanged == ["basics"]


def test_a_copy_that_sorts_first_never_takes_over_the_course(
    clean, sync, db, courses_root, edit, make_user
):
    """A copy keeping the id and naming other instructors must not get the gradebook."""
    intruder = make_user(role="instructor", email="intruder@example.com")
    shutil.copytree(courses_root / "basics", courses_root / "aaa-copy")
    edit(
        "aaa-copy/course.md",
        "instructors: [instructor@example.com]",
        "instructors: [intruder@example.com]",
    )
    edit("aaa-copy/course.md", "title: Course basics", "title: Taken over")
    before = (clean.id, clean.title, clean.source_dir, list(clean.instructor_emails))
    report = sync()
    assert report.failed == ["aaa-copy", "basics"]
    db.session.expire_all()
    course = db.session.scalar(select(Course).filter_by(slug="basics"))
    assert (course.id, course.title, course.source_dir, course.instructor_emails) == before
    assert not services.is_course_instructor(intruder, course)
    assert any("is also used by" in line for line in lines(course.problems))


# --- quiz-quality warnings -------------------------------------------------------------------


def test_quality_warnings_are_stored_apart_from_problems(clean):
    assert clean.problems == []
    assert clean.quality_version == quality.VERSION
    assert clean.quality_warnings
    assert all(
        ": warning: " in line and line.endswith("]") for line in lines(clean.quality_warnings)
    )
    assert any("courses/basics/02-more/quiz.md:" in line for line in lines(clean.quality_warnings))
    assert not clean.has_errors


def test_course_with_only_quality_warnings_is_not_parsed_again(clean, sync, loads, db):
    warnings = list(clean.quality_warnings)
    report = sync()
    assert report.unchanged == ["basics"]
    assert loads == []
    assert report.quality_warnings == []  # nothing was checked: the stored list stands
    db.session.refresh(clean)
    assert clean.quality_warnings == warnings


def test_new_quality_rules_check_unchanged_courses_once(clean, sync, loads, db, monkeypatch):
    monkeypatch.setattr(quality, "VERSION", quality.VERSION + 1)
    report = sync()
    assert report.unchanged == ["basics"]
    assert loads == ["basics"]
    assert lines(report.quality_warnings) == lines(clean.quality_warnings)
    db.session.refresh(clean)
    assert clean.quality_version == quality.VERSION
    sync()
    assert loads == ["basics"]


def test_editing_a_quiz_updates_its_quality_warnings(clean, sync, edit, db):
    line = next(w for w in lines(clean.quality_warnings) if '"q-multiple" has no lesson' in w)
    edit("basics/02-more/quiz.md", "id: q-multiple\n", "id: q-multiple\nlesson: basics-intro\n")
    assert sync().updated == ["basics"]
    db.session.refresh(clean)
    assert line not in lines(clean.quality_warnings)
    assert not any('"q-multiple" has no lesson' in w for w in lines(clean.quality_warnings))


def test_a_broken_course_keeps_the_warnings_of_the_version_it_serves(clean, sync, edit, db):
    warnings = list(clean.quality_warnings)
    edit("basics/02-more/third.md", "title: Third lesson", "title: [unclosed")
    assert sync().failed == ["basics"]
    db.session.refresh(clean)
    assert clean.has_errors
    assert clean.quality_warnings == warnings


# --- hostile folders -------------------------------------------------------------------------


def test_one_hostile_folder_never_stops_the_other_courses(clean, sync, db, courses_root, edit):
    """A link to /dev/zero and a sparse 20 GB file are refused unread; other courses sync."""
    shutil.copytree(courses_root / "basics", courses_root / "second")
    edit("second/course.md", "id: basics", "id: second")
    images = courses_root / "basics" / "01-start" / "images"
    os.symlink("/dev/zero", images / "zero.png")
    with open(images / "huge.webm", "wb") as file:
        file.truncate(20 * 1024**3)  # sparse: no disk space used
    report = sync()
    assert report.created == ["second"]
    assert report.failed == ["basics"]
    root = services.courses_dir()
    assert [line for line in lines(report.problems) if "images/" in line] == [
        f"{root}/basics/01-start/images/huge.webm:1: file is larger than 50 MB",
        f"{root}/basics/01-start/images/zero.png:1: file is a symbolic link leading out of the"
        " course folder",
    ]
    db.session.refresh(clean)
    assert not clean.is_retired  # the last good version keeps serving
    assert lines(clean.problems) == [line for line in lines(report.problems) if "/basics/" in line]
