"""Issue, find, revoke and reissue certificates; build their PDF and signed credential.

Exactly once per student and course: the UNIQUE (user_id, course_id) constraint decides, the
insert runs in a SAVEPOINT, and a request that loses the race returns the winner's row.
Services flush and raise; routes and commands commit.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from sqlalchemy import bindparam, event, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from learnapp.audit.services import record
from learnapp.auth.models import Role, User
from learnapp.catalog.models import Course
from learnapp.catalog.services import is_course_instructor
from learnapp.catalog.snapshots import CourseSnapshot
from learnapp.certificates import credentials, keys, pdf
from learnapp.certificates.models import Certificate
from learnapp.database import begin_mode, utcnow
from learnapp.errors import Conflict, LearnAppError
from learnapp.extensions import db
from learnapp.mail import notices
from learnapp.progress.services import CourseProgress, course_progress

log = logging.getLogger(__name__)

#: 16 random bytes: 128 bits, 22 URL-safe characters.
PUBLIC_ID_BYTES = 16
PAGE_SIZE = 50
#: Rendered PDFs, in the instance folder.
PDF_CACHE = "certificate-pdfs"
_FORGET_AFTER_COMMIT = "certificates.forget_pdfs"


# --- reading -----------------------------------------------------------------------------------


def get_by_public_id(public_id: str) -> Certificate | None:
    if not 16 <= len(public_id) <= 32:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.public_id == public_id))


# The course page's statement, built once: bound parameters let SQLAlchemy reuse their cache keys
# and compiled SQL.
_CERTIFICATE_FOR = select(Certificate).where(
    Certificate.user_id == bindparam("user_id"), Certificate.course_id == bindparam("course_id")
)


def get_for(user: User, course: Course | CourseSnapshot) -> Certificate | None:
    return db.session.scalar(_CERTIFICATE_FOR, {"user_id": user.id, "course_id": course.id})


def search(query: str = "", page: int = 1) -> tuple[list[Certificate], int]:
    """Certificates matching an id, a name or a course (title or id), newest first; the total."""
    conditions = []
    if query := query.strip():
        like = f"%{query.lower()}%"
        conditions.append(
            or_(
                Certificate.public_id == query,
                func.lower(Certificate.name).like(like),
                func.lower(Certificate.course_title).like(like),
                Certificate.course_id.in_(
                    select(Course.id).where(func.lower(Course.slug) == query.lower())
                ),
            )
        )
    total = db.session.scalar(select(func.count(Certificate.id)).where(*conditions)) or 0
    rows = db.session.scalars(
        select(Certificate)
        .where(*conditions)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        .limit(PAGE_SIZE)
        .offset((max(page, 1) - 1) * PAGE_SIZE)
    ).all()
    return list(rows), total


def can_manage(user: Any, certificate: Certificate) -> bool:
    """Admins and the course's instructors may revoke and restore."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.role == Role.ADMIN or is_course_instructor(user, certificate.course)


# --- issuing -----------------------------------------------------------------------------------


def score_of(state: CourseProgress) -> Decimal | None:
    """Points-weighted mean of the required quizzes' scores (None when no quiz is required)."""
    return weighted_mean(
        (item.best, item.row.max_points or 1)
        for module in state.modules
        for item in module.items
        if item.kind == "quiz" and item.is_required and item.best is not None
    )


def weighted_mean(scores: Iterable[tuple[Decimal, int]]) -> Decimal | None:
    """``sum(percent x points) / sum(points)``, to two decimals; None for no scores."""
    weighted = Decimal(0)
    points = 0
    for percent, weight in scores:
        weighted += percent * weight
        points += weight
    if points == 0:
        return None
    return (weighted / points).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def new_public_id() -> str:
    """128 random bits, URL-safe; never starting with "-", which a command line would take
    for an option (``flask certificates revoke -x…``)."""
    while (public_id := secrets.token_urlsafe(PUBLIC_ID_BYTES)).startswith("-"):
        pass
    return public_id


