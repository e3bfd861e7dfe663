"""Notices: certificate issued, score set by hand, practice digest; unsubscribe and
preferences."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from learnapp.catalog.models import Question
from learnapp.certificates import services as certificates
from learnapp.database import utcnow
from learnapp.extensions import db
from learnapp.mail import notices, tasks
from learnapp.mail.models import MailPreferences
from learnapp.progress import services as progress
from learnapp.quizzes import lifecycle
from learnapp.quizzes.models import PracticeItem
from tests.mail.conftest import sent

LESSONS = ("basics-intro", "basics-second", "basics-third")


def path_of(url):
    return url.removeprefix("http://learnapp.test")


def unsubscribe_links(mail):
    header = mail.message["List-Unsubscribe"].strip().strip("<>")
    [in_body] = [url for url in mail.links() if "/unsubscribe/" in url]
    return path_of(header), path_of(in_body)


def complete(student, quiz, lesson):
    for slug in LESSONS:
        progress.complete_lesson(student, quiz.module.course, lesson(slug))
    db.session.commit()


# --- certificate issued ------------------------------------------------------------------------


def test_an_issued_certificate_is_mailed_once_with_its_verification_link(
    app, inbox, student, basics, quiz, lesson, submit_result
):
    complete(student, quiz, lesson)
    submit_result(student, quiz, 90)
    issued = certificates.issue_if_complete(student, basics)
    db.session.commit()
    assert certificates.issue_if_complete(student, basics) is None  # already issued
    db.session.commit()

    [mail] = inbox.received
    assert mail.recipients == [student.email]
    assert mail.subject == "Your certificate for “Course basics”"
    assert mail.message["Auto-Submitted"] == "auto-generated"
    assert mail.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    verify = f"http://learnapp.test/certificates/{issued.public_id}"
    assert verify in mail.links()
    assert f'href="{verify}"' in mail.html
    one_click, page = unsubscribe_links(mail)
    assert one_click == page + "/one-click"


def test_an_awarded_certificate_is_mailed_too(app, inbox, student, basics, admin):
    certificates.award(student, basics, reason="Prior learning", actor=admin)
    db.session.commit()
    assert [mail.recipients for mail in inbox.received] == [[student.email]]


def test_a_notice_is_written_in_the_language_its_recipient_chose(app, inbox, student, quiz, admin):
    """Whoever caused it, the mail is in the language the student chose."""
    student.locale = "es"
    lifecycle.set_manual_score(student, quiz, Decimal("72.5"), reason="Oral", actor=admin)
    db.session.commit()
    [mail] = inbox.to(student.email)
    assert mail.subject == "Tu instructor ha fijado tu puntuación en «Basics quiz»"
    assert "72,5\xa0%" in mail.text  # a no-break space, as Spanish writes it
    assert "Darse de baja" in mail.text
    assert '<html lang="es">' in mail.html


def test_no_certificate_mail_for_who_turned_it_off(app, inbox, student, basics, admin):
    notices.set_preferences(student, {notices.Notice.CERTIFICATE_ISSUED: False})
    certificates.award(student, basics, reason="Prior learning", actor=admin)
    db.session.commit()
    assert inbox.received == []


@pytest.mark.app_config(MAIL_VERIFICATION="required")
def test_no_notice_to_an_unverified_address_while_verification_is_required(
    app, inbox, student, basics, admin
):
    student.email_verified_at = None
    certificates.award(student, basics, reason="Prior learning", actor=admin)
    db.session.commit()
    assert inbox.received == []


# --- score set by hand -------------------------------------------------------------------------


def test_a_score_set_by_hand_is_mailed_with_the_quiz_link_and_the_certificate_it_completes(
    client, login, inbox, instructor, student, quiz, lesson
):
    complete(student, quiz, lesson)
    lifecycle.submit_attempt(lifecycle.start_attempt(student, quiz))  # 0 %
    db.session.commit()
    login(instructor)
    url = f"/instruct/courses/basics/students/{student.id}/quizzes/basics-quiz/score"
    data = {"score-basics-quiz-percent": "72.5", "score-basics-quiz-reason": "Oral exam"}
    assert sent(client.post(url, data=data)).status_code == 302

    subjects = {mail.subject: mail for mail in inbox.to(student.email)}
    assert set(subjects) == {
        "Your score on “Basics quiz” was set by your instructor",
        "Your certificate for “Course basics”",
    }
    mail = subjects["Your score on “Basics quiz” was set by your instructor"]
    assert "72.5%" in mail.text
    assert "Oral exam" not in mail.text  # the reason is for the staff's record
    assert "http://learnapp.test/courses/basics/quizzes/basics-quiz" in mail.links()

    # The same score again changes nothing and tells nobody.
    assert sent(client.post(url, data=data)).status_code == 302
    assert len(inbox.to(student.email)) == 2


# --- practice digest ---------------------------------------------------------------------------


def practice(user, quiz, due_in=timedelta(0)):
    for question in db.session.scalars(select(Question).filter_by(quiz_id=quiz.id)):
        db.session.add(
            PracticeItem(user_id=user.id, question_id=question.id, due_at=utcnow() + due_in)
        )
    db.session.commit()


def test_the_digest_goes_once_a_day_to_who_asked_and_has_questions_due(app, inbox, quiz, make_user):
    wants, not_asked, nothing_due = (make_user() for _ in range(3))
    for user in (wants, nothing_due):
        notices.set_preferences(user, {notices.Notice.PRACTICE_DIGEST: True})
    practice(wants, quiz)
    practice(not_asked, quiz)
    practice(nothing_due, quiz, due_in=timedelta(days=3))

    assert tasks.practice_digest.delay().get() == 1
    assert tasks.practice_digest.delay().get() == 0  # a second scheduler, the same day
    [mail] = inbox.received
    assert mail.recipients == [wants.email]
    due = db.session.scalar(
        select(db.func.count()).select_from(Question).filter_by(quiz_id=quiz.id)
    )
    assert mail.subject == f"{due} practice questions due for review"
    assert "http://learnapp.test/practice" in mail.links()


# --- unsubscribe and preferences ---------------------------------------------------------------


@pytest.fixture
def notice_mail(app, inbox, student, basics, admin):
    certificates.award(student, basics, reason="Prior learning", actor=admin)
    db.session.commit()
    return inbox.received[0]


def wanted(user):
    return notices.wants(user, notices.Notice.CERTIFICATE_ISSUED)


def test_the_body_link_asks_once_then_unsubscribes_logged_out(client, notice_mail, student):
    _, page = unsubscribe_links(notice_mail)
    response = client.get(page)
    assert response.status_code == 200
    assert "a certificate is issued to you" in response.get_data(as_text=True)
    assert wanted(student)  # opening the link (as mail scanners do) changes nothing

    response = client.post(page)
    assert response.status_code == 200
    assert "You are unsubscribed" in response.get_data(as_text=True)
    db.session.expire_all()
    assert not wanted(student)
    assert notices.wants(student, notices.Notice.ATTEMPT_GRADED)  # only that notice


def test_one_click_unsubscribe_from_the_mail_program(client, notice_mail, student):
    one_click, page = unsubscribe_links(notice_mail)
    response = client.post(one_click, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    db.session.expire_all()
    assert not wanted(student)
    assert client.get(one_click).headers["Location"] == page  # a browser gets the page


@pytest.mark.parametrize("token", ["forged", "eyJ1IjoxLCJuIjoicHJhY3RpY2VfZGlnZXN0In0.bad"])
def test_a_forged_unsubscribe_link_changes_nothing(client, student, token):
    assert client.get(f"/unsubscribe/{token}").status_code == 404
    assert client.post(f"/unsubscribe/{token}/one-click").status_code == 404
    assert db.session.get(MailPreferences, student.id) is None


def test_the_preferences_page_shows_and_saves_the_choices(client, login, student):
    login(student)
    page = client.get("/account/notifications").get_data(as_text=True)
    checked = set(re.findall(r'<input checked id="(\w+)"', page))
    assert checked == {"certificate_issued", "attempt_graded"}  # the digest is opt-in
    assert "E-mail preferences" in client.get("/account").get_data(as_text=True)

    response = client.post(
        "/account/notifications", data={"attempt_graded": "y", "practice_digest": "y"}
    )
    assert response.headers["Location"] == "/account/notifications"
    db.session.expire_all()
    prefs = notices.preferences(student)
    assert (prefs.certificate_issued, prefs.attempt_graded, prefs.practice_digest) == (
        False,
        True,
        True,
    )
