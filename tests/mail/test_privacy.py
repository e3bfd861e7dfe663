"""Mail in the data download and in anonymisation."""

from __future__ import annotations

from sqlalchemy import select

from learnapp.certificates import services as certificates
from learnapp.extensions import db
from learnapp.mail import notices
from learnapp.mail.models import MailPreferences, OutboxMessage
from learnapp.privacy import services as privacy


def test_the_download_lists_mails_and_preferences_and_anonymising_deletes_them(
    app, inbox, student, basics, admin
):
    notices.set_preferences(student, {notices.Notice.PRACTICE_DIGEST: True})
    certificates.award(student, basics, reason="Prior learning", actor=admin)
    db.session.commit()

    with app.test_request_context():
        data = privacy.export_data(student)
    assert data["mail_preferences"] == {
        "certificate_issued": True,
        "attempt_graded": True,
        "practice_digest": True,
    }
    [mail] = data["mails"]
    assert (mail["kind"], mail["to"], mail["status"]) == (
        "certificate_issued",
        "student@example.com",
        "sent",
    )
    assert data["profile"]["email_verified_at"] is not None

    privacy.anonymise_user(student, reason="asked in writing", actor=admin)
    db.session.commit()
    assert db.session.scalar(select(OutboxMessage)) is None
    assert db.session.scalar(select(MailPreferences)) is None
