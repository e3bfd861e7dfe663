"""Load course folders into the database, and the queries the catalogue pages use.

``sync_courses`` is idempotent: a course whose content hash is unchanged is not touched, and a
lesson whose render key is unchanged is not re-rendered; a folder whose files hash to what its
course row last loaded without any problem is not even parsed. A broken course keeps serving its
last good version; its problems are stored on the course row for its instructors and admins.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from learnapp.auth.models import Role, User
from learnapp.catalog import search
from learnapp.catalog.models import (
    Course,
    CourseInstructor,
    Lesson,
    Module,
    Question,
    QuestionVersion,
    Quiz,
)
from learnapp.content import (
    CourseSpec,
    LoadResult,
    Problem,
    RenderedLesson,
    TocEntry,
    check_instructors,
    load_course,
)
from learnapp.content.loader import course_fingerprint, course_folders
from learnapp.database import utcnow
from learnapp.extensions import db


@dataclass
class SyncReport:
    """What one sync did, for the CLI and the logs."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    rendered_lessons: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def courses_dir() -> Path:
    """The configured courses folder, relative to the working directory when inside it, so
    problems read ``courses/nmt/course.md:3: …`` as editors expect."""
    root = Path(current_app.config["COURSES_DIR"])
    relative = os.path.relpath(root)
    return Path(relative) if not relative.startswith("..") else root


def _reuse_rendered() -> Callable[[str, str], RenderedLesson | None]:
    """Reuse stored HTML for lessons whose render key is unchanged (skips Pygments and nh3)."""
    known = {
        key: row_id for key, row_id in db.session.execute(select(Lesson.render_key, Lesson.id))
    }

    def reuse(lesson_id: str, render_key: str) -> RenderedLesson | None:
        row_id = known.get(render_key)
        if row_id is None:
            return None
        lesson = db.session.get(Lesson, row_id)
        if lesson is None:
            return None
        toc = tuple(TocEntry(int(level), anchor, text) for level, anchor, text in lesson.toc)
        return RenderedLesson(html=lesson.html, toc=toc, text=lesson.text)

    return reuse


def sync_courses(
    root: Path | None = None, *, progress: Callable[[str], None] | None = None
) -> SyncReport:
    """Load every course folder under ``root`` into the database (the caller commits)."""
    root = root or courses_dir()
    report = SyncReport()
    reuse = _reuse_rendered()
    seen_slugs: set[str] = set()
    folders = course_folders(root)
    known_emails = set(db.session.scalars(select(User.email)).all())
    known_folded = {email.strip().casefold() for email in known_emails}
    for number, folder in enumerate(folders, start=1):
        path = os.path.join(os.fspath(root), folder.name)
        if not _skip_unchanged(path, folder.name, seen_slugs, known_folded, report):
            rendered_before = _RenderCounter(reuse)
            result = load_course(path, reuse=rendered_before)
            _sync_result(result, folder.name, seen_slugs, known_emails, report)
            report.rendered_lessons += rendered_before.rendered
        if progress:
            progress(f"[{number}/{len(folders)}] {folder.name}")
    present = {folder.name for folder in folders}
    for course in db.session.scalars(select(Course).where(Course.is_retired.is_(False))):
        if course.source_dir not in present:
            course.is_retired = True
            search.remove_course(course)
            report.retired.append(course.slug)
    db.session.flush()
    return report


def _skip_unchanged(
    path: str, folder: str, seen_slugs: set[str], known_folded: set[str], report: SyncReport
) -> bool:
    """Count ``folder`` as unchanged without parsing it, when loading it would change nothing.

    That is when its files hash to the ``content_hash`` of the live course row last synced from
    it, and that sync found no problem at all: loading the same bytes gives the same course and
    the same (empty) problems, so ``_sync_result`` would only report it unchanged. Courses with
    stored problems (warnings, or errors while an older version is served), retired rows, a
    course id already claimed by an earlier folder in this run, and instructors whose account
    has gone (a new warning) all take the full path.
    """
    fingerprint = course_fingerprint(path)
    course = db.session.scalar(
        select(Course)
        .where(
            Course.source_dir == folder,
            Course.content_hash == fingerprint,
            Course.is_retired.is_(False),
        )
        .limit(1)
    )
    if course is None or course.problems or course.slug in seen_slugs:
        return False
    if any(email.casefold() not in known_folded for email in course.instructor_emails):
        return False
    seen_slugs.add(course.slug)
    report.unchanged.append(course.slug)
    return True


class _RenderCounter:
    """Wraps ``reuse`` to count the lessons that had to be rendered."""

    def __init__(self, reuse: Callable[[str, str], RenderedLesson | None]) -> None:
        self.reuse = reuse
        self.rendered = 0

    def __call__(self, lesson_id: str, render_key: str) -> RenderedLesson | None:
        found = self.reuse(lesson_id, render_key)
        if found is None:
            self.rendered += 1
        return found


