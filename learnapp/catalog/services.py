"""Load course folders into the database, and the queries the catalogue pages use.

``sync_courses`` is idempotent: a course whose content hash is unchanged is not touched, and a
lesson whose render key is unchanged is not re-rendered; a folder whose files hash to what its
course row last loaded without any problem is not even parsed. A broken course keeps serving its
last good version; its problems are stored on the course row for its instructors and admins.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from flask import current_app
from sqlalchemy import ColumnElement, Row, Select, bindparam, false, func, select
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
from learnapp.catalog.snapshot_cache import snapshots
from learnapp.catalog.snapshots import CourseSnapshot, LessonSnapshot
from learnapp.content import (
    CourseSpec,
    LoadResult,
    Problem,
    RenderedLesson,
    TocEntry,
    check_instructors,
    load_course,
    quality,
)
from learnapp.content.errors import stored_is_error
from learnapp.content.files import course_fingerprint
from learnapp.content.loader import course_folders, shared_ids
from learnapp.content.messages import msg
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
    problems: list[Problem] = field(default_factory=list)
    #: Quiz-quality warnings of the courses loaded (``flask courses check`` lists them too).
    quality_warnings: list[Problem] = field(default_factory=list)

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
    """Load every course folder under ``root`` into the database (the caller commits).

    Two folders declaring one course id both fail: the course keeps its last good version,
    its folder, instructors and gradebook, and shows the problem to its instructors.
    """
    root = root or courses_dir()
    report = SyncReport()
    reuse = _reuse_rendered()
    seen_slugs: set[str] = set()
    folders = course_folders(root)
    known_emails = set(db.session.scalars(select(User.email)).all())
    known_folded = {email.strip().casefold() for email in known_emails}
    paths = [os.path.join(os.fspath(root), folder.name) for folder in folders]
    shared = shared_ids(paths)
    for number, (folder, path) in enumerate(zip(folders, paths, strict=True), start=1):
        if path in shared or not _skip_unchanged(
            path, folder.name, seen_slugs, known_folded, report
        ):
            rendered_before = _RenderCounter(reuse)
            result = load_course(path, reuse=rendered_before)
            if path in shared:  # neither folder may take the course (see shared_ids)
                result.problems += shared[path]
                result.course = None
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
    course id already claimed by an earlier folder in this run, instructors whose account
    has gone (a new warning), and quiz-quality warnings computed by other rules than the
    current ones all take the full path. Quality warnings themselves do not: they follow from
    the files, which have not changed.
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
    if course.quality_version != quality.VERSION:
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
            Problem(
                spec.course_file,
                1,
                msg(
                    'course id "%(course_id)s" is already used by another folder', course_id=spec.id
                ),
            )
        )
        spec = None
    if spec is not None:
        problems += check_instructors(spec, known_emails)
    report.problems += problems
    lines = [problem.to_json() for problem in problems]
    found = quality.check_quality(spec) if spec is not None else []
    report.quality_warnings += found
    warnings = [problem.to_json() for problem in found]
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
        _keep_quality(course, warnings)
        report.unchanged.append(spec.id)
        return
    (report.updated if course else report.created).append(spec.id)
    _keep_quality(apply_course(spec, folder, course, lines), warnings)


def _keep_quality(course: Course, warnings: list[dict[str, Any]]) -> None:
    if course.quality_warnings != warnings or course.quality_version != quality.VERSION:
        course.quality_warnings = warnings
        course.quality_version = quality.VERSION


def apply_course(
    spec: CourseSpec, folder: str, course: Course | None, problems: list[dict[str, Any]]
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
    course.reviewed_by = spec.reviewed_by
    course.last_reviewed = spec.last_reviewed
    course.language = spec.language
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


def is_course_instructor(user: User | None, course: Course | CourseSnapshot) -> bool:
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


def get_course(course_slug: str, user: User | None) -> Course | None:
    """The course row (for changes and staff pages; student pages read :func:`find_course`)."""
    course = db.session.scalar(select(Course).where(Course.slug == course_slug))
    if course is None or not can_see(user, course):
        return None
    return course


def get_lesson(course: Course, lesson_slug: str) -> Lesson | None:
    return db.session.scalar(
        select(Lesson).where(
            Lesson.course_id == course.id, Lesson.slug == lesson_slug, Lesson.is_retired.is_(False)
        )
    )


def get_quiz(course: Course | CourseSnapshot, quiz_slug: str) -> Quiz | None:
    return db.session.scalar(
        select(Quiz).where(
            Quiz.course_id == course.id, Quiz.slug == quiz_slug, Quiz.is_retired.is_(False)
        )
    )


def course_outline(course: Course) -> list[Module]:
    """Modules with their current lessons and quizzes as rows, in order (three queries), for
    the instructors' pages; student pages read the course snapshot."""
    modules = db.session.scalars(
        select(Module)
        .where(Module.course_id == course.id, Module.is_retired.is_(False))
        .order_by(Module.position)
        .options(
            selectinload(Module.lessons.and_(Lesson.is_retired.is_(False))),
            selectinload(Module.quizzes.and_(Quiz.is_retired.is_(False))),
        )
    ).all()
    return list(modules)


# --- what the student pages read per request -------------------------------------------------
#
# Each page reads the course row's version and what a sync changes without a new version in
# one query (with the lesson body on the lesson page), and takes the rest from the snapshot.


@dataclass(frozen=True)
class CourseHead:
    """What a page reads of a course row on every request."""

    id: int
    content_hash: str
    #: The problems of the latest check of the course folder, as stored (``Course.problems``).
    problems: tuple[dict[str, Any], ...] = ()

    @property
    def has_errors(self) -> bool:
        return any(stored_is_error(entry) for entry in self.problems)


