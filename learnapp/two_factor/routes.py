"""Two-factor sign-in: the code step of a login, enrolment and the account's settings."""

from __future__ import annotations

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from learnapp.auth import throttle
from learnapp.auth.access import start_session
from learnapp.database import utcnow
from learnapp.errors import Conflict, LearnAppError
from learnapp.extensions import db
from learnapp.two_factor import pending, services
from learnapp.two_factor.forms import (
    CodeForm,
    DisableForm,
    EnrolForm,
    RecoveryCodeForm,
    RegenerateForm,
)

bp = Blueprint("two_factor", __name__, template_folder="templates")

#: The secret being set up, kept in the session until the app's first code confirms it.
SETUP_KEY = "two_factor_setup"

#: What a signed-in account that must still set up two-factor sign-in can open: the setup page
#: and logging out, plus files and probes that show no account's data.
OPEN_WHILE_ENROLLING = frozenset(
    {"two_factor.setup", "auth.logout", "static", "main.favicon", "main.healthz", "ops.prometheus"}
)


@bp.before_app_request
def require_enrolment() -> ResponseReturnValue | None:
    """Send an account whose role requires two-factor sign-in to set it up, from every page."""
    if request.endpoint is None or request.endpoint in OPEN_WHILE_ENROLLING:
        return None
    if not current_user.is_authenticated or not services.is_required(current_user):
        return None
    if services.is_enrolled(current_user):
        return None
    return redirect(url_for("two_factor.setup"))


def _pending_key() -> str:
    return throttle.account_key(pending.email() or "-")


def _own_key() -> str:
    return throttle.account_key(current_user.email if current_user.is_authenticated else "-")


def _finish_login(user: object) -> ResponseReturnValue:
    next_url = pending.next_url()
    user.last_login_at = utcnow()  # type: ignore[attr-defined]
    db.session.commit()
    # Remembered for this session only: no remember-me cookie, no "trust this device".
    start_session(user, remember=False)  # type: ignore[arg-type]
    flash(_("Welcome back, %(name)s.", name=user.display_name), "success")  # type: ignore[attr-defined]
    return redirect(next_url or url_for("main.index"))


def _no_pending_login() -> ResponseReturnValue:
    if pending.KEY in session:
        pending.clear()
        flash(_("Your sign-in took too long or was interrupted. Please log in again."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/login/code", methods=["GET", "POST"])
@throttle.login_limits(_pending_key)
def login_code() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    user = pending.user()
    if user is None:
        return _no_pending_login()
    form = CodeForm()
    if form.validate_on_submit():
        if services.verify_code(user, form.code.data or ""):
            return _finish_login(user)
        db.session.rollback()
        form.code.errors = [_("That code is not right, or was used already. Enter the next one.")]
    status = 400 if form.errors else 200
    return render_template("two_factor/login_code.html", form=form), status


@bp.route("/login/recovery", methods=["GET", "POST"])
@throttle.login_limits(_pending_key)
def login_recovery() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    user = pending.user()
    if user is None:
        return _no_pending_login()
    form = RecoveryCodeForm()
    if form.validate_on_submit():
        if services.use_recovery_code(user, form.code.data or ""):
            left = services.remaining_recovery_codes(user)
            response = _finish_login(user)
            flash(
                ngettext(
                    "You used a recovery code; %(num)d left. Lost your phone? Ask an admin to"
                    " reset two-factor sign-in, then set it up on your new phone.",
                    "You used a recovery code; %(num)d left. Lost your phone? Ask an admin to"
                    " reset two-factor sign-in, then set it up on your new phone.",
                    left,
                ),
                "info",
            )
            return response
        db.session.rollback()
        form.code.errors = [_("That recovery code is not right, or was used already.")]
    status = 400 if form.errors else 200
    return render_template("two_factor/login_recovery.html", form=form), status


@bp.route("/account/two-factor/setup", methods=["GET", "POST"])
@login_required
def setup() -> ResponseReturnValue:
    if services.is_enrolled(current_user):
        return redirect(url_for("two_factor.settings"))
    secret = session.get(SETUP_KEY)
    if not isinstance(secret, str) or not secret:
        secret = session[SETUP_KEY] = services.new_secret()
    form = EnrolForm()
    if form.validate_on_submit():
        try:
            codes = services.enrol(current_user, secret, form.code.data or "")
        except services.CodeRejected as exc:
            db.session.rollback()
            form.code.errors = [exc.message]
        except Conflict as exc:
            db.session.rollback()
            flash(exc.message, "info")
            return redirect(url_for("two_factor.settings"))
        else:
            db.session.commit()
            # The account's other sessions ended; this one continues in a fresh session.
            start_session(current_user._get_current_object(), remember=False)
            flash(_("Two-factor sign-in is on."), "success")
            return _show_recovery_codes(codes)
    uri = services.provisioning_uri(current_user, secret)
    return (
        render_template(
            "two_factor/setup.html",
            form=form,
            qr_code=services.qr_code_svg(uri),
            secret=services.format_secret(secret),
            required=services.is_required(current_user),
        ),
        400 if form.errors else 200,
    )


def _show_recovery_codes(codes: list[str]) -> ResponseReturnValue:
    # Shown in the reply to the POST, never kept: the session cookie is signed, not encrypted.
    return render_template("two_factor/recovery_codes.html", codes=codes)


def _settings_page(
    disable_form: DisableForm | None = None,
    regenerate_form: RegenerateForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    credential = services.credential_for(current_user)
    return (
        render_template(
            "two_factor/settings.html",
            credential=credential,
            codes_left=services.remaining_recovery_codes(current_user) if credential else 0,
            required=services.is_required(current_user),
            disable_form=disable_form or DisableForm(prefix="disable"),
            regenerate_form=regenerate_form or RegenerateForm(prefix="regenerate"),
        ),
        status,
    )


@bp.get("/account/two-factor")
@login_required
def settings() -> ResponseReturnValue:
    return _settings_page()


@bp.post("/account/two-factor/disable")
@login_required
@throttle.login_limits(_own_key)
def disable() -> ResponseReturnValue:
    form = DisableForm(prefix="disable")
    if not form.validate_on_submit():
        return _settings_page(disable_form=form, status=400)
    try:
        services.disable(current_user, form.password.data or "", form.code.data or "")
    except services.PasswordRejected as exc:
        form.password.errors = [exc.message]
    except services.CodeRejected as exc:
        form.code.errors = [exc.message]
    except LearnAppError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("two_factor.settings"))
    else:
        db.session.commit()
        flash(_("Two-factor sign-in is off. Your recovery codes no longer work."), "success")
        return redirect(url_for("two_factor.settings"))
    db.session.rollback()
    return _settings_page(disable_form=form, status=400)


@bp.post("/account/two-factor/recovery-codes")
@login_required
@throttle.login_limits(_own_key)
def regenerate() -> ResponseReturnValue:
    form = RegenerateForm(prefix="regenerate")
    if not form.validate_on_submit():
        return _settings_page(regenerate_form=form, status=400)
    try:
        codes = services.regenerate_recovery_codes(current_user, form.password.data or "")
    except services.PasswordRejected as exc:
        db.session.rollback()
        form.password.errors = [exc.message]
        return _settings_page(regenerate_form=form, status=400)
    except LearnAppError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("two_factor.settings"))
    db.session.commit()
    return _show_recovery_codes(codes)
