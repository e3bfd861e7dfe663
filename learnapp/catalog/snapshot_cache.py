"""Build course snapshots and keep them per process, one version per course.

Pages read each course's current ``(id, content_hash)`` in a query they run anyway (the course
row with the lesson body, the student's rows) and ask :func:`snapshots` for those versions. A
hash this process has not built yet is built then, for any number of courses in four queries,
so a sync in any process is seen by every other process on its next request, without a polling
thread or a cache to clear.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping

from flask import current_app
from sqlalchemy import select

from learnapp.catalog.models import Course, Lesson, Module, Quiz
from learnapp.catalog.snapshots import (
    CompletionRules,
    CourseSnapshot,
    LessonSnapshot,
    ModuleSnapshot,
    QuizSnapshot,
)
from learnapp.content.specs import QuizSettings
from learnapp.extensions import db

#: ``courses`` columns a snapshot is built from (all written by a sync, with the hash).
_COURSE_COLUMNS = (
    Course.id,
    Course.slug,
    Course.title,
    Course.summary,
    Course.version_label,
    Course.level,
    Course.estimated_hours,
    Course.is_published,
    Course.certificate_enabled,
    Course.authors,
    Course.reviewed_by,
    Course.last_reviewed,
    Course.language,
    Course.instructor_emails,
    Course.completion,
    Course.landing_html,
    Course.content_hash,
    Course.lesson_count,
    Course.total_minutes,
    Course.synced_at,
)


def build(course_ids: Iterable[int]) -> dict[int, CourseSnapshot]:
    """Snapshots of the courses' current rows, in four queries whatever their number."""
    ids = sorted(set(course_ids))
    if not ids:
        return {}
    courses = db.session.execute(select(*_COURSE_COLUMNS).where(Course.id.in_(ids))).all()
    modules = db.session.execute(
        select(
            Module.id,
            Module.course_id,
            Module.slug,
            Module.title,
            Module.summary,
            Module.prerequisites,
        )
        .where(Module.course_id.in_(ids), Module.is_retired.is_(False))
        .order_by(Module.course_id, Module.position, Module.id)
    ).all()
    lessons: dict[int, list[LessonSnapshot]] = {}
    for row in db.session.execute(
        select(
            Lesson.id,
            Lesson.slug,
            Lesson.title,
            Lesson.minutes,
            Lesson.module_id,
            Lesson.prerequisites,
            Lesson.objectives,
            Lesson.toc,
        )
        .where(Lesson.course_id.in_(ids), Lesson.is_retired.is_(False))
        .order_by(Lesson.module_id, Lesson.position, Lesson.id)
    ):
        lessons.setdefault(row.module_id, []).append(
            LessonSnapshot(
                id=row.id,
                slug=row.slug,
                title=row.title,
                minutes=row.minutes,
                module_id=row.module_id,
                prerequisites=tuple(row.prerequisites or ()),
                objectives=tuple(row.objectives or ()),
                toc=tuple((int(level), anchor, text) for level, anchor, text in row.toc or ()),
            )
        )
    quizzes: dict[int, list[QuizSnapshot]] = {}
    for row in db.session.execute(
        select(
            Quiz.id,
            Quiz.slug,
            Quiz.title,
            Quiz.module_id,
            Quiz.question_count,
            Quiz.max_points,
            Quiz.settings,
        )
        .where(Quiz.course_id.in_(ids), Quiz.is_retired.is_(False))
        .order_by(Quiz.module_id, Quiz.position, Quiz.id)
    ):
        quizzes.setdefault(row.module_id, []).append(
            QuizSnapshot(
                id=row.id,
                slug=row.slug,
                title=row.title,
                module_id=row.module_id,
                question_count=row.question_count,
                max_points=row.max_points,
                grading=QuizSettings.from_dict(row.settings).grading,
            )
        )
    by_course: dict[int, list[ModuleSnapshot]] = {}
    for row in modules:
        by_course.setdefault(row.course_id, []).append(
            ModuleSnapshot(
                id=row.id,
                slug=row.slug,
                title=row.title,
                summary=row.summary or "",
                prerequisites=tuple(row.prerequisites or ()),
                lessons=tuple(lessons.get(row.id, ())),
                quizzes=tuple(quizzes.get(row.id, ())),
            )
        )
    found = {}
    for row in courses:
        course_modules = tuple(by_course.get(row.id, ()))
        found[row.id] = CourseSnapshot(
            id=row.id,
            slug=row.slug,
            title=row.title,
            summary=row.summary,
            version_label=row.version_label,
            level=row.level,
            estimated_hours=row.estimated_hours,
            is_published=row.is_published,
            certificate_enabled=row.certificate_enabled,
            authors=tuple(row.authors or ()),
            reviewed_by=row.reviewed_by,
            last_reviewed=row.last_reviewed,
            language=row.language,
            instructor_emails=frozenset(email.lower() for email in row.instructor_emails or ()),
            completion=CompletionRules.from_stored(row.completion),
            landing_html=row.landing_html,
            content_hash=row.content_hash,
            lesson_count=row.lesson_count,
            total_minutes=row.total_minutes,
            synced_at=row.synced_at,
            modules=course_modules,
        )
    return found


class SnapshotCache:
    """The snapshots one process (one app) has built, one version per course.

    Requests only read the dictionary; a miss builds outside the lock and swaps the entry in
    (two threads missing together may both build, and either result is the same version).
    """

    def __init__(self) -> None:
        self._by_id: dict[int, CourseSnapshot] = {}
        self._lock = threading.Lock()
        #: How many snapshots this process built (tests read it to see reuse).
        self.built = 0

    def get(self, versions: Mapping[int, str]) -> dict[int, CourseSnapshot]:
        """Snapshots of ``{course id: content hash}``, building those not cached yet.

        A course missing from the database (deleted meanwhile) is left out.
        """
        found: dict[int, CourseSnapshot] = {}
        missing: list[int] = []
        for course_id, content_hash in versions.items():
            cached = self._by_id.get(course_id)
            if cached is not None and cached.content_hash == content_hash:
                found[course_id] = cached
            else:
                missing.append(course_id)
        if missing:
            built = build(missing)
            with self._lock:
                self.built += len(built)
                self._by_id.update(built)
            # The build read the rows current now: if a sync committed since the page read
            # ``versions``, this is the newer version, which is what the next request uses.
            found.update(built)
        return found


def cache() -> SnapshotCache:
    """This app's snapshot cache (one per process in production)."""
    found = current_app.extensions.get("learnapp_snapshots")
    if found is None:
        found = current_app.extensions.setdefault("learnapp_snapshots", SnapshotCache())
    return found  # type: ignore[no-any-return]


def snapshots(versions: Mapping[int, str]) -> dict[int, CourseSnapshot]:
    """The snapshots of ``{course id: content hash}`` (see :class:`SnapshotCache`)."""
    return cache().get(versions)


def snapshot(course_id: int, content_hash: str) -> CourseSnapshot | None:
    return snapshots({course_id: content_hash}).get(course_id)


def of(course: Course) -> CourseSnapshot:
    """The snapshot of a course row loaded by the caller (write paths, instructor pages)."""
    found = snapshot(course.id, course.content_hash)
    if found is None:  # the row was loaded in this transaction, so it exists
        raise LookupError(f"course {course.id} vanished")
    return found