def _insert(user: User, course: Course, **fields: Any) -> tuple[Certificate, bool]:
    existing = get_for(user, course)
    if existing is not None:
        return existing, False
    try:
        with db.session.begin_nested():
            certificate = Certificate(
                public_id=new_public_id(),
                user_id=user.id,
                course_id=course.id,
                name=user.display_name,
                course_title=course.title,
                version_label=course.version_label,
                content_hash=course.content_hash,
                **fields,
            )
            db.session.add(certificate)
            db.session.flush()
    except IntegrityError:
        # A parallel request issued it first: theirs is the certificate.
        winner = get_for(user, course)
        if winner is None:
            raise
        return winner, False
    # Every issue (on completion or awarded by hand) tells the holder, here in one place.
    notices.certificate_issued(certificate)
    return certificate, True


def issue_if_complete(
    user: User, course: Course, state: CourseProgress | None = None
) -> Certificate | None:
    """Issue ``user``'s certificate for ``course`` if they completed it; the new row, else None.

    Nothing happens when the course gives no certificate, the student never enrolled, or a
    certificate exists already (revoked ones included: only staff undo a revocation).
    """
    if not course.certificate_enabled:
        return None
    state = state or course_progress(user, course)
    if not state.was_enrolled or not state.is_complete or state.total == 0:
        return None
    certificate, created = _insert(user, course, score=score_of(state), completed_at=utcnow())
    if not created:
        return None
    record("certificate.issued", actor=user, target=certificate, course=course.slug)
    return certificate


def award(user: User, course: Course, *, reason: str, actor: User | None) -> Certificate:
    """Manually award a certificate (prior learning, a fix after a wrong key).

    :raises Conflict: the student has one for this course already.
    """
    reason = reason.strip()
    if not reason:
        raise LearnAppError(_("Give a reason for the award."))
    state = course_progress(user, course)
    certificate, created = _insert(
        user,
        course,
        score=score_of(state),
        completed_at=utcnow(),
        is_manual=True,
        award_reason=reason,
        awarded_by_id=getattr(actor, "id", None),
    )
    if not created:
        values = {"name": user.display_name, "title": course.title, "id": certificate.public_id}
        raise Conflict(
            _("%(name)s already has a revoked certificate for “%(title)s” (%(id)s).", **values)
            if certificate.is_revoked
            else _("%(name)s already has a certificate for “%(title)s” (%(id)s).", **values)
        )
    record(
        "certificate.awarded",
        actor=actor,
        target=certificate,
        course=course.slug,
        student=user.email,
        reason=reason,
    )
    return certificate


def revoke(certificate: Certificate, *, reason: str, actor: User | None) -> None:
    reason = reason.strip()
    if not reason:
        raise LearnAppError(_("Give a reason for the revocation."))
    if certificate.is_revoked:
        raise Conflict(_("This certificate is already revoked."))
    certificate.revoked_at = utcnow()
    certificate.revoked_reason = reason
    certificate.revoked_by_id = getattr(actor, "id", None)
    record("certificate.revoked", actor=actor, target=certificate, reason=reason)
    forget_pdf(certificate)
    db.session.flush()


def restore(certificate: Certificate, *, actor: User | None) -> None:
    """Undo a revocation."""
    if not certificate.is_revoked:
        raise Conflict(_("This certificate is not revoked."))
    record("certificate.restored", actor=actor, target=certificate, was=certificate.revoked_reason)
    certificate.revoked_at = None
    certificate.revoked_reason = None
    certificate.revoked_by_id = None
    forget_pdf(certificate)
    db.session.flush()


def reissue(certificate: Certificate, *, actor: User | None) -> bool:
    """Print the holder's current name on the certificate (after a name change).

    The id, date and score stay; credentials downloaded before show the old name and are
    flagged as superseded by ``flask certificates verify``. False when nothing changed.
    """
    if certificate.user is None:
        raise Conflict(_("The account behind this certificate no longer exists."))
    new_name = certificate.user.display_name
    if new_name == certificate.name:
        return False
    record(
        "certificate.reissued",
        actor=actor,
        target=certificate,
        old_name=certificate.name,
        new_name=new_name,
    )
    certificate.name = new_name
    certificate.reissued_at = utcnow()
    forget_pdf(certificate)
    db.session.flush()
    return True


