"""An admin anonymises an account on request: identity gone, results kept, certificates verify."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf
import pytest
from sqlalchemy import func, select

from learnapp.audit.models import AuditEvent
from learnapp.auth import services as auth_services
from learnapp.auth.models import PasswordResetToken, User
from learnapp.catalog import services as catalog
from learnapp.catalog.models import CourseInstructor
from learnapp.certificates import services as certificate_services
from learnapp.certificates.models import Certificate
from learnapp.privacy import services as privacy
from learnapp.progress.models import Enrollment, LessonCompletion
from learnapp.quizzes.models import Answer, QuizAttempt

FORM = {"anonymise-reason": "asked by e-mail on 3 Dec", "anonymise-confirm_email": ""}


def anonymise(client, user, **data):
    form = {**FORM, "anonymise-confirm_email": user.email, **data}
    return client.post(f"/admin/users/{user.id}/anonymise", data=form)


def count(db, model, user_id):
    return db.session.scalar(select(func.count()).select_from(model).filter_by(user_id=user_id))


def test_anonymising_replaces_name_and_email_and_closes_the_account(
    client, admin, student, login, db
):
    login(admin)
    response = anonymise(client, student)
    assert response.status_code == 302
    user = db.session.get(User, student.id)
    assert user.email == f"anonymised-{student.id}@anonymised.invalid"
    assert user.display_name == f"Anonymised student #{student.id}"
    assert user.is_active is False
    assert user.is_anonymised
    assert user.last_login_at is None
    assert user.password_hash == privacy.UNUSABLE_PASSWORD_HASH
    page = client.get(f"/admin/users/{student.id}").get_data(as_text=True)
    assert "Sam Student" not in page
    assert "student@example.com" not in page
    assert "can no longer be changed" in page


def test_anonymised_account_cannot_log_in_and_its_sessions_end(
    app, client, admin, student, login, auth_for, password
):
    theirs = app.test_client()
    auth_for(theirs).login(student)
    assert theirs.get("/account").status_code == 200
    login(admin)
    anonymise(client, student)
    assert theirs.get("/account").status_code == 302  # the old session is dead
    fresh = app.test_client()
    response = auth_for(fresh).login("student@example.com", password)
    assert response.status_code == 200
    assert b"is not correct" in response.data
    placeholder = auth_for(app.test_client()).login(
        f"anonymised-{student.id}@anonymised.invalid", password
    )
    assert placeholder.status_code == 200
    assert auth_services.authenticate(f"anonymised-{student.id}@anonymised.invalid", "") is None


def test_results_are_kept_on_the_anonymised_row(
    client, admin, student, login, learn, take_quiz, db
):
    learn(student)
    take_quiz(student)
    before = {
        model: count(db, model, student.id) for model in (Enrollment, LessonCompletion, QuizAttempt)
    }
    answers = db.session.scalar(select(func.count()).select_from(Answer))
    login(admin)
    anonymise(client, student)
    after = {model: count(db, model, student.id) for model in before}
    assert after == before
    assert all(value >= 1 for value in after.values())
    assert db.session.scalar(select(func.count()).select_from(Answer)) == answers


def test_certificate_keeps_verifying_with_the_name_withheld(
    app, client, admin, student, login, make_certificate, db
):
    certificate = make_certificate(student)
    public_id = certificate.public_id
    login(admin)
    anonymise(client, student)
    row = db.session.scalar(select(Certificate).filter_by(public_id=public_id))
    assert row.name == "Name withheld at the holder's request"
    assert row.user_id is None
    assert row.revoked_at is None
    page = app.test_client().get(f"/certificates/{public_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Name withheld at the holder" in html
    assert "Sam Student" not in html
    assert "Course basics" in html


def test_the_cached_certificate_pdf_with_the_name_is_removed(
    app, client, admin, student, login, make_certificate, db
):
    certificate = make_certificate(student)
    pdf_url = f"/certificates/{certificate.public_id}/certificate.pdf"
    assert "Sam Student" in pdf_text(app.test_client().get(pdf_url).data)
    cache = Path(app.instance_path) / certificate_services.PDF_CACHE
    assert list(cache.iterdir())
    login(admin)
    anonymise(client, student)
    assert not list(cache.iterdir())
    text = pdf_text(app.test_client().get(pdf_url).data)
    assert "Name withheld" in text
    assert "Sam Student" not in text
    assert ["Sam Student" not in pdf_text(path.read_bytes()) for path in cache.iterdir()] == [True]


def pdf_text(data: bytes) -> str:
    return pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text()


def test_audit_keeps_the_act_but_not_the_personal_data(client, admin, student, login, db):
    auth_services.update_profile(student, "Samantha Student")
    db.session.commit()
    login(admin)
    anonymise(
        client,
        db.session.get(User, student.id),
        **{"anonymise-reason": "Samantha Student wrote from student@example.com"},
    )
    event = db.session.scalar(select(AuditEvent).filter_by(action="user.anonymised"))
    assert event.actor_id == admin.id
    assert (event.target_type, event.target_id) == ("users", str(student.id))
    assert event.details["reason"] == "[removed] wrote from [removed]"
    assert event.details["certificates"] == 0
    everything = " ".join(str(e.details) for e in db.session.scalars(select(AuditEvent))).lower()
    for personal in ("samantha student", "sam student", "student@example.com"):
        assert personal not in everything


def test_ip_addresses_of_the_accounts_own_actions_are_dropped(client, admin, student, login, db):
    login(student)
    client.post("/account", data={"profile-display_name": "New Name", "profile-submit": "1"})
    own = db.session.scalar(select(AuditEvent).filter_by(action="user.profile_updated"))
    assert own.ip_address
    login(admin)
    anonymise(client, db.session.get(User, student.id))
    db.session.refresh(own)
    assert own.ip_address is None
    assert own.details == {"old": "[removed]", "new": "[removed]"}
    staff = db.session.scalar(select(AuditEvent).filter_by(action="user.anonymised"))
    assert staff.ip_address  # the admin's own action keeps its address


def test_anonymising_an_instructor_removes_assignments_and_reset_links(
    client, admin, make_user, basics, login, db
):
    teacher = make_user(role="instructor", email="teach@example.com")
    catalog.assign_instructor(basics, teacher)
    auth_services.issue_reset_token(teacher)
    db.session.commit()
    login(admin)
    anonymise(client, teacher)
    assert count(db, CourseInstructor, teacher.id) == 0
    assert count(db, PasswordResetToken, teacher.id) == 0
    assert db.session.get(User, teacher.id).display_name == f"Anonymised instructor #{teacher.id}"


def test_confirmation_and_reason_are_required(client, admin, student, login, db):
    login(admin)
    wrong = anonymise(client, student, **{"anonymise-confirm_email": "someone@example.com"})
    assert wrong.status_code == 400
    assert b"not the account&#39;s e-mail address" in wrong.data
    no_reason = anonymise(client, student, **{"anonymise-reason": ""})
    assert no_reason.status_code == 400
    assert b"Say why the account is anonymised" in no_reason.data
    user = db.session.get(User, student.id)
    assert user.email == "student@example.com"
    assert not user.is_anonymised


def test_confirmation_ignores_case_and_spaces(client, admin, student, login, db):
    login(admin)
    response = anonymise(client, student, **{"anonymise-confirm_email": " Student@Example.com "})
    assert response.status_code == 302
    assert db.session.get(User, student.id).is_anonymised


def test_admin_cannot_anonymise_themselves(client, admin, login, db):
    login(admin)
    response = anonymise(client, admin)
    assert response.status_code == 302
    assert not db.session.get(User, admin.id).is_anonymised
    assert b"cannot anonymise your own account" in client.get(response.headers["Location"]).data


def test_anonymised_account_can_no_longer_be_changed(
    client, runner, admin, student, basics, login, db
):
    login(admin)
    anonymise(client, student)
    for path, data in [
        ("anonymise", FORM),
        ("active", {}),
        ("role", {"role-role": "admin"}),
        ("reset-link", {}),
        ("courses", {"assign-course": str(basics.id)}),
    ]:
        response = client.post(f"/admin/users/{student.id}/{path}", data=data)
        assert response.status_code == 409, path
    user = db.session.get(User, student.id)
    assert (user.is_active, user.role) == (False, "student")
    result = runner.invoke(args=["users", "deactivate", "--activate", "--email", user.email])
    assert result.exit_code == 1
    assert "cannot be re-activated" in result.output
    assert db.session.scalar(select(func.count()).select_from(PasswordResetToken)) == 0


def test_gradebook_style_name_for_other_pages(client, admin, student, login, db):
    """Pages that show the account's name (gradebook, audit log) show the placeholder."""
    login(admin)
    anonymise(client, student)
    users = client.get("/admin/users").get_data(as_text=True)
    assert f"Anonymised student #{student.id}" in users
    assert "Sam Student" not in users


def test_certified_names_are_redacted_from_certificate_events(
    client, admin, student, login, make_certificate, db
):
    from learnapp.audit import services as audit

    certificate = make_certificate(student, name="Samuel Maiden-Name")
    audit.record(
        "certificate.reissued",
        actor=admin,
        target=certificate,
        old_name="Samuel Maiden-Name",
        new_name="Sam Student",
    )
    db.session.commit()
    login(admin)
    anonymise(client, student)
    event = db.session.scalar(select(AuditEvent).filter_by(action="certificate.reissued"))
    assert event.details == {"old_name": "[removed]", "new_name": "[removed]"}


def test_a_second_anonymisation_is_refused_and_records_nothing(admin, student, db):
    user = db.session.get(User, student.id)
    privacy.anonymise_user(user, actor=admin, reason="asked")
    db.session.commit()
    with pytest.raises(privacy.AnonymisationRefused):
        privacy.anonymise_user(user, actor=admin, reason="asked again")
    events = db.session.scalars(select(AuditEvent).filter_by(action="user.anonymised")).all()
    assert len(events) == 1
