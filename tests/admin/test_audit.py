"""The audit log viewer: newest first, filters, pagination, constant queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete

from learnapp.audit import services as audit
from learnapp.audit.models import AuditEvent
from learnapp.auth.models import User

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _forget_factory_events(db):
    """The user factories record ``user.created``; each test looks only at its own events."""
    db.session.execute(delete(AuditEvent).where(AuditEvent.action == "user.created"))


@pytest.fixture
def record(db):
    """``record(action, at=..., actor=..., target=..., **details)``: an event at a fixed time."""

    def add(action, at=T0, **fields):
        _forget_factory_events(db)
        event = audit.record(action, **fields)
        event.created_at = at
        db.session.commit()
        return event

    return add


def _rows(html):
    """The audit table's body rows, as text."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return body.split("</tr>")[:-1]


def test_shows_who_what_when_and_on_what_newest_first(client, admin, student, login, record):
    record("user.role_changed", at=T0, actor=admin, target=student, old="student", new="instructor")
    record("quiz.regraded", at=T0 + timedelta(hours=1), target_type="quizzes", target_id=7)
    login(admin)
    response = client.get("/admin/audit")
    assert response.status_code == 200
    rows = _rows(response.get_data(as_text=True))
    assert len(rows) == 2
    newest, oldest = rows
    assert "quiz.regraded" in newest
    assert "system" in newest
    assert "quizzes #7" in newest
    assert "Nov 20, 2026 1:00:00\u202fPM UTC" in newest
    assert "user.role_changed" in oldest
    assert "Ada Admin" in oldest
    assert f"/admin/users/{admin.id}" in oldest
    assert "Sam Student" in oldest
    assert f"/admin/users/{student.id}" in oldest
    assert "<dt>new</dt><dd>instructor</dd>" in oldest
    assert "Nov 20, 2026 12:00:00\u202fPM UTC" in oldest


def test_filters_by_action(client, admin, student, login, record):
    record("user.deactivated", actor=admin, target=student)
    record("user.reset_link_issued", actor=admin, target=student)
    login(admin)
    page = client.get("/admin/audit?action=user.deactivated").get_data(as_text=True)
    rows = _rows(page)
    assert len(rows) == 1
    assert "user.deactivated" in rows[0]
    assert "1 event matches the filters" in page
    # The action list offers every recorded action.
    assert '<option value="user.reset_link_issued">' in page


def test_filters_by_actor_email_name_or_system(client, admin, make_user, login, record):
    other_admin = make_user(role="admin", email="root@example.org", display_name="Rita Root")
    record("a.by_ada", actor=admin)
    record("b.by_rita", actor=other_admin)
    record("c.by_cli")
    login(admin)

    def actions(query):
        html = client.get(f"/admin/audit?{query}").get_data(as_text=True)
        return sorted(row.split("<code>")[1].split("</code>")[0] for row in _rows(html))

    assert actions("actor=example.org") == ["b.by_rita"]
    assert actions("actor=ADA") == ["a.by_ada"]
    assert actions("actor=system") == ["c.by_cli"]


def test_filters_by_target(client, admin, student, make_user, login, record):
    other = make_user()
    record("user.deactivated", actor=admin, target=student)
    record("user.deactivated", actor=admin, target=other)
    record("quiz.regraded", target_type="quizzes", target_id=student.id)
    login(admin)
    html = client.get(f"/admin/audit?target_type=users&target_id={student.id}").get_data(
        as_text=True
    )
    rows = _rows(html)
    assert len(rows) == 1
    assert "Sam Student" in rows[0]
    assert len(_rows(client.get("/admin/audit?target_type=quizzes").get_data(as_text=True))) == 1


def test_user_page_links_to_events_about_the_user(client, admin, student, login):
    login(admin)
    page = client.get(f"/admin/users/{student.id}").get_data(as_text=True)
    assert f"/admin/audit?target_type=users&amp;target_id={student.id}" in page


def test_filters_by_date_range_inclusive(client, admin, login, record):
    for day in (1, 2, 3, 4):
        record(f"day.{day}", at=datetime(2026, 11, day, 23, 59, tzinfo=UTC))
    login(admin)
    html = client.get("/admin/audit?since=2026-11-02&until=2026-11-03").get_data(as_text=True)
    assert [row.split("<code>")[1].split("</code>")[0] for row in _rows(html)] == [
        "day.3",
        "day.2",
    ]


def test_an_invalid_date_is_reported_and_ignored(client, admin, login, record):
    record("some.action")
    login(admin)
    response = client.get("/admin/audit?since=yesterday")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Not a valid date value" in html
    assert len(_rows(html)) == 1


def test_paginates_fifty_per_page_and_keeps_filters(client, admin, login, record, db):
    for n in range(120):
        record("bulk.event", at=T0 + timedelta(minutes=n), number=n)
    record("other.event")
    login(admin)
    first = client.get("/admin/audit?action=bulk.event").get_data(as_text=True)
    assert "Page 1 of 3" in first
    assert "<dt>number</dt><dd>119</dd>" in _rows(first)[0]
    assert "page=2" in first
    assert "action=bulk.event" in first.split('rel="next"')[0].rsplit("href=", 1)[1]
    third = client.get("/admin/audit?action=bulk.event&page=3").get_data(as_text=True)
    rows = _rows(third)
    assert len(rows) == 20
    assert "<dt>number</dt><dd>0</dd>" in rows[-1]
    # Out-of-range pages show the last page rather than an error.
    assert "Page 3 of 3" in client.get("/admin/audit?action=bulk.event&page=99").get_data(
        as_text=True
    )


def test_query_count_does_not_grow_with_the_page(
    client, admin, make_user, login, record, db, sql_statements
):
    login(admin)

    def queries():
        with sql_statements() as seen:
            assert client.get("/admin/audit").status_code == 200
        return len([s for s in seen if not s.startswith("BEGIN")])

    user = make_user()
    record("one.event", actor=admin, target=user)
    few = queries()
    for n in range(60):
        target = make_user()
        record("many.event", actor=make_user(role="admin"), target=target, n=n)
    assert queries() == few


def test_empty_states(client, admin, login, db):
    _forget_factory_events(db)
    login(admin)
    # Logging in records nothing, so the log starts empty.
    assert "Nothing has been recorded yet" in client.get("/admin/audit").get_data(as_text=True)
    html = client.get("/admin/audit?action=none.such").get_data(as_text=True)
    assert "No event matches these filters" in html


def test_details_are_escaped(client, admin, login, record):
    record("user.profile_updated", actor=admin, target=admin, new="<script>alert(1)</script>")
    login(admin)
    html = client.get("/admin/audit").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_anonymised_actor_shows_the_placeholder_name(client, admin, student, login, record, db):
    from learnapp.privacy import services as privacy

    record("user.password_changed", actor=student, target=student)
    privacy.anonymise_user(db.session.get(User, student.id), actor=admin, reason="asked")
    db.session.commit()
    login(admin)
    html = client.get("/admin/audit?action=user.password_changed").get_data(as_text=True)
    assert f"Anonymised student #{student.id}" in html
    assert "Sam Student" not in html
