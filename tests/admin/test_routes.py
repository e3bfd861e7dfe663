from sqlalchemy import select

from learnapp.audit.models import AuditEvent
from learnapp.auth.models import User


def test_users_list_searches_and_paginates(client, admin, make_user, login):
    for n in range(55):
        make_user(email=f"bulk{n:02d}@example.com")
    login(admin)
    first = client.get("/admin/users")
    assert b"Page 1 of 2" in first.data
    found = client.get("/admin/users?q=bulk07")
    assert b"bulk07@example.com" in found.data
    assert b"bulk08@example.com" not in found.data
    assert b"1 account " in found.data


def test_empty_search_shows_a_helpful_state(client, admin, login):
    login(admin)
    assert b"No accounts match" in client.get("/admin/users?q=zzz").data


def test_admin_changes_role_with_reason_and_audit(client, admin, student, login, db):
    login(admin)
    response = client.post(
        f"/admin/users/{student.id}/role",
        data={"role-role": "instructor", "role-reason": "teaches NMT"},
    )
    assert response.status_code == 302
    assert db.session.get(User, student.id).role == "instructor"
    event = db.session.scalar(select(AuditEvent).filter_by(action="user.role_changed"))
    assert event.actor_id == admin.id
    assert event.target_id == str(student.id)
    assert event.details == {"old": "student", "new": "instructor", "reason": "teaches NMT"}


def test_admin_cannot_demote_or_deactivate_themselves(client, admin, login, db):
    login(admin)
    client.post(f"/admin/users/{admin.id}/role", data={"role-role": "student"})
    client.post(f"/admin/users/{admin.id}/active", data={})
    refreshed = db.session.get(User, admin.id)
    assert refreshed.role == "admin"
    assert refreshed.is_active


def test_admin_deactivates_and_reactivates(client, admin, student, login, db):
    login(admin)
    client.post(f"/admin/users/{student.id}/active", data={"active-reason": "left"})
    assert db.session.get(User, student.id).is_active is False
    client.post(f"/admin/users/{student.id}/active", data={})
    assert db.session.get(User, student.id).is_active is True


def test_admin_issues_reset_link_shown_once(app, client, admin, student, login):
    login(admin)
    response = client.post(f"/admin/users/{student.id}/reset-link")
    body = response.get_data(as_text=True)
    assert "http://learnapp.test/reset/" in body
    token = body.split("http://learnapp.test/reset/")[1].split('"')[0]
    assert app.test_client().get(f"/reset/{token}").status_code == 200


def test_invalid_role_is_rejected(client, admin, student, login):
    login(admin)
    assert (
        client.post(f"/admin/users/{student.id}/role", data={"role-role": "root"}).status_code
        == 400
    )
