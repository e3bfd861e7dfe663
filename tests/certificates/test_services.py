"""Issuing exactly once, the score, manual awards, revocation and reissue."""

from __future__ import annotations

import re
import stat
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from learnapp.audit.models import AuditEvent
from learnapp.certificates import pdf, services
from learnapp.certificates.models import Certificate
from learnapp.errors import Conflict, LearnAppError
from learnapp.extensions import db
from learnapp.progress import services as progress


def count() -> int:
    return db.session.scalar(select(func.count(Certificate.id)))


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_nothing_is_issued_before_the_course_is_complete(basics, student, finish):
    finish(student, percent=60)  # below the pass mark of 70
    assert services.issue_if_complete(student, basics) is None
    assert count() == 0


def test_completion_issues_one_certificate_with_the_record(basics, student, finish):
    finish(student, percent=85)
    certificate = services.issue_if_complete(student, basics)
    db.session.commit()
    assert certificate is not None
    assert certificate.name == "Sam Student"
    assert certificate.course_title == basics.title
    assert certificate.version_label == basics.version_label
    assert certificate.content_hash == basics.content_hash
    assert certificate.score == Decimal("85.00")
    assert not certificate.is_manual
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", certificate.public_id)  # 128 random bits
    assert services.issue_if_complete(student, basics) is None  # once
    assert count() == 1
    assert actions()[-1] == "certificate.issued"


def test_each_certificate_has_its_own_subject_id_kept_across_a_reissue(
    basics, make_user, finish, admin
):
    certificates = []
    for _ in range(3):
        user = make_user()
        finish(user)
        certificates.append(services.issue_if_complete(user, basics))
    db.session.commit()
    subjects = [services.award_of(c).subject_id for c in certificates]
    assert len(set(subjects)) == 3
    assert all(re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", subject) for subject in subjects)
    certificates[0].user.display_name = "Someone Else"
    services.reissue(certificates[0], actor=admin)
    db.session.commit()
    assert services.award_of(certificates[0]).subject_id == subjects[0]


def test_public_ids_differ(basics, make_user, finish):
    ids = set()
    for _ in range(5):
        user = make_user()
        finish(user)
        ids.add(services.issue_if_complete(user, basics).public_id)
    assert len(ids) == 5


def test_a_course_without_certificates_issues_none(basics, student, finish):
    basics.certificate_enabled = False
    db.session.commit()
    finish(student)
    assert services.issue_if_complete(student, basics) is None


def test_the_score_is_the_required_quizzes_score(basics, student, finish):
    finish(student, percent=80)
    assert services.score_of(progress.course_progress(student, basics)) == Decimal("80.00")


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([(Decimal(80), 30), (Decimal(50), 10)], Decimal("72.50")),  # (2400 + 500) / 40
        ([(Decimal(100), 1), (Decimal(0), 2)], Decimal("33.33")),
        ([(Decimal("66.665"), 1)], Decimal("66.67")),
        ([], None),
    ],
)
def test_the_score_is_weighted_by_points(scores, expected):
    assert services.weighted_mean(scores) == expected


def test_no_required_quiz_means_no_score(basics, student, finish):
    basics.completion = {"all_lessons": True, "quizzes": {}}
    db.session.commit()
    finish(student)
    certificate = services.issue_if_complete(student, basics)
    assert certificate is not None
    assert certificate.score is None


def test_manual_award_is_marked_and_audited(basics, student, admin):
    certificate = services.award(student, basics, reason="Prior learning", actor=admin)
    db.session.commit()
    assert certificate.is_manual
    assert certificate.award_reason == "Prior learning"
    assert certificate.awarded_by_id == admin.id
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.awarded"))
    assert event.actor_id == admin.id
    assert event.details["reason"] == "Prior learning"


def test_manual_award_keeps_exactly_once(basics, student, admin, certificate):
    with pytest.raises(Conflict, match="already has a certificate"):
        services.award(student, basics, reason="Again", actor=admin)
    assert count() == 1


def test_manual_award_needs_a_reason(basics, student, admin):
    with pytest.raises(LearnAppError, match="reason"):
        services.award(student, basics, reason="  ", actor=admin)


def test_revoke_and_undo(certificate, admin):
    services.revoke(certificate, reason="Answer key was wrong", actor=admin)
    db.session.commit()
    assert certificate.is_revoked
    assert certificate.revoked_reason == "Answer key was wrong"
    with pytest.raises(Conflict):
        services.revoke(certificate, reason="again", actor=admin)
    services.restore(certificate, actor=admin)
    db.session.commit()
    assert not certificate.is_revoked
    with pytest.raises(Conflict):
        services.restore(certificate, actor=admin)
    assert actions()[-2:] == ["certificate.revoked", "certificate.restored"]


