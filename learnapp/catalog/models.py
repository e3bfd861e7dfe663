"""Courses and their content as loaded by ``flask courses sync``.

Rows are keyed by the permanent ids of the course files (``slug`` columns), never by file names
or positions. Items that disappear from the files are retired, not deleted, so progress and
attempts that point at them keep their history.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learnapp.content.errors import stored_is_error
from learnapp.content.specs import QuizSettings
from learnapp.database import utcnow
from learnapp.extensions import db


class Course(db.Model):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The course file's permanent ``id``; also the URL slug.
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    #: Human version label from the course file; ``content_hash`` is what records pin.
    version_label: Mapped[str] = mapped_column(String(50))
    level: Mapped[str] = mapped_column(String(20))
    estimated_hours: Mapped[Decimal] = mapped_column(Numeric(6, 1))
    is_published: Mapped[bool] = mapped_column(default=False)
    certificate_enabled: Mapped[bool] = mapped_column(default=False)
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The course file's ``reviewed_by`` statement ("" when the file has none).
    reviewed_by: Mapped[str] = mapped_column(String(300), default="", server_default="")
    last_reviewed: Mapped[date | None] = mapped_column(Date)
    #: The course file's ``language:`` (BCP 47, ``en``): the ``lang`` of its content on pages.
    language: Mapped[str | None] = mapped_column(String(35))
    #: Instructor e-mails named in the course file (admins may assign more).
    instructor_emails: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: ``{"lessons": [...], "all_lessons": bool, "quizzes": {quiz slug: passing percent}}``.
    completion: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    landing_html: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    #: Folder name under the courses directory.
    source_dir: Mapped[str] = mapped_column(String(255))
    lesson_count: Mapped[int] = mapped_column(default=0)
    total_minutes: Mapped[int] = mapped_column(default=0)
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Problems from the latest check of the folder (:meth:`Problem.to_json`: path, line,
    #: severity and the message with its template, shown in each reader's language); the last
    #: good version keeps serving while there are errors among them.
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    checked_at: Mapped[datetime | None]
    #: Quiz-quality warnings of the loaded version, stored the same way (each with its
    #: ``code``), kept apart from ``problems``: they never stop a sync nor make it parse the
    #: folder again.
    quality_warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    #: ``learnapp.content.quality.VERSION`` that computed them; None before the first check.
    quality_version: Mapped[int | None]
    #: The folder is gone: hidden from the catalogue, history kept.
    is_retired: Mapped[bool] = mapped_column(default=False)

    modules: Mapped[list[Module]] = relationship(
        back_populates="course", order_by="Module.position", cascade="all, delete-orphan"
    )

    @property
    def has_errors(self) -> bool:
        return any(stored_is_error(entry) for entry in self.problems)


class CourseInstructor(db.Model):
    """An instructor assigned to a course by an admin (in addition to those the file names)."""

    __tablename__ = "course_instructors"

    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)


class Module(db.Model):
    __tablename__ = "modules"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    intro_html: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    prerequisites: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_retired: Mapped[bool] = mapped_column(default=False)

    course: Mapped[Course] = relationship(back_populates="modules")
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="module", order_by="Lesson.position"
    )
    quizzes: Mapped[list[Quiz]] = relationship(back_populates="module", order_by="Quiz.position")


class Lesson(db.Model):
    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    minutes: Mapped[int] = mapped_column(default=0)
    #: Order within the module.
    position: Mapped[int] = mapped_column(default=0)
    #: Sanitised HTML rendered once at sync; served as is.
    html: Mapped[str] = mapped_column(Text, default="")
    #: ``[[level, anchor, text], ...]`` for h2/h3.
    toc: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: Plain text for full-text search.
    text: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    #: Key of the rendered HTML (file, link targets, renderer version).
    render_key: Mapped[str] = mapped_column(String(64), index=True)
    source_path: Mapped[str] = mapped_column(String(500))
    prerequisites: Mapped[list[str]] = mapped_column(JSON, default=list)
    objectives: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_retired: Mapped[bool] = mapped_column(default=False)

    module: Mapped[Module] = relationship(back_populates="lessons")


class Quiz(db.Model):
    __tablename__ = "quizzes"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)
    #: Quiz front matter with defaults applied (see docs/course-format.md).
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    intro_html: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    source_path: Mapped[str] = mapped_column(String(500))
    question_count: Mapped[int] = mapped_column(default=0)
    max_points: Mapped[int] = mapped_column(default=0)
    is_retired: Mapped[bool] = mapped_column(default=False)

    module: Mapped[Module] = relationship(back_populates="quizzes")
    questions: Mapped[list[Question]] = relationship(
        back_populates="quiz", order_by="Question.position"
    )

    @property
    def typed_settings(self) -> QuizSettings:
        """The settings as the one typed object, defaults applied: read them here, never by
        string key from :attr:`settings`."""
        return QuizSettings.from_dict(self.settings)


class Question(db.Model):
    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(20))
    points: Mapped[int] = mapped_column(default=1)
    position: Mapped[int] = mapped_column(default=0)
    content_hash: Mapped[str] = mapped_column(String(64))
    #: The current version (``QuestionSpec.to_dict()``), answer key included: server side only.
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    is_retired: Mapped[bool] = mapped_column(default=False)

    quiz: Mapped[Quiz] = relationship(back_populates="questions")


class QuestionVersion(db.Model):
    """Every version a question has had, so attempts are graded against what they were shown."""

    __tablename__ = "question_versions"
    __table_args__ = (UniqueConstraint("question_id", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), index=True
    )
    content_hash: Mapped[str] = mapped_column(String(64))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
