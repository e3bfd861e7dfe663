import logging

from learnapp.audit import services as audit
from learnapp.audit.models import AuditEvent


def test_record_stores_who_what_when_and_target(db, admin, student):
    event = audit.record("user.role_changed", actor=admin, target=student, new="instructor")
    db.session.commit()
    stored = db.session.get(AuditEvent, event.id)
    assert (stored.actor_id, stored.action) == (admin.id, "user.role_changed")
    assert (stored.target_type, stored.target_id) == ("users", str(student.id))
    assert stored.details == {"new": "instructor"}
    assert stored.created_at.tzinfo is not None


def test_record_neutralises_line_breaks_in_details(db, caplog):
    caplog.set_level(logging.INFO, logger="learnapp.audit")
    audit.record("test.event", name="Mallory\r\nINFO forged line")
    assert "\n" not in caplog.text.strip()
    assert "Mallory  INFO forged line" in caplog.text