def test_a_revoked_certificate_is_not_issued_again(basics, student, certificate, admin):
    services.revoke(certificate, reason="Cheating", actor=admin)
    db.session.commit()
    assert services.issue_if_complete(student, basics) is None
    assert count() == 1


def test_reissue_prints_the_new_name(certificate, student, admin):
    assert services.reissue(certificate, actor=admin) is False  # unchanged
    student.display_name = "Samantha Student"
    db.session.commit()
    assert services.reissue(certificate, actor=admin) is True
    db.session.commit()
    assert certificate.name == "Samantha Student"
    assert certificate.reissued_at is not None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.reissued"))
    assert event.details == {"old_name": "Sam Student", "new_name": "Samantha Student"}


def test_search_by_id_name_and_course(certificate, basics):
    for query in (certificate.public_id, "sam stu", "course basics", "basics"):
        rows, total = services.search(query)
        assert (rows, total) == ([certificate], 1), query
    assert services.search("nobody") == ([], 0)


def test_lookups_ignore_ids_of_the_wrong_shape(certificate):
    assert services.get_by_public_id(certificate.public_id) is certificate
    assert services.get_by_public_id("short") is None
    assert services.get_by_public_id("x" * 200) is None


def test_public_ids_never_start_with_a_dash(monkeypatch):
    drawn = iter(["-Dvq5Sqe7cnXVz1_xXQ4nQ", "-AAAAAAAAAAAAAAAAAAAAA", "Zq3k9vX2bYp0LmN4sT7wQa"])
    monkeypatch.setattr(services.secrets, "token_urlsafe", lambda _n: next(drawn))
    assert services.new_public_id() == "Zq3k9vX2bYp0LmN4sT7wQa"


# --- the PDF cache -----------------------------------------------------------------------------


def cached(app, certificate) -> list[Path]:
    return sorted((Path(app.instance_path) / services.PDF_CACHE).glob(f"{certificate.public_id}-*"))


def download(client, certificate) -> bytes:
    response = client.get(f"/certificates/{certificate.public_id}/certificate.pdf")
    assert response.status_code == 200
    return response.data


def test_the_pdf_cache_is_private_and_written_whole(app, client, certificate):
    data = download(client, certificate)
    cache = Path(app.instance_path) / services.PDF_CACHE
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    [path] = cached(app, certificate)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in cache.iterdir()] == [path.name]  # no temporary file left behind
    assert path.read_bytes() == data == download(client, certificate)


def test_a_cache_left_readable_by_an_older_version_starts_afresh(app, client, certificate):
    cache = Path(app.instance_path) / services.PDF_CACHE
    cache.mkdir(mode=0o755, parents=True)
    cache.chmod(0o755)
    old = cache / "AAAAAAAAAAAAAAAAAAAAAA-0123456789abcdef.pdf"
    old.write_bytes(b"%PDF a name anonymised since")
    old.chmod(0o644)
    download(client, certificate)
    assert not old.exists()
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700


@pytest.mark.parametrize("change", ["revoke", "restore", "reissue"])
def test_a_change_of_the_record_removes_its_cached_pdf(
    app, client, certificate, student, admin, change
):
    if change == "restore":
        services.revoke(certificate, reason="x", actor=admin)
        db.session.commit()
    download(client, certificate)
    assert cached(app, certificate)
    if change == "revoke":
        services.revoke(certificate, reason="Wrong key", actor=admin)
    elif change == "restore":
        services.restore(certificate, actor=admin)
    else:
        student.display_name = "Samantha Student"
        services.reissue(certificate, actor=admin)
    assert not cached(app, certificate)
    # A download between the change and its commit caches the old content again: the commit
    # removes it.
    stale = Path(app.instance_path) / services.PDF_CACHE / f"{certificate.public_id}-old.pdf"
    stale.write_bytes(b"%PDF the old content")
    db.session.commit()
    assert not cached(app, certificate)


def test_a_pdf_rendered_while_the_record_changes_is_not_kept(app, client, certificate, monkeypatch):
    render, certificate_id = pdf.render, certificate.id

    def render_while_an_admin_reissues(document):
        # Another request commits a new name while this one renders the old.
        with Session(db.engine) as other:
            other.get(Certificate, certificate_id).name = "Samantha Student"
            other.commit()
        return render(document)

    monkeypatch.setattr(pdf, "render", render_while_an_admin_reissues)
    assert download(client, certificate).startswith(b"%PDF")
    assert not cached(app, certificate)
    db.session.refresh(certificate)
    assert certificate.name == "Samantha Student"
    download(client, certificate)
    assert len(cached(app, certificate)) == 1  # the next download caches the new content