@dataclass(frozen=True)
class CourseView:
    """A course a user may see: its current version and what the page read with it."""

    course: CourseSnapshot
    head: CourseHead
    #: The user is an instructor of the course or an admin (manages it, never locked).
    is_staff: bool


def _asks_assignment(user: User | None) -> bool:
    """Whether a page's course query must read ``user``'s assignments: only instructors',
    whose role makes it matter."""
    return user is not None and user.is_authenticated and user.role == Role.INSTRUCTOR


def _viewer(user: User | None) -> dict[str, Any]:
    """The parameters of a course statement for ``user``."""
    return {"viewer_id": user.id} if _asks_assignment(user) else {}  # type: ignore[union-attr]


def _assigned(instructor: bool) -> ColumnElement[bool]:
    """Whether the viewer (``viewer_id``) is an instructor an admin assigned to the row's
    course; constant false for other roles."""
    if not instructor:
        return false()
    return (
        select(CourseInstructor.user_id)
        .where(
            CourseInstructor.course_id == Course.id,
            CourseInstructor.user_id == bindparam("viewer_id"),
        )
        .exists()
    )


# The pages' course statements are built once per process (per viewer kind) and run with
# bound parameters: SQLAlchemy then reuses their cache keys and compiled SQL, where building
# them per request cost more than running them.


@functools.cache
def _course_statement(instructor: bool) -> Select[Any]:
    return select(Course.id, Course.content_hash, Course.problems, _assigned(instructor)).where(
        Course.slug == bindparam("course_slug"), Course.is_retired.is_(False)
    )


@functools.cache
def _lesson_statement(instructor: bool) -> Select[Any]:
    return (
        select(Course.id, Course.content_hash, Course.problems, _assigned(instructor), Lesson.html)
        .join(Lesson, Lesson.course_id == Course.id)
        .where(
            Course.slug == bindparam("course_slug"),
            Course.is_retired.is_(False),
            Lesson.slug == bindparam("lesson_slug"),
            Lesson.is_retired.is_(False),
        )
    )


@functools.cache
def _courses_statement(instructor: bool) -> Select[Any]:
    return select(Course.id, Course.content_hash, Course.problems, _assigned(instructor)).where(
        Course.is_retired.is_(False)
    )


def is_staff(user: User | None, course: CourseSnapshot, *, is_assigned: bool) -> bool:
    """:func:`is_course_instructor` with the assignment already read by the page's query."""
    if user is None or not user.is_authenticated:
        return False
    if user.role == Role.ADMIN:
        return True
    return user.role == Role.INSTRUCTOR and (
        is_assigned or user.email.lower() in course.instructor_emails
    )


def _views(user: User | None, rows: Sequence[Row[Any]]) -> list[CourseView]:
    """Views of the visible courses among ``rows`` (id, content_hash, problems, assigned)."""
    found = snapshots({row[0]: row[1] for row in rows})
    views = []
    for row in rows:
        course = found.get(row[0])
        if course is None:
            continue
        staff = is_staff(user, course, is_assigned=bool(row[3]))
        if course.is_published or staff:
            views.append(CourseView(course, CourseHead(row[0], row[1], tuple(row[2] or ())), staff))
    return views


def find_course(course_slug: str, user: User | None) -> CourseView | None:
    """The course page's view of a course ``user`` may see (one query)."""
    row = db.session.execute(
        _course_statement(_asks_assignment(user)), {"course_slug": course_slug, **_viewer(user)}
    ).first()
    views = _views(user, [row]) if row is not None else []
    return views[0] if views else None


def find_lesson(
    course_slug: str, lesson_slug: str, user: User | None
) -> tuple[CourseView, LessonSnapshot, str] | None:
    """The course, the lesson and its HTML for the lesson page, in one query."""
    row = db.session.execute(
        _lesson_statement(_asks_assignment(user)),
        {"course_slug": course_slug, "lesson_slug": lesson_slug, **_viewer(user)},
    ).first()
    views = _views(user, [row]) if row is not None else []
    if not views:
        return None
    lesson = views[0].course.lesson(lesson_slug)
    if lesson is None:  # a sync between the query and the snapshot build retired it
        return None
    return views[0], lesson, row[4]


def visible_courses(user: User | None) -> list[CourseView]:
    """Every course ``user`` may see, by title, in one query whatever their number."""
    rows = db.session.execute(_courses_statement(_asks_assignment(user)), _viewer(user)).all()
    return sorted(_views(user, rows), key=lambda view: (view.course.title, view.course.id))


#: Courses on one page of the catalogue: its rendering and progress bars grow with it.
CATALOGUE_PAGE_SIZE = 24


@dataclass(frozen=True)
class CataloguePage:
    """One page of the catalogue: the views shown on it, its number and the number of pages."""

    views: list[CourseView]
    number: int
    pages: int
    total: int


def catalogue_page(user: User | None, number: int) -> CataloguePage | None:
    """Page ``number`` (1-based) of :func:`visible_courses`, or None when there is no such
    page. Page 1 always exists, empty when ``user`` may see no course. The same one query
    whatever the page: visibility and titles come from the snapshots, so the page is cut here.
    """
    views = visible_courses(user)
    pages = max(1, math.ceil(len(views) / CATALOGUE_PAGE_SIZE))
    if not 1 <= number <= pages:
        return None
    start = (number - 1) * CATALOGUE_PAGE_SIZE
    return CataloguePage(views[start : start + CATALOGUE_PAGE_SIZE], number, pages, len(views))


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