# --- documents ---------------------------------------------------------------------------------


def _external(endpoint: str, **values: Any) -> str:
    """Absolute URL from ``BASE_URL``, in requests and in CLI commands alike."""
    if has_request_context():
        path = url_for(endpoint, **values)
    else:
        with current_app.test_request_context():
            path = url_for(endpoint, **values)
    return current_app.config["BASE_URL"].rstrip("/") + path


def verify_url(certificate: Certificate) -> str:
    return _external("certificates.verify", public_id=certificate.public_id)


def issuer() -> credentials.Issuer:
    return credentials.Issuer(
        id=_external("certificates.issuer"),
        name=current_app.config["ISSUER_NAME"],
        url=_external("main.index"),
        jwks_url=_external("certificates.keys"),
        key_url_prefix=_external("certificates.key", kid="-").removesuffix("-"),
        status_list_url=_external("certificates.status_list"),
    )


def published_keys() -> list[dict[str, str]]:
    """The keys every host publishes (JWKs whose ``kid`` is their URL)."""
    return keys.published_keys(issuer().key_url_prefix)


def published_key(kid: str) -> dict[str, str] | None:
    """The published key whose thumbprint is ``kid`` (what its URL ends with)."""
    return next((jwk for jwk in published_keys() if credentials.thumbprint(jwk) == kid), None)


def _sign(credential: dict[str, Any]) -> str:
    return credentials.sign(credential, *keys.signing_key(issuer().key_url_prefix))


def document(certificate: Certificate) -> pdf.CertificateDocument:
    return pdf.CertificateDocument(
        public_id=certificate.public_id,
        name=certificate.name,
        course_title=certificate.course_title,
        version_label=certificate.version_label,
        completed_at=certificate.completed_at,
        issuer=current_app.config["ISSUER_NAME"],
        verify_url=verify_url(certificate),
        score=certificate.score,
        is_manual=certificate.is_manual,
        is_revoked=certificate.is_revoked,
        locale=recipient_locale(certificate),
    )


def recipient_locale(certificate: Certificate) -> str:
    """The language of the recipient's documents: their own choice (``User.locale``) when the
    interface speaks it, else English, whoever asks (an instructor, an anonymised record)."""
    chosen = certificate.user.locale if certificate.user is not None else None
    languages = list(current_app.config["LANGUAGES"])
    return chosen if chosen in languages else languages[0]


def _pdf_cache() -> Path:
    return Path(current_app.instance_path) / PDF_CACHE


def _pdf_digest(certificate: Certificate) -> str:
    return hashlib.sha256(repr(document(certificate)).encode()).hexdigest()[:16]


def pdf_bytes(certificate: Certificate) -> bytes:
    """The PDF, rendered once per content and kept in the instance folder (~0.5 s to render).

    The cache holds names, so it is private (directory 0700, files 0600, written whole through a
    temporary file and a rename) and a change of the record removes it (:func:`forget_pdf`).
    """
    digest = _pdf_digest(certificate)
    cache = _pdf_cache()
    path = cache / f"{certificate.public_id}-{digest}.pdf"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        pass
    data = pdf.render(document(certificate))
    try:
        _write_private(cache, certificate.public_id, path, data)
        # A revocation, reissue or anonymisation committed while this rendered has removed
        # the cache already, so it may not see this file: ask the database again (a fresh
        # session sees every commit) and drop a file that no longer matches. Either that
        # commit came first and this check sees it, or it came after the file was in place
        # and removed it.
        with begin_mode("DEFERRED"), Session(db.engine) as fresh:  # a read: queue for no lock
            current = fresh.get(Certificate, certificate.id)
            if current is None or _pdf_digest(current) != digest:
                path.unlink(missing_ok=True)
    except OSError:
        log.warning("cannot cache certificate PDFs in %s", cache, exc_info=True)
    return data


