"""Public verification, PDF and credential downloads; revocation; admin search and awards."""

from __future__ import annotations

import math

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from learnapp.auth import services as auth_services
from learnapp.auth.access import role_required
from learnapp.auth.models import Role
from learnapp.catalog import services as catalog
from learnapp.catalog.models import Course
from learnapp.certificates import services
from learnapp.certificates.forms import AwardForm, ClaimForm, ReissueForm, RestoreForm, RevokeForm
from learnapp.certificates.models import Certificate
from learnapp.errors import LearnAppError
from learnapp.extensions import db, limiter
from learnapp.quizzes import lifecycle
from learnapp.security import PUBLIC_PAGE_CACHE, STABLE_DOCUMENT_CACHE, public_page

bp = Blueprint("certificates", __name__, template_folder="templates")

#: Public endpoints answer a few requests a second per address: enough for people, slow for
#: anyone probing ids (who would need ~2^127 guesses anyway).
PUBLIC_LIMIT = "120/minute"


def _certificate_or_404(public_id: str) -> Certificate:
    return services.get_by_public_id(public_id) or abort(404)


def _manageable_or_404(public_id: str) -> Certificate:
    certificate = _certificate_or_404(public_id)
    if not services.can_manage(current_user, certificate):
        abort(404)
    return certificate


@bp.get("/certificates/<public_id>")
@limiter.limit(PUBLIC_LIMIT, scope="certificates")
@public_page(PUBLIC_PAGE_CACHE)
def verify(public_id: str) -> ResponseReturnValue:
    certificate = _certificate_or_404(public_id)
    can_manage = services.can_manage(current_user, certificate)
    return render_template(
        "certificates/verify.html",
        certificate=certificate,
        verify_url=services.verify_url(certificate),
        is_holder=current_user.is_authenticated and certificate.user_id == current_user.id,
        can_manage=can_manage,
        can_reissue=can_manage
        and current_user.role == Role.ADMIN
        and certificate.user is not None
        and certificate.user.display_name != certificate.name,
        revoke_form=RevokeForm(prefix="revoke"),
        restore_form=RestoreForm(prefix="restore"),
        reissue_form=ReissueForm(prefix="reissue"),
    )


