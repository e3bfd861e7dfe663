from __future__ import annotations

import math

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from learnapp.admin import services
from learnapp.admin.forms import (
    ActiveForm,
    AnonymiseForm,
    AssignCourseForm,
    AuditFilterForm,
    ResetLinkForm,
    ResetTwoFactorForm,
    RoleForm,
    UnassignCourseForm,
)
from learnapp.auth import services as auth_services
from learnapp.auth.access import role_required
from learnapp.auth.models import Role, User
from learnapp.catalog.models import Course
from learnapp.errors import Conflict
from learnapp.extensions import db
from learnapp.i18n import role_name
from learnapp.privacy import services as privacy_services
from learnapp.two_factor import services as two_factor

bp = Blueprint("admin", __name__, template_folder="templates", url_prefix="/admin")


def _get_user(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


def _changeable_user(user_id: int) -> User:
    """The account, unless it was anonymised: those can never be changed again (409)."""
    target = _get_user(user_id)
    if target.is_anonymised:
        raise Conflict(_("This account was anonymised; it can no longer be changed."))
    return target


def _user_page(
    target: User,
    *,
    assign_form: AssignCourseForm | None = None,
    anonymise_form: AnonymiseForm | None = None,
    two_factor_form: ResetTwoFactorForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    taught, assignable = services.teaching(target)
    assign_form = assign_form or AssignCourseForm(prefix="assign")
    assign_form.course.choices = [(course.id, course.title) for course in assignable]
    return (
        render_template(
            "admin/user.html",
            user=target,
            role_form=RoleForm(prefix="role", role=target.role),
            active_form=ActiveForm(prefix="active"),
            reset_form=ResetLinkForm(prefix="reset"),
            taught=taught,
            assign_form=assign_form,
            unassign_form=UnassignCourseForm(prefix="unassign"),
            anonymise_form=anonymise_form or AnonymiseForm(prefix="anonymise"),
            two_factor_credential=two_factor.credential_for(target),
            two_factor_required=two_factor.is_required(target),
            two_factor_form=two_factor_form or ResetTwoFactorForm(prefix="two-factor"),
        ),
        status,
    )


@bp.get("/users")
@role_required(Role.ADMIN)
def users() -> ResponseReturnValue:
    query = request.args.get("q", "").strip()[:100]
    page = request.args.get("page", 1, type=int) or 1
    rows, total = services.search_users(query, page)
    pages = max(1, math.ceil(total / services.PAGE_SIZE))
    return render_template(
        "admin/users.html", users=rows, total=total, query=query, page=page, pages=pages
    )


@bp.get("/users/<int:user_id>")
@role_required(Role.ADMIN)
def user(user_id: int) -> ResponseReturnValue:
    return _user_page(_get_user(user_id))


@bp.post("/users/<int:user_id>/role")
@role_required(Role.ADMIN)
def set_role(user_id: int) -> ResponseReturnValue:
    target = _changeable_user(user_id)
    form = RoleForm(prefix="role")
    if not form.validate_on_submit():
        abort(400)
    if target.id == current_user.id and form.role.data != Role.ADMIN:
        flash(_("You cannot remove your own admin role; ask another admin."), "error")
        return redirect(url_for("admin.user", user_id=target.id))
    auth_services.set_role(
        target, form.role.data or "", actor=current_user, reason=form.reason.data or ""
    )
    db.session.commit()
    flash(
        _("%(email)s is now %(role)s.", email=target.email, role=role_name(target.role)), "success"
    )
    return redirect(url_for("admin.user", user_id=target.id))


@bp.post("/users/<int:user_id>/active")
@role_required(Role.ADMIN)
def set_active(user_id: int) -> ResponseReturnValue:
    target = _changeable_user(user_id)
    form = ActiveForm(prefix="active")
    if not form.validate_on_submit():
        abort(400)
    if target.id == current_user.id:
        flash(_("You cannot deactivate your own account."), "error")
        return redirect(url_for("admin.user", user_id=target.id))
    auth_services.set_active(
        target, not target.is_active, actor=current_user, reason=form.reason.data or ""
    )
    db.session.commit()
    message = (
        _("%(email)s is now active.", email=target.email)
        if target.is_active
        else _("%(email)s is now deactivated.", email=target.email)
    )
    flash(message, "success")
    return redirect(url_for("admin.user", user_id=target.id))


@bp.post("/users/<int:user_id>/reset-link")
@role_required(Role.ADMIN)
def reset_link(user_id: int) -> ResponseReturnValue:
    target = _changeable_user(user_id)
    if not ResetLinkForm(prefix="reset").validate_on_submit():
        abort(400)
    token = auth_services.issue_reset_token(target, actor=current_user)
    db.session.commit()
    link = current_app.config["BASE_URL"].rstrip("/") + url_for("auth.reset_password", token=token)
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    return render_template("admin/reset_link.html", user=target, link=link, hours=hours)


@bp.post("/users/<int:user_id>/two-factor/reset")
@role_required(Role.ADMIN)
def reset_two_factor(user_id: int) -> ResponseReturnValue:
    """The lost-phone path: the person signs in with the password alone and sets up again."""
    target = _changeable_user(user_id)
    form = ResetTwoFactorForm(prefix="two-factor")
    if target.id == current_user.id:
        flash(_("You cannot reset your own two-factor sign-in; ask another admin."), "error")
        return redirect(url_for("admin.user", user_id=target.id))
    if not form.validate_on_submit():
        return _user_page(target, two_factor_form=form, status=400)
    if two_factor.reset(target, actor=current_user, reason=form.reason.data or ""):
        db.session.commit()
        flash(
            _(
                "Two-factor sign-in of %(email)s is reset and their sessions ended. "
                "They sign in with their password and set it up again.",
                email=target.email,
            ),
            "success",
        )
    else:
        flash(_("%(email)s has no two-factor sign-in to reset.", email=target.email), "info")
    return redirect(url_for("admin.user", user_id=target.id))


@bp.post("/users/<int:user_id>/courses")
@role_required(Role.ADMIN)
def assign_course(user_id: int) -> ResponseReturnValue:
    target = _changeable_user(user_id)
    form = AssignCourseForm(prefix="assign")
    _taught, assignable = services.teaching(target)
    form.course.choices = [(course.id, course.title) for course in assignable]
    if not form.validate_on_submit():
        return _user_page(target, assign_form=form, status=400)
    course = db.session.get(Course, form.course.data) or abort(404)
    services.assign_instructor(course, target, actor=current_user, reason=form.reason.data or "")
    db.session.commit()
    flash(_("%(email)s now teaches %(title)s.", email=target.email, title=course.title), "success")
    return redirect(url_for("admin.user", user_id=target.id))


@bp.post("/users/<int:user_id>/courses/<int:course_id>/unassign")
@role_required(Role.ADMIN)
def unassign_course(user_id: int, course_id: int) -> ResponseReturnValue:
    target = _changeable_user(user_id)
    course = db.session.get(Course, course_id) or abort(404)
    if not UnassignCourseForm(prefix="unassign").validate_on_submit():
        abort(400)
    if services.unassign_instructor(course, target, actor=current_user):
        db.session.commit()
        flash(
            _(
                "%(email)s is no longer assigned to %(title)s.",
                email=target.email,
                title=course.title,
            ),
            "success",
        )
    else:
        flash(
            _("%(email)s was not assigned to %(title)s.", email=target.email, title=course.title),
            "info",
        )
    return redirect(url_for("admin.user", user_id=target.id))


@bp.post("/users/<int:user_id>/anonymise")
@role_required(Role.ADMIN)
def anonymise(user_id: int) -> ResponseReturnValue:
    target = _changeable_user(user_id)
    form = AnonymiseForm(prefix="anonymise", expected_email=target.email)
    if target.id == current_user.id:
        flash(_("You cannot anonymise your own account; ask another admin to do it."), "error")
        return redirect(url_for("admin.user", user_id=target.id))
    if not form.validate_on_submit():
        return _user_page(target, anonymise_form=form, status=400)
    report = privacy_services.anonymise_user(
        target, actor=current_user, reason=form.reason.data or ""
    )
    db.session.commit()
    flash(
        ngettext(
            "The account is anonymised: it is now %(name)s. %(num)d certificate now shows the"
            " name as withheld.",
            "The account is anonymised: it is now %(name)s. %(num)d certificates now show the"
            " name as withheld.",
            report.certificates,
            name=target.display_name,
        ),
        "success",
    )
    return redirect(url_for("admin.user", user_id=target.id))


@bp.get("/audit")
@role_required(Role.ADMIN)
def audit() -> ResponseReturnValue:
    form = AuditFilterForm(request.args)
    form.validate()
    filters = services.AuditFilters(
        action=(form.action.data or "")[:64],
        actor=form.actor.data or "",
        target_type=(form.target_type.data or "")[:32],
        target_id=form.target_id.data or "",
        since=None if form.since.errors else form.since.data,
        until=None if form.until.errors else form.until.data,
    )
    page = request.args.get("page", 1, type=int) or 1
    result = services.audit_events(filters, page)
    form.action.choices = [("", _("Any action"))] + [(a, a) for a in result.actions]
    form.target_type.choices = [("", _("Any type"))] + [(t, t) for t in result.target_types]
    query = {name: request.args[name] for name in form.data if request.args.get(name)}
    return render_template(
        "admin/audit.html", form=form, result=result, query=query, filtered=bool(query)
    )
