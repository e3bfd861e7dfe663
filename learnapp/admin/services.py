"""Admin rules and queries: users, instructors of courses, the audit log."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import aliased

from learnapp.audit import services as audit
from learnapp.audit.models import AuditEvent
from learnapp.auth import services as auth_services
from learnapp.auth.models import Role, User
from learnapp.catalog import services as catalog_services
from learnapp.catalog.models import Course, CourseInstructor
from learnapp.errors import Conflict
from learnapp.extensions import db

PAGE_SIZE = 50


def search_users(query: str, page: int) -> tuple[list[User], int]:
    """Return one page of users matching ``query`` (e-mail or name) and the total count."""
    stmt = select(User)
    if query:
        pattern = f"%{query.lower()}%"
        stmt = stmt.where(
            or_(User.email.like(pattern), func.lower(User.display_name).like(pattern))
        )
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    users = db.session.scalars(
        stmt.order_by(User.id).limit(PAGE_SIZE).offset((max(page, 1) - 1) * PAGE_SIZE)
    ).all()
    return list(users), total


# --- instructors and courses ------------------------------------------------------------------


@dataclass(frozen=True)
class Teaching:
    """A course ``user`` teaches, and why: named in the course file and/or assigned by an admin."""

    course: Course
    in_file: bool
    assigned: bool


def teaching(user: User) -> tuple[list[Teaching], list[Course]]:
    """The courses ``user`` teaches, and the courses an admin could assign (two queries)."""
    courses = db.session.scalars(
        select(Course).where(Course.is_retired.is_(False)).order_by(Course.title)
    ).all()
    assigned = set(
        db.session.scalars(
            select(CourseInstructor.course_id).where(CourseInstructor.user_id == user.id)
        )
    )
    email = user.email.lower()
    taught, assignable = [], []
    for course in courses:
        in_file = email in course.instructor_emails
        if in_file or course.id in assigned:
            taught.append(Teaching(course, in_file, course.id in assigned))
        if course.id not in assigned:
            assignable.append(course)
    return taught, assignable


def assign_instructor(course: Course, user: User, *, actor: User | None, reason: str = "") -> bool:
    """Make ``user`` an instructor of ``course``; False if an admin already had.

    A student becomes an instructor (as with ``flask courses assign-instructor``); the role
    change is audited and ends their sessions like any other.

    :raises Conflict: ``user`` is anonymised.
    """
    _require_changeable(user)
    if user.role == Role.STUDENT:
        auth_services.set_role(
            user, Role.INSTRUCTOR, actor=actor, reason=f"assigned to teach {course.slug}"
        )
    added = catalog_services.assign_instructor(course, user)
    if added:
        audit.record(
            "course.instructor_assigned",
            actor=actor,
            target=user,
            course=course.slug,
            reason=reason,
        )
    db.session.flush()
    return added


def unassign_instructor(
    course: Course, user: User, *, actor: User | None, reason: str = ""
) -> bool:
    """Remove an admin's assignment of ``user`` to ``course``; False if there was none.

    Instructors named in the course file keep teaching it: only the file can remove them.
    """
    removed = db.session.execute(
        delete(CourseInstructor).where(
            CourseInstructor.course_id == course.id, CourseInstructor.user_id == user.id
        )
    ).rowcount
    if removed:
        audit.record(
            "course.instructor_unassigned",
            actor=actor,
            target=user,
            course=course.slug,
            reason=reason,
        )
    return bool(removed)


def _require_changeable(user: User) -> None:
    if user.is_anonymised:
        raise Conflict(_("This account was anonymised; it can no longer be changed."))


# --- audit log --------------------------------------------------------------------------------

AUDIT_PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    #: Part of the acting account's e-mail or name; "system" for the command line.
    actor: str = ""
    target_type: str = ""
    target_id: str = ""
    since: date | None = None
    until: date | None = None


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    actor: User | None
    #: The target account, when the event is about one.
    target_user: User | None


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    total: int
    page: int
    pages: int
    actions: list[str]
    target_types: list[str]


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def audit_events(filters: AuditFilters, page: int) -> AuditPage:
    """One page of audit events, newest first, in five queries whatever the page holds."""
    actor = aliased(User)
    stmt = select(AuditEvent, actor).outerjoin(actor, actor.id == AuditEvent.actor_id)
    if filters.action:
        stmt = stmt.where(AuditEvent.action == filters.action)
    if filters.actor.lower() == "system":
        stmt = stmt.where(AuditEvent.actor_id.is_(None))
    elif filters.actor:
        pattern = f"%{filters.actor.lower()}%"
        stmt = stmt.where(
            or_(func.lower(actor.email).like(pattern), func.lower(actor.display_name).like(pattern))
        )
    if filters.target_type:
        stmt = stmt.where(AuditEvent.target_type == filters.target_type)
    if filters.target_id:
        stmt = stmt.where(AuditEvent.target_id == filters.target_id)
    if filters.since:
        stmt = stmt.where(AuditEvent.created_at >= _day_start(filters.since))
    if filters.until:
        stmt = stmt.where(AuditEvent.created_at < _day_start(filters.until + timedelta(days=1)))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    pages = max(1, math.ceil(total / AUDIT_PAGE_SIZE))
    page = min(max(page, 1), pages)
    found = db.session.execute(
        stmt.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(AUDIT_PAGE_SIZE)
        .offset((page - 1) * AUDIT_PAGE_SIZE)
    ).all()
    user_ids = {
        int(event.target_id)
        for event, _ in found
        if event.target_type == User.__tablename__ and (event.target_id or "").isdigit()
    }
    targets = (
        {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))}
        if user_ids
        else {}
    )
    rows = [
        AuditRow(
            event,
            actor_user,
            targets.get(int(event.target_id))
            if event.target_type == User.__tablename__ and (event.target_id or "").isdigit()
            else None,
        )
        for event, actor_user in found
    ]
    actions = list(
        db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action))
    )
    target_types = list(
        db.session.scalars(
            select(AuditEvent.target_type)
            .where(AuditEvent.target_type.is_not(None))
            .distinct()
            .order_by(AuditEvent.target_type)
        )
    )
    return AuditPage(rows, total, page, pages, actions, target_types)
