"""Admins assign and unassign instructors to courses from the user page, audit-logged."""

from __future__ import annotations

from sqlalchemy import select

from learnapp.audit.models import AuditEvent
from learnapp.auth.models import User
from learnapp.catalog import services as catalog
from learnapp.catalog.models import CourseInstructor


def _events(db, action):
    return list(db.session.scalars(select(AuditEvent).filter_by(action=action)))


def test_user_page_lists_courses_named_in_the_file(client, admin, instructor, basics, login):
    login(admin)
    page = client.get(f"/admin/users/{instructor.id}").get_data(as_text=True)
    assert "Courses taught" in page
    assert "Course basics" in page
    assert "named in the course file" in page
    assert "Edit the course file to remove" in page


def test_admin_assigns_an_instructor_with_audit(client, admin, make_user, basics, login, db):
    teacher = make_user(role="instructor", email="teacher@example.com")
    login(admin)
    assert basics.title in client.get(f"/admin/users/{teacher.id}").get_data(as_text=True)
    response = client.post(
        f"/admin/users/{teacher.id}/courses",
        data={"assign-course": str(basics.id), "assign-reason": "covers for Ivy"},
    )
    assert response.status_code == 302
    assert db.session.get(CourseInstructor, {"course_id": basics.id, "user_id": teacher.id})
    assert catalog.is_course_instructor(db.session.get(User, teacher.id), basics)
    [event] = _events(db, "course.instructor_assigned")
    assert event.actor_id == admin.id
    assert (event.target_type, event.target_id) == ("users", str(teacher.id))
    assert event.details == {"course": "basics", "reason": "covers for Ivy"}
    page = client.get(f"/admin/users/{teacher.id}").get_data(as_text=True)
    assert "assigned by an admin" in page
    assert "Unassign" in page


def test_assigning_a_student_makes_them_an_instructor_and_ends_sessions(
    client, app, admin, student, basics, login, db, auth_for
):
    other = app.test_client()
    auth_for(other).login(student)
    assert other.get("/account").status_code == 200
    login(admin)
    client.post(f"/admin/users/{student.id}/courses", data={"assign-course": str(basics.id)})
    refreshed = db.session.get(User, student.id)
    assert refreshed.role == "instructor"
    [role_event] = _events(db, "user.role_changed")
    assert role_event.details["new"] == "instructor"
    assert role_event.details["reason"] == "assigned to teach basics"
    assert other.get("/account").status_code == 302  # the role change ended the session


def test_admin_unassigns_with_audit(client, admin, make_user, basics, login, db):
    teacher = make_user(role="instructor")
    catalog.assign_instructor(basics, teacher)
    db.session.commit()
    login(admin)
    response = client.post(f"/admin/users/{teacher.id}/courses/{basics.id}/unassign")
    assert response.status_code == 302
    assert db.session.get(CourseInstructor, {"course_id": basics.id, "user_id": teacher.id}) is None
    assert not catalog.is_course_instructor(db.session.get(User, teacher.id), basics)
    [event] = _events(db, "course.instructor_unassigned")
    assert event.details["course"] == "basics"
    # A second unassign changes nothing and records nothing.
    client.post(f"/admin/users/{teacher.id}/courses/{basics.id}/unassign")
    assert len(_events(db, "course.instructor_unassigned")) == 1


def test_unassigning_keeps_an_instructor_named_in_the_course_file(
    client, admin, instructor, basics, login, db
):
    catalog.assign_instructor(basics, instructor)
    db.session.commit()
    login(admin)
    client.post(f"/admin/users/{instructor.id}/courses/{basics.id}/unassign")
    assert catalog.is_course_instructor(db.session.get(User, instructor.id), basics)


def test_assigning_an_unknown_or_already_assigned_course_is_refused(
    client, admin, make_user, basics, login, db
):
    teacher = make_user(role="instructor")
    login(admin)
    assert (
        client.post(f"/admin/users/{teacher.id}/courses", data={"assign-course": "999"}).status_code
        == 400
    )
    catalog.assign_instructor(basics, teacher)
    db.session.commit()
    response = client.post(
        f"/admin/users/{teacher.id}/courses", data={"assign-course": str(basics.id)}
    )
    assert response.status_code == 400  # no longer among the choices
    assert _events(db, "course.instructor_assigned") == []


def test_unassign_of_missing_course_or_user_is_404(client, admin, make_user, basics, login):
    teacher = make_user(role="instructor")
    login(admin)
    assert client.post(f"/admin/users/{teacher.id}/courses/999/unassign").status_code == 404
    assert client.post(f"/admin/users/999999/courses/{basics.id}/unassign").status_code == 404


def test_cli_assign_and_unassign_are_audited(runner, basics, make_user, db):
    teacher = make_user(role="instructor", email="cli-teacher@example.com")
    args = ["--course", "basics", "--email", teacher.email]
    result = runner.invoke(args=["courses", "assign-instructor", *args])
    assert "now teaches basics" in result.output
    result = runner.invoke(args=["courses", "unassign-instructor", *args])
    assert result.exit_code == 0, result.output
    assert "is no longer assigned to basics" in result.output
    result = runner.invoke(args=["courses", "unassign-instructor", *args])
    assert "was not assigned to basics" in result.output
    actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-2:] == ["course.instructor_assigned", "course.instructor_unassigned"]
    assert all(e.actor_id is None for e in _events(db, "course.instructor_assigned"))


def test_admin_page_for_an_admin_explains_they_manage_every_course(client, admin, login):
    login(admin)
    page = client.get(f"/admin/users/{admin.id}").get_data(as_text=True)
    assert "Admins can manage every course" in page
    assert "Assign course" not in page
