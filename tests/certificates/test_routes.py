"""Verification page, downloads, credential status, staff actions, claim, dashboard, admin pages."""

from __future__ import annotations

import io
import secrets
from datetime import UTC, datetime
from pathlib import Path

import jwt
import pypdf
import pytest
import time_machine
from sqlalchemy import func, select

from learnapp.certificates import credentials, services
from learnapp.certificates.models import Certificate
from learnapp.extensions import db
from learnapp.quizzes import lifecycle


def page(client, certificate, **kwargs):
    return client.get(f"/certificates/{certificate.public_id}", **kwargs)


def test_the_verification_page_works_without_login(client, certificate, basics):
    response = page(client, certificate)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Valid." in html
    assert "Sam Student" in html
    assert basics.title in html
    assert "LearnApp" in html
    assert certificate.completed_at.strftime("%B %-d, %Y") in html
    assert "not a\n    professional qualification" in html or "not a professional" in html
    assert "Revoke certificate" not in html  # no staff controls for visitors


def test_a_revoked_certificate_says_so_at_once(client, certificate, admin):
    services.revoke(certificate, reason="Key was wrong", actor=admin)
    db.session.commit()
    html = page(client, certificate).get_data(as_text=True)
    assert "Revoked." in html
    assert "Key was wrong" in html
    assert "Valid." not in html


def test_unknown_ids_are_plain_404s(client, certificate):
    known_prefix = certificate.public_id[:-1] + ("A" if certificate.public_id[-1] != "A" else "B")
    for probe in (known_prefix, secrets.token_urlsafe(16), "x", "a" * 64, "../../etc/passwd"):
        response = client.get(f"/certificates/{probe}")
        assert response.status_code == 404, probe
        body = response.get_data(as_text=True)
        assert certificate.public_id not in body
        assert "certificate" not in body.lower().replace("certificates", "")


def test_random_probes_find_nothing(client, certificate):
    hits = sum(
        client.get(
            f"/certificates/{secrets.token_urlsafe(16)}",
            environ_base={"REMOTE_ADDR": f"10.0.{n // 100}.{n % 100}"},  # under the rate limit
        ).status_code
        != 404
        for n in range(2000)
    )
    assert hits == 0


def test_probing_is_rate_limited(client, certificate):
    # A frozen clock keeps every request in one rate-limit window.
    with time_machine.travel(datetime(2026, 12, 4, 12, 0, 30, tzinfo=UTC), tick=False):
        statuses = [
            client.get(f"/certificates/{secrets.token_urlsafe(16)}").status_code for _ in range(121)
        ]
    assert statuses[:120] == [404] * 120
    assert statuses[120] == 429


def test_there_is_no_public_listing(client, certificate):
    assert client.get("/certificates").status_code == 404
    assert client.get("/certificates/").status_code == 404