def _write_private(cache: Path, public_id: str, path: Path, data: bytes) -> None:
    cache.mkdir(mode=0o700, parents=True, exist_ok=True)
    if stat.S_IMODE(cache.stat().st_mode) != 0o700:
        # Versions before this one left the cache readable by anyone, with names that may
        # since have been anonymised: start it afresh, privately.
        for old in cache.iterdir():
            old.unlink(missing_ok=True)
        cache.chmod(0o700)
    _remove_pdfs(cache, public_id)  # earlier content (a change of BASE_URL, say)
    fd, partial = tempfile.mkstemp(dir=cache, prefix=".", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def forget_pdf(certificate: Certificate) -> None:
    """Remove ``certificate``'s cached PDF now and again when the transaction commits.

    Called when what the PDF shows changes (revocation, restoring, reissue, anonymisation).
    Removing it only now would let a download between now and the commit cache the old
    content again; the second removal, after the commit, closes that gap.
    """
    cache, public_id = _pdf_cache(), certificate.public_id
    _remove_pdfs(cache, public_id)
    db.session.info.setdefault(_FORGET_AFTER_COMMIT, set()).add((cache, public_id))


def _remove_pdfs(cache: Path, public_id: str) -> None:
    for path in cache.glob(f"{public_id}-*.pdf"):
        try:
            path.unlink(missing_ok=True)
        except OSError:
            log.error("cannot remove the cached certificate PDF %s", path, exc_info=True)


@event.listens_for(db.session, "after_commit")
def _forget_after_commit(session: Session) -> None:
    for cache, public_id in session.info.pop(_FORGET_AFTER_COMMIT, ()):
        _remove_pdfs(cache, public_id)


def award_of(certificate: Certificate) -> credentials.Award:
    return credentials.Award(
        credential_id=verify_url(certificate),
        status_index=certificate.id,
        subject_id=certificate.subject_uuid.urn,
        name=certificate.name,
        course_id=_external("catalog.course", course_slug=certificate.course.slug),
        course_title=certificate.course_title,
        course_summary=certificate.course.summary,
        version_label=certificate.version_label,
        content_hash=certificate.content_hash,
        completed_at=certificate.completed_at,
        issued_at=certificate.reissued_at or certificate.issued_at,
        awarded_at=certificate.issued_at,
        score=None if certificate.score is None else pdf.format_score(certificate.score),
        is_manual=certificate.is_manual,
    )


def credential_jwt(certificate: Certificate) -> str:
    return _sign(credentials.build_credential(issuer(), award_of(certificate)))


def revoked_indexes() -> list[int]:
    return list(
        db.session.scalars(select(Certificate.id).where(Certificate.revoked_at.is_not(None)))
    )


def status_list_jwt() -> str:
    return _sign(credentials.build_status_list(issuer(), revoked_indexes(), utcnow()))


@dataclass
class Verification:
    """What ``flask certificates verify`` found."""

    credential: dict[str, Any]
    certificate: Certificate | None
    revoked: bool
    #: The record changed since the credential was signed (reissued after a name change).
    superseded: bool

    @property
    def ok(self) -> bool:
        return not self.revoked and not self.superseded and self.certificate is not None


def verify_credential(token: str) -> Verification:
    """Check a downloaded credential: signature, the served status list, and the record.

    :raises credentials.CredentialError: the token is malformed or its signature fails.
    """
    keys = published_keys()
    credential = credentials.verify(token.strip(), keys)
    status = credentials.verify(status_list_jwt(), keys)
    revoked = credentials.is_revoked(credential, status)
    public_id = credential["id"].rstrip("/").rsplit("/", 1)[-1]
    certificate = get_by_public_id(public_id)
    superseded = False
    if certificate is not None:
        names = [
            ident.get("identityHash")
            for ident in credential.get("credentialSubject", {}).get("identifier", [])
        ]
        superseded = certificate.name not in names
    return Verification(credential, certificate, revoked, superseded)