def _sync_result(
    result: LoadResult,
    folder: str,
    seen_slugs: set[str],
    known_emails: set[str],
    report: SyncReport,
) -> None:
    spec = result.course
    problems = list(result.problems)
    if spec is not None and spec.id in seen_slugs:
        problems.append(
            Problem(spec.course_file, 1, f'course id "{spec.id}" is already used by another folder')
        )
        spec = None
    if spec is not None:
        problems += check_instructors(spec, known_emails)
    lines = [str(problem) for problem in problems]
    report.problems += lines
    course = db.session.scalar(select(Course).where(Course.source_dir == folder))
    if spec is None:
        report.failed.append(folder)
        if course is not None:  # keep serving the last good version
            course.problems = lines
            course.checked_at = utcnow()
        return
    seen_slugs.add(spec.id)
    course = db.session.scalar(select(Course).where(Course.slug == spec.id)) or course
    if course is not None and course.content_hash == spec.content_hash and not course.is_retired:
        if course.problems != lines or course.source_dir != folder:
            course.problems = lines
            course.source_dir = folder
            course.checked_at = utcnow()
        report.unchanged.append(spec.id)
        return
    (report.updated if course else report.created).append(spec.id)
    apply_course(spec, folder, course, lines)


def apply_course(
    spec: CourseSpec, folder: str, course: Course | None, problems: list[str]
) -> Course:
    """Upsert ``spec`` by ids; retire what the files no longer contain."""
    if course is None:
        course = Course(slug=spec.id, source_dir=folder, content_hash=spec.content_hash)
        db.session.add(course)
    lessons = list(spec.lessons())
    course.slug = spec.id
    course.title = spec.title
    course.summary = spec.summary
    course.version_label = spec.version
    course.level = spec.level
    course.estimated_hours = spec.estimated_hours
    course.is_published = spec.is_published
    course.certificate_enabled = spec.certificate
    course.authors = list(spec.authors)
    course.instructor_emails = [email.lower() for email in spec.instructors]
    course.completion = {
        "lessons": list(spec.completion.lessons),
        "all_lessons": spec.completion.all_lessons,
        "quizzes": dict(spec.completion.quizzes),
    }
    course.landing_html = spec.landing_html
    course.content_hash = spec.content_hash
    course.source_dir = folder
    course.lesson_count = len(lessons)
    course.total_minutes = sum(lesson.minutes for lesson in lessons)
    course.synced_at = course.checked_at = utcnow()
    course.problems = problems
    course.is_retired = False
    db.session.flush()

    modules = _existing(Module, course.id)
    lesson_rows = _existing(Lesson, course.id)
    quiz_rows = _existing(Quiz, course.id)
    question_rows = _existing(Question, course.id)
    changed_lessons: list[Lesson] = []
    for m_pos, module_spec in enumerate(spec.modules):
        module = modules.pop(module_spec.id, None) or Module(
            course_id=course.id, slug=module_spec.id
        )
        module.title = module_spec.title
        module.summary = module_spec.summary
        module.intro_html = module_spec.intro_html
        module.position = m_pos
        module.prerequisites = list(module_spec.prerequisites)
        module.is_retired = False
        db.session.add(module)
        db.session.flush()
        for l_pos, lesson_spec in enumerate(module_spec.lessons):
            lesson = lesson_rows.pop(lesson_spec.id, None)
            if lesson is None:
                lesson = Lesson(course_id=course.id, slug=lesson_spec.id)
                db.session.add(lesson)
            if lesson.render_key != lesson_spec.render_key or lesson.is_retired:
                changed_lessons.append(lesson)
            lesson.module_id = module.id
            lesson.title = lesson_spec.title
            lesson.minutes = lesson_spec.minutes
            lesson.position = l_pos
            lesson.html = lesson_spec.html
            lesson.toc = [list(entry) for entry in lesson_spec.toc]
            lesson.text = lesson_spec.text
            lesson.content_hash = lesson_spec.content_hash
            lesson.render_key = lesson_spec.render_key
            lesson.source_path = lesson_spec.path
            lesson.prerequisites = list(lesson_spec.prerequisites)
            lesson.objectives = list(lesson_spec.objectives)
            lesson.is_retired = False
        for q_pos, quiz_spec in enumerate(module_spec.quizzes):
            quiz = quiz_rows.pop(quiz_spec.id, None) or Quiz(course_id=course.id, slug=quiz_spec.id)
            quiz.module_id = module.id
            quiz.title = quiz_spec.title
            quiz.position = q_pos
            quiz.settings = quiz_spec.settings.to_dict()
            quiz.intro_html = quiz_spec.intro_html
            quiz.content_hash = quiz_spec.content_hash
            quiz.source_path = quiz_spec.path
            quiz.question_count = len(quiz_spec.questions)
            quiz.max_points = quiz_spec.max_points
            quiz.is_retired = False
            db.session.add(quiz)
            db.session.flush()
            for position, question_spec in enumerate(quiz_spec.questions):
                question = question_rows.pop(question_spec.id, None)
                if question is None:
                    question = Question(course_id=course.id, slug=question_spec.id)
                    db.session.add(question)
                stored = question_spec.to_dict()
                question.quiz_id = quiz.id
                question.type = question_spec.type
                question.points = question_spec.points
                question.position = position
                question.spec = stored
                question.is_retired = False
                if question.content_hash != question_spec.content_hash or question.id is None:
                    question.content_hash = question_spec.content_hash
                    db.session.flush()
                    _keep_version(question, stored)
    for row in (*modules.values(), *lesson_rows.values(), *quiz_rows.values(),
                *question_rows.values()):  # fmt: skip
        row.is_retired = True
    db.session.flush()
    search.index_course(course, changed_lessons, retired=list(lesson_rows.values()))
    return course