def _attachment(data: bytes | str, mimetype: str, filename: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/certificates/<public_id>/certificate.pdf")
@limiter.limit(PUBLIC_LIMIT, scope="certificates")
def pdf(public_id: str) -> ResponseReturnValue:
    certificate = _certificate_or_404(public_id)
    return _attachment(
        services.pdf_bytes(certificate),
        "application/pdf",
        f"certificate-{certificate.public_id}.pdf",
    )


@bp.get("/certificates/<public_id>/credential.jwt")
@limiter.limit(PUBLIC_LIMIT, scope="certificates")
def credential(public_id: str) -> ResponseReturnValue:
    certificate = _certificate_or_404(public_id)
    return _attachment(
        services.credential_jwt(certificate),
        "application/jwt",
        f"credential-{certificate.public_id}.jwt",
    )


@bp.get("/certificates/issuer")
@public_page(STABLE_DOCUMENT_CACHE)
def issuer() -> ResponseReturnValue:
    issuer = services.issuer()
    return jsonify(issuer.profile() | {"publicKeys": issuer.jwks_url})


@bp.get("/certificates/keys.json")
def keys() -> ResponseReturnValue:
    response = jsonify({"keys": services.published_keys()})
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/certificates/keys/<kid>")
def key(kid: str) -> ResponseReturnValue:
    """One published key as a JWK: what a token's ``kid`` URL answers."""
    jwk = services.published_key(kid) or abort(404)
    response = jsonify(jwk)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/certificates/status")
def status_list() -> ResponseReturnValue:
    """The revocation status list, a signed BitstringStatusListCredential; never cached."""
    response = Response(services.status_list_jwt(), mimetype="application/jwt")
    response.headers["Cache-Control"] = "no-cache"
    return response


# --- staff actions -----------------------------------------------------------------------------


def _back(certificate: Certificate) -> ResponseReturnValue:
    return redirect(url_for("certificates.verify", public_id=certificate.public_id))


@bp.post("/certificates/<public_id>/revoke")
@login_required
def revoke(public_id: str) -> ResponseReturnValue:
    certificate = _manageable_or_404(public_id)
    form = RevokeForm(prefix="revoke")
    if not form.validate_on_submit():
        flash(
            " ".join(map(str, form.reason.errors)) or _("Give a reason for the revocation."),
            "error",
        )
        return _back(certificate)
    try:
        services.revoke(certificate, reason=form.reason.data or "", actor=current_user)
    except LearnAppError as exc:
        flash(exc.message, "error")
        return _back(certificate)
    db.session.commit()
    flash(
        _("The certificate is revoked. The verification page and credential status show it."),
        "success",
    )
    return _back(certificate)


@bp.post("/certificates/<public_id>/restore")
@login_required
def restore(public_id: str) -> ResponseReturnValue:
    certificate = _manageable_or_404(public_id)
    if not RestoreForm(prefix="restore").validate_on_submit():
        abort(400)
    try:
        services.restore(certificate, actor=current_user)
    except LearnAppError as exc:
        flash(exc.message, "error")
        return _back(certificate)
    db.session.commit()
    flash(_("The revocation is undone: the certificate is valid again."), "success")
    return _back(certificate)


@bp.post("/certificates/<public_id>/reissue")
@role_required(Role.ADMIN)
def reissue(public_id: str) -> ResponseReturnValue:
    certificate = _certificate_or_404(public_id)
    if not ReissueForm(prefix="reissue").validate_on_submit():
        abort(400)
    try:
        changed = services.reissue(certificate, actor=current_user)
    except LearnAppError as exc:
        flash(exc.message, "error")
        return _back(certificate)
    db.session.commit()
    flash(
        _("The certificate now shows the current name.")
        if changed
        else _("The name is unchanged."),
        "success" if changed else "info",
    )
    return _back(certificate)


@bp.post("/courses/<course_slug>/certificate")
@login_required
def claim(course_slug: str) -> ResponseReturnValue:
    """Issue a completed course's certificate through the completion step (every path that
    completes a course runs it already; this catches what completed a course in other ways,
    e.g. a prerequisite or a pass mark changed by a course sync)."""
    course = catalog.get_course(course_slug, current_user) or abort(404)
    if not ClaimForm().validate_on_submit():
        abort(400)
    certificate = services.get_for(current_user, course) or lifecycle.complete(current_user, course)
    if certificate is None:
        flash(_("The certificate is issued when you have completed the course."), "info")
        return redirect(url_for("catalog.course", course_slug=course.slug))
    db.session.commit()
    return _back(certificate)


# --- admin -------------------------------------------------------------------------------------


@bp.get("/admin/certificates")
@role_required(Role.ADMIN)
def admin_list() -> ResponseReturnValue:
    query = request.args.get("q", "").strip()[:100]
    page = request.args.get("page", 1, type=int) or 1
    rows, total = services.search(query, page)
    return render_template(
        "certificates/admin_list.html",
        certificates=rows,
        total=total,
        query=query,
        page=page,
        pages=max(1, math.ceil(total / services.PAGE_SIZE)),
    )


def _award_form() -> AwardForm:
    form = AwardForm()
    courses = db.session.scalars(
        select(Course)
        .where(Course.certificate_enabled.is_(True), Course.is_retired.is_(False))
        .order_by(Course.title)
    ).all()
    form.course.choices = [(course.slug, course.title) for course in courses]
    return form


@bp.route("/admin/certificates/award", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def award() -> ResponseReturnValue:
    form = _award_form()
    if form.validate_on_submit():
        student = auth_services.find_user_by_email(form.email.data or "")
        course = db.session.scalar(select(Course).where(Course.slug == form.course.data))
        if student is None:
            form.email.errors.append("No account has this e-mail address.")
        elif course is not None:
            try:
                certificate = services.award(
                    student, course, reason=form.reason.data or "", actor=current_user
                )
            except LearnAppError as exc:
                form.form_errors.append(exc.message)
            else:
                db.session.commit()
                flash(_("Certificate awarded to %(name)s.", name=student.display_name), "success")
                return _back(certificate)
    status = 400 if form.is_submitted() else 200
    return render_template("certificates/award.html", form=form), status
