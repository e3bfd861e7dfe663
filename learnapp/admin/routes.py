from __future__ import annotations

import math

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from learnapp.admin import services
from learnapp.admin.forms import ActiveForm, ResetLinkForm, RoleForm
from learnapp.auth import services as auth_services
from learnapp.auth.access import role_required
from learnapp.auth.models import Role, User
from learnapp.extensions import db

bp = Blueprint("admin", __name__, template_folder="templates", url_prefix="/admin")


def _get_user(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


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
    target = _get_user(user_id)
    return render_template(
        "admin/user.html",
        user=target,
        role_form=RoleForm(prefix="role", role=target.role),
        active_form=ActiveForm(prefix="active"),
        reset_form=ResetLinkForm(prefix="reset"),
    )


@bp.post("/users/<int:user_id>/role")
@role_required(Role.ADMIN)
def set_role(user_id: int) -> ResponseReturnValue:
    target = _get_user(user_id)
    form = RoleForm(prefix="role")
    if not form.validate_on_submit():
        abort(400)
    if target.id == current_user.id and form.role.data != Role.ADMIN:
        flash("You cannot remove your own admin role; ask another admin.", "error")
        return redirect(url_for("admin.user", user_id=target.id))
    auth_services.set_role(
        target, form.role.data or "", actor=current_user, reason=form.reason.data or ""
    )
    db.session.commit()
    flash(f"{target.email} is now {target.role}.", "success")
    return redirect(url_for("admin.user", user_id=target.id))


@bp.post("/users/<int:user_id>/active")
@role_required(Role.ADMIN)
def set_active(user_id: int) -> ResponseReturnValue:
    target = _get_user(user_id)
    form = ActiveForm(prefix="active")
    if not form.validate_on_submit():
        abort(400)
    if target.id == current_user.id:
        flash("You cannot deactivate your own account.", "error")
        return redirect(url_for("admin.user", user_id=target.id))
    auth_services.set_active(
        target, not target.is_active, actor=current_user, reason=form.reason.data or ""
    )
    db.session.commit()
    flash(f"{target.email} is now {'active' if target.is_active else 'deactivated'}.", "success")
    return redirect(url_for("admin.user", user_id=target.id))


@bp.post("/users/<int:user_id>/reset-link")
@role_required(Role.ADMIN)
def reset_link(user_id: int) -> ResponseReturnValue:
    target = _get_user(user_id)
    if not ResetLinkForm(prefix="reset").validate_on_submit():
        abort(400)
    token = auth_services.issue_reset_token(target, actor=current_user)
    db.session.commit()
    link = current_app.config["BASE_URL"].rstrip("/") + url_for("auth.reset_password", token=token)
    hours = current_app.config["PASSWORD_RESET_HOURS"]
    return render_template("admin/reset_link.html", user=target, link=link, hours=hours)