M = TypeVar("M", Module, Lesson, Quiz, Question)


def _existing(model: type[M], course_id: int) -> dict[str, M]:
    rows = db.session.scalars(select(model).where(model.course_id == course_id)).all()
    return {row.slug: row for row in rows}


def _keep_version(question: Question, stored: dict[str, object]) -> None:
    exists = db.session.scalar(
        select(QuestionVersion.id).where(
            QuestionVersion.question_id == question.id,
            QuestionVersion.content_hash == question.content_hash,
        )
    )
    if exists is None:
        db.session.add(
            QuestionVersion(
                question_id=question.id, content_hash=question.content_hash, spec=stored
            )
        )


# --- queries for the pages -------------------------------------------------------------


def is_course_instructor(user: User | None, course: Course) -> bool:
    """Instructors of a course: those its file names, plus those an admin assigned."""
    if user is None or not user.is_authenticated:
        return False
    if user.role == Role.ADMIN:
        return True
    if user.role != Role.INSTRUCTOR:
        return False
    if user.email.lower() in course.instructor_emails:
        return True
    return (
        db.session.get(CourseInstructor, {"course_id": course.id, "user_id": user.id}) is not None
    )


def can_see(user: User | None, course: Course) -> bool:
    """Published courses are public; drafts only for their instructors and admins."""
    if course.is_retired:
        return False
    return course.is_published or is_course_instructor(user, course)


def visible_courses(user: User | None) -> list[Course]:
    courses = db.session.scalars(
        select(Course).where(Course.is_retired.is_(False)).order_by(Course.title)
    ).all()
    return [course for course in courses if can_see(user, course)]


def get_course(course_slug: str, user: User | None) -> Course | None:
    course = db.session.scalar(select(Course).where(Course.slug == course_slug))
    if course is None or not can_see(user, course):
        return None
    return course


def course_outline(course: Course) -> list[Module]:
    """Modules with their current lessons and quizzes, in order (three queries)."""
    modules = db.session.scalars(
        select(Module)
        .where(Module.course_id == course.id, Module.is_retired.is_(False))
        .order_by(Module.position)
        .options(
            selectinload(Module.lessons.and_(Lesson.is_retired.is_(False))).load_only(
                Lesson.slug,
                Lesson.title,
                Lesson.minutes,
                Lesson.position,
                Lesson.module_id,
                Lesson.prerequisites,  # progress locks read them
            ),
            selectinload(Module.quizzes.and_(Quiz.is_retired.is_(False))),
        )
    ).all()
    return list(modules)


def get_lesson(course: Course, lesson_slug: str) -> Lesson | None:
    return db.session.scalar(
        select(Lesson).where(
            Lesson.course_id == course.id, Lesson.slug == lesson_slug, Lesson.is_retired.is_(False)
        )
    )


def get_course_and_lesson(
    course_slug: str, lesson_slug: str, user: User | None
) -> tuple[Course, Lesson] | None:
    """The course and its current lesson in one query (the lesson page's budget is tight)."""
    row = db.session.execute(
        select(Course, Lesson)
        .join(Lesson, Lesson.course_id == Course.id)
        .where(Course.slug == course_slug, Lesson.slug == lesson_slug, Lesson.is_retired.is_(False))
    ).first()
    if row is None or not can_see(user, row[0]):
        return None
    return row[0], row[1]


def get_quiz(course: Course, quiz_slug: str) -> Quiz | None:
    return db.session.scalar(
        select(Quiz).where(
            Quiz.course_id == course.id, Quiz.slug == quiz_slug, Quiz.is_retired.is_(False)
        )
    )


def first_lesson(modules: Iterable[Module]) -> Lesson | None:
    return next((lesson for module in modules for lesson in module.lessons), None)


def neighbours(modules: list[Module], lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
    """The lessons before and after ``lesson`` across module boundaries."""
    ordered = [item for module in modules for item in module.lessons]
    index = next((i for i, item in enumerate(ordered) if item.id == lesson.id), None)
    if index is None:
        return None, None
    before = ordered[index - 1] if index > 0 else None
    after = ordered[index + 1] if index + 1 < len(ordered) else None
    return before, after


def assign_instructor(course: Course, user: User) -> bool:
    """Make ``user`` an instructor of ``course``; returns False if they already were."""
    if db.session.get(CourseInstructor, {"course_id": course.id, "user_id": user.id}):
        return False
    db.session.add(CourseInstructor(course_id=course.id, user_id=user.id))
    if user.role == Role.STUDENT:
        user.role = Role.INSTRUCTOR.value
    return True


def count_courses() -> int:
    return db.session.scalar(select(func.count()).select_from(Course)) or 0