def test_the_pdf_downloads_with_the_record(client, certificate, app):
    response = client.get(f"/certificates/{certificate.public_id}/certificate.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "default-src" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    text = pypdf.PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "Sam Student" in text
    assert f"http://learnapp.test/certificates/{certificate.public_id}" in text
    # Rendered once, then served from the instance cache; a revocation renders it anew.
    assert (
        client.get(f"/certificates/{certificate.public_id}/certificate.pdf").data == response.data
    )
    services.revoke(certificate, reason="x", actor=None)
    db.session.commit()
    revoked = client.get(f"/certificates/{certificate.public_id}/certificate.pdf").data
    assert "REVOKED" in pypdf.PdfReader(io.BytesIO(revoked)).pages[0].extract_text()


def pdf_text(client, certificate, language: str) -> str:
    response = client.get(
        f"/certificates/{certificate.public_id}/certificate.pdf",
        headers={"Accept-Language": language},
    )
    assert response.status_code == 200
    return pypdf.PdfReader(io.BytesIO(response.data)).pages[0].extract_text()


def test_the_pdf_is_in_the_recipients_language_whoever_downloads_it(client, certificate):
    certificate.user.locale = "es"
    db.session.commit()
    text = pdf_text(client, certificate, "en")
    assert "Certificado de finalización" in text
    day = certificate.completed_at
    assert f"Completado el {day.day} de " in text
    assert "Certificate of Completion" not in text
    assert certificate.course_title in text  # as the author wrote it


def test_an_english_recipients_pdf_stays_english_for_a_spanish_reader(client, certificate):
    assert certificate.user.locale is None
    text = pdf_text(client, certificate, "es")
    assert "Certificate of Completion" in text
    assert f"Completed {certificate.completed_at:%B} " in text
    assert "Certificado" not in text


def test_changing_the_recipients_language_renders_the_pdf_anew(client, certificate):
    assert "Certificate of Completion" in pdf_text(client, certificate, "en")
    certificate.user.locale = "es"
    db.session.commit()
    assert "Certificado de finalización" in pdf_text(client, certificate, "en")


def fetch_keys(client):
    return client.get("/certificates/keys.json").get_json()["keys"]


def status_of(client, credential):
    keys = fetch_keys(client)
    status = credentials.verify(client.get("/certificates/status").get_data(as_text=True), keys)
    return credentials.is_revoked(credential, status)


def test_the_credential_verifies_against_the_published_key(client, certificate, admin):
    response = client.get(f"/certificates/{certificate.public_id}/credential.jwt")
    assert response.status_code == 200
    token = response.get_data(as_text=True)
    credential = credentials.verify(token, fetch_keys(client))
    assert credential["id"] == f"http://learnapp.test/certificates/{certificate.public_id}"
    assert credential["issuer"]["id"] == "http://learnapp.test/certificates/issuer"
    assert credential["credentialSubject"]["identifier"][0]["identityHash"] == "Sam Student"
    assert credential["credentialStatus"]["statusListIndex"] == str(certificate.id)
    assert status_of(client, credential) is False
    services.revoke(certificate, reason="Key was wrong", actor=admin)
    db.session.commit()
    assert status_of(client, credential) is True
    services.restore(certificate, actor=admin)
    db.session.commit()
    assert status_of(client, credential) is False


def test_the_issuer_profile_names_the_key(client):
    profile = client.get("/certificates/issuer").get_json()
    assert profile["type"] == ["Profile"]
    assert profile["id"] == "http://learnapp.test/certificates/issuer"
    assert profile["publicKeys"] == "http://learnapp.test/certificates/keys.json"
    (key,) = fetch_keys(client)
    assert key["kty"] == "OKP"
    assert key["crv"] == "Ed25519"
    assert "d" not in key  # never the private part


def test_the_tokens_kid_is_the_url_of_the_key(client, certificate):
    token = client.get(f"/certificates/{certificate.public_id}/credential.jwt").get_data(True)
    kid = jwt.get_unverified_header(token)["kid"]
    assert kid.startswith("http://learnapp.test/certificates/keys/")
    response = client.get(kid.removeprefix("http://learnapp.test"))
    assert response.status_code == 200
    assert response.get_json() == fetch_keys(client)[0]
    assert response.get_json()["kid"] == kid
    assert "d" not in response.get_json()
    assert client.get("/certificates/keys/" + "A" * 43).status_code == 404


@pytest.mark.app_config(CERTIFICATE_KEY=None)
def test_without_a_configured_key_development_keeps_one_in_the_instance_folder(
    client, app, certificate
):
    client.get(f"/certificates/{certificate.public_id}/credential.jwt")
    assert (Path(app.instance_path) / "certificate-signing-key.pem").exists()


# --- staff actions -------------------------------------------------------------------------------


def revoke(client, certificate, reason="Copied answers"):
    return client.post(
        f"/certificates/{certificate.public_id}/revoke", data={"revoke-reason": reason}
    )


def test_the_course_instructor_revokes_and_undoes(client, login, instructor, certificate):
    login(instructor)
    assert "Revoke certificate" in page(client, certificate).get_data(as_text=True)
    assert revoke(client, certificate).status_code == 302
    db.session.refresh(certificate)
    assert certificate.is_revoked
    assert certificate.revoked_by_id == instructor.id
    response = client.post(f"/certificates/{certificate.public_id}/restore")
    assert response.status_code == 302
    db.session.refresh(certificate)
    assert not certificate.is_revoked


def test_a_revocation_needs_a_reason(client, login, admin, certificate):
    login(admin)
    response = revoke(client, certificate, reason="")
    assert response.status_code == 302
    db.session.refresh(certificate)
    assert not certificate.is_revoked
    assert "Give a reason" in client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("who", ["holder", "other_student", "other_instructor"])
def test_others_cannot_revoke(client, login, make_user, student, certificate, who):
    user = {
        "holder": student,
        "other_student": make_user(),
        "other_instructor": make_user(role="instructor"),
    }[who]
    login(user)
    assert revoke(client, certificate).status_code == 404
    assert client.post(f"/certificates/{certificate.public_id}/restore").status_code == 404
    db.session.refresh(certificate)
    assert not certificate.is_revoked


def test_an_admin_reissues_after_a_name_change(client, login, admin, student, certificate):
    student.display_name = "Samantha Student"
    db.session.commit()
    login(admin)
    assert "Reissue with the current name" in page(client, certificate).get_data(as_text=True)
    assert client.post(f"/certificates/{certificate.public_id}/reissue").status_code == 302
    db.session.refresh(certificate)
    assert certificate.name == "Samantha Student"
    html = page(client, certificate).get_data(as_text=True)
    assert "Samantha Student" in html
    assert "(name updated)" in html


def test_instructors_cannot_reissue(client, login, instructor, student, certificate):
    student.display_name = "Changed"
    db.session.commit()
    login(instructor)
    assert client.post(f"/certificates/{certificate.public_id}/reissue").status_code == 403


# --- issuing through the student's own actions ---------------------------------------------------


def test_completing_the_last_lesson_issues_and_shows_the_certificate(
    client, login, student, basics, finish
):
    finish(student, lessons=("basics-intro", "basics-second"))
    login(student)
    response = client.post("/courses/basics/lessons/basics-third/complete")
    certificate = db.session.scalar(select(Certificate))
    assert certificate is not None
    assert response.headers["Location"] == f"/certificates/{certificate.public_id}"
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert f"/certificates/{certificate.public_id}" in dashboard
    course_page = client.get("/courses/basics").get_data(as_text=True)
    assert "View your certificate" in course_page


def test_submitting_the_last_quiz_issues_the_certificate(
    client, login, student, basics, lesson, basics_quiz
):
    from learnapp.progress import services as progress

    # Any submitted attempt passes, so an empty one completes the course.
    basics.completion = {**basics.completion, "quizzes": {"basics-quiz": 0}}
    for slug in ("basics-intro", "basics-second", "basics-third"):
        progress.complete_lesson(student, basics, lesson(slug))
    attempt = lifecycle.start_attempt(student, basics_quiz)
    db.session.commit()
    assert db.session.scalar(select(func.count(Certificate.id))) == 0
    login(student)
    response = client.post(f"/attempts/{attempt.id}/submit")
    assert response.headers["Location"] == f"/attempts/{attempt.id}/review"
    assert db.session.scalar(select(func.count(Certificate.id))) == 1
    assert "earned a certificate" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_an_empty_dashboard_explains_certificates(client, login, student):
    login(student)
    assert "No certificates yet" in client.get("/dashboard").get_data(as_text=True)


def test_claiming_issues_a_missing_certificate(client, login, student, basics, finish):
    finish(student)  # completed without a request that issues (e.g. closed by the server)
    login(student)
    html = client.get("/courses/basics").get_data(as_text=True)
    assert "Get your certificate" in html
    response = client.post("/courses/basics/certificate")
    certificate = db.session.scalar(select(Certificate))
    assert response.headers["Location"] == f"/certificates/{certificate.public_id}"
    client.post("/courses/basics/certificate")
    assert db.session.scalar(select(func.count(Certificate.id))) == 1


def test_claiming_before_completion_issues_nothing(client, login, student, basics):
    login(student)
    response = client.post("/courses/basics/certificate")
    assert response.headers["Location"] == "/courses/basics"
    assert db.session.scalar(select(func.count(Certificate.id))) == 0


# --- admin pages ---------------------------------------------------------------------------------


def test_admin_search_lists_certificates(client, login, admin, certificate):
    login(admin)
    html = client.get("/admin/certificates?q=sam").get_data(as_text=True)
    assert certificate.public_id in html
    html = client.get("/admin/certificates?q=nobody").get_data(as_text=True)
    assert "No certificate matches" in html


def test_admin_awards_a_certificate(client, login, admin, student, basics):
    login(admin)
    assert client.get("/admin/certificates/award").status_code == 200
    response = client.post(
        "/admin/certificates/award",
        data={"email": student.email, "course": "basics", "reason": "Prior learning"},
    )
    certificate = db.session.scalar(select(Certificate))
    assert response.headers["Location"] == f"/certificates/{certificate.public_id}"
    assert certificate.is_manual
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'Awarded manually by the issuer: <span translate="no">Prior learning</span>' in html
    # The reason is for staff; the public sees only that it was a manual award.
    client.post("/logout")
    public = page(client, certificate).get_data(as_text=True)
    assert "Awarded manually by the issuer" in public
    assert "Prior learning" not in public


def test_award_form_errors(client, login, admin, student, basics, certificate):
    login(admin)
    response = client.post(
        "/admin/certificates/award",
        data={"email": "nobody@example.com", "course": "basics", "reason": "x"},
    )
    assert response.status_code == 400
    assert "No account has this e-mail address." in response.get_data(as_text=True)
    response = client.post(
        "/admin/certificates/award",
        data={"email": student.email, "course": "basics", "reason": "x"},
    )
    assert response.status_code == 400
    assert "already has a certificate" in response.get_data(as_text=True)
    response = client.post(
        "/admin/certificates/award", data={"email": student.email, "course": "basics", "reason": ""}
    )
    assert "Give a reason for the award." in response.get_data(as_text=True)
